"""``escalations`` topic and the exact JSON bodies exchanged with GPT-5 (or the local reasoner).

Design
------
The seed fixes the LLM-facing JSON field for field (runbook, "Exact JSON Fields for GPT-5 Calls"). Those
bodies are therefore plain Structs with exactly the seed's fields and nesting, and no ``schema_version``:

* request bodies (:class:`RegimeAuditorRequest`, :class:`RewardEngineerRequest`,
  :class:`SanityJudgeRequest`) are tagged with ``call_type`` (``"REGIME_AUDITOR"``, ...) so the topic
  message can hold any of them; :func:`encode_llm_json` drops that tag, so the JSON sent to the model has
  exactly the seed's keys. A seed body without ``call_type`` still decodes into its request type.
* response bodies are untagged and ``forbid_unknown_fields=True``, every field required: an answer with
  an extra, missing or mistyped field fails in :func:`decode_llm_response` with a
  :class:`~schemas.errors.SchemaDecodeError` naming the field path (e.g. ``$.live_changes.atr``).
  Bounds (how far a delta may move a parameter) are policy, checked in ``engine``, not here.

What travels on the ``escalations`` topic is the envelope :class:`EscalationRequest`
(``schema_version``, ``ts_event``, ``request_id``, ``trigger``, ``body``); its ``call_type`` (the topic
key) is read from the body's tag, so the two can never disagree.
"""

from __future__ import annotations

import functools
from types import MappingProxyType
from typing import Any

import msgspec

from schemas.common import SCHEMA_VERSION, CallType, TimestampNs
from schemas.errors import SchemaDecodeError, SchemaUsageError


class LlmBody(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of every LLM-facing body: frozen, keyword-only, unknown fields rejected."""


# --- REGIME_AUDITOR ---------------------------------------------------------------------------------


class RegimePortfolioState(LlmBody):
    """``portfolio_state`` of a REGIME_AUDITOR request."""

    net_liquidity: float
    daily_pnl: float
    volatility_zscore: float
    correlation_breakdown: float


class BucketUsage(LlmBody):
    """Fraction of NAV used per risk bucket."""

    penny: float
    fno: float
    core: float


class RegimeAuditorRequest(LlmBody, tag_field="call_type", tag="REGIME_AUDITOR"):
    """REGIME_AUDITOR request: ``timestamp`` (ISO-8601 UTC), ``portfolio_state``, ``sector_dispersion``
    (sector name to dispersion) and ``bucket_usage``."""

    timestamp: str
    portfolio_state: RegimePortfolioState
    sector_dispersion: dict[str, float]
    bucket_usage: BucketUsage


class BlendWeightsDelta(LlmBody):
    """Additive changes to the ensemble blend weights."""

    short: float
    mid: float
    rl: float


class BucketCapsDelta(LlmBody):
    """Additive changes to the bucket caps (fractions of NAV)."""

    penny: float
    fno: float
    core: float


class RegimeAuditorResponse(LlmBody):
    """REGIME_AUDITOR answer: a regime label, blend-weight and bucket-cap deltas, symbols not to trade."""

    regime_label: str
    blend_weights_delta: BlendWeightsDelta
    bucket_caps_delta: BucketCapsDelta
    do_not_trade_list: tuple[str, ...]


# --- REWARD_ENGINEER --------------------------------------------------------------------------------


class PnlDecomposition(LlmBody):
    """P&L by bucket, as fractions of NAV."""

    core: float
    penny: float
    fno: float
    sip: float


class TurnoverStats(LlmBody):
    """Turnover over a day, a week and a month, as fractions of NAV."""

    daily_turnover: float
    weekly_turnover: float
    monthly_turnover: float


class RewardEngineerRequest(LlmBody, tag_field="call_type", tag="REWARD_ENGINEER"):
    """REWARD_ENGINEER request: ``timestamp``, ``pnl_decomposition``, ``turnover_stats`` and
    ``feature_performance`` (feature name to score, e.g. ``rsi``, ``macd``, ``volume``, ``news``)."""

    timestamp: str
    pnl_decomposition: PnlDecomposition
    turnover_stats: TurnoverStats
    feature_performance: dict[str, float]


class RewardCoefficients(LlmBody):
    """Weights of the RL reward terms."""

    returns: float
    turnover: float
    drawdown: float


class TurnoverPenalties(LlmBody):
    """Turnover penalty settings."""

    penalty_rate: float


class RewardEngineerResponse(LlmBody):
    """REWARD_ENGINEER answer: reward coefficients, turnover penalty, features to disable."""

    reward_coefficients: RewardCoefficients
    turnover_penalties: TurnoverPenalties
    disabled_features: tuple[str, ...]


# --- SANITY_JUDGE -----------------------------------------------------------------------------------


class RecentTrade(LlmBody):
    """One recent trade shown to SANITY_JUDGE (``size`` and ``pnl`` as fractions of NAV)."""

    symbol: str
    action: str
    size: float
    pnl: float


class JudgePortfolioState(LlmBody):
    """``portfolio_state`` of a SANITY_JUDGE request."""

    net_liquidity: float
    daily_pnl: float


class SanityJudgeRequest(LlmBody, tag_field="call_type", tag="SANITY_JUDGE"):
    """SANITY_JUDGE request, sent when the kill switch fires."""

    timestamp: str
    kill_switch_reason: str
    recent_trades: tuple[RecentTrade, ...]
    portfolio_state: JudgePortfolioState


class StopMultipliers(LlmBody):
    """ATR multiples of the initial and trailing stops."""

    atr: float
    trailing: float


class LiveChanges(LlmBody):
    """Changes to apply when going back live."""

    max_position_pct: float
    stop_multipliers: StopMultipliers


class SanityJudgeResponse(LlmBody):
    """SANITY_JUDGE answer: whether to stay in demo, and the live changes."""

    stay_demo: bool
    live_changes: LiveChanges


# --- topic envelope ---------------------------------------------------------------------------------

EscalationBody = RegimeAuditorRequest | RewardEngineerRequest | SanityJudgeRequest
"""Any LLM request body (tagged by ``call_type``)."""

LlmResponse = RegimeAuditorResponse | RewardEngineerResponse | SanityJudgeResponse
"""Any LLM response body (for annotations; responses are decoded by call type)."""


class EscalationRequest(msgspec.Struct, tag="escalation_request", frozen=True, kw_only=True):
    """Message of the ``escalations`` topic: one LLM call the node asks the escalation worker to make.

    Parameters
    ----------
    ts_event : int
        Nanoseconds, UTC, of the trigger.
    request_id : str
        Deterministic id (the resulting ``control`` update refers to it).
    body : RegimeAuditorRequest or RewardEngineerRequest or SanityJudgeRequest
        The exact body to send to the model.
    trigger : str
        Which escalation-matrix trigger fired (``risk``, ``regime``, ``model_decay``, ``event_heat``,
        ``kill_switch``); empty when unknown.
    untrusted_text : tuple[str, ...]
        Outside text (e.g. news headlines) shown to the model only as quoted, length-limited data.
    """

    schema_version: int = SCHEMA_VERSION
    ts_event: TimestampNs
    request_id: str
    body: EscalationBody
    trigger: str = ""
    untrusted_text: tuple[str, ...] = ()

    @property
    def call_type(self) -> CallType:
        """The call type (``REGIME_AUDITOR``, ...), read from the body's tag; the topic key."""
        return type(self.body).__struct_config__.tag  # type: ignore[return-value]


Escalation = EscalationRequest
"""Value type of the ``escalations`` topic."""

REQUEST_TYPES: MappingProxyType[str, type[LlmBody]] = MappingProxyType(
    {
        "REGIME_AUDITOR": RegimeAuditorRequest,
        "REWARD_ENGINEER": RewardEngineerRequest,
        "SANITY_JUDGE": SanityJudgeRequest,
    }
)
"""Call type to request body type."""

RESPONSE_TYPES: MappingProxyType[str, type[LlmBody]] = MappingProxyType(
    {
        "REGIME_AUDITOR": RegimeAuditorResponse,
        "REWARD_ENGINEER": RewardEngineerResponse,
        "SANITY_JUDGE": SanityJudgeResponse,
    }
)
"""Call type to response body type."""


def _lookup(table: MappingProxyType[str, type[LlmBody]], call_type: str) -> type[LlmBody]:
    try:
        return table[call_type]
    except KeyError:
        raise SchemaUsageError(f"unknown call type {call_type!r}; expected one of {sorted(table)}") from None


@functools.cache
def _llm_encoder() -> msgspec.json.Encoder:
    return msgspec.json.Encoder()


@functools.cache
def _llm_decoder(body_type: type[LlmBody]) -> msgspec.json.Decoder:
    return msgspec.json.Decoder(body_type)


def encode_llm_json(body: LlmBody) -> bytes:
    """Encode a request or response body as the JSON the model sees: exactly the seed's keys, in order.

    Parameters
    ----------
    body : LlmBody
        A request or response body.

    Returns
    -------
    bytes
        Compact JSON, without the ``call_type`` tag.
    """
    if not isinstance(body, LlmBody):
        raise SchemaUsageError(f"not an LLM body: {type(body).__name__}")
    return _llm_encoder().encode(msgspec.structs.asdict(body))


def _decode_body(table: MappingProxyType[str, type[LlmBody]], what: str, call_type: str, raw: bytes) -> Any:
    body_type = _lookup(table, call_type)
    try:
        return _llm_decoder(body_type).decode(raw)
    except msgspec.DecodeError as e:
        raise SchemaDecodeError(f"{call_type} {what}: {e}", raw=bytes(raw)) from e


def decode_llm_response(call_type: str, raw_bytes: bytes) -> LlmResponse:
    """Decode and validate a model's answer for a call type.

    Parameters
    ----------
    call_type : {"REGIME_AUDITOR", "REWARD_ENGINEER", "SANITY_JUDGE"}
        The call the answer belongs to.
    raw_bytes : bytes
        The answer's JSON (already stripped of any Markdown fence by the LLM client).

    Returns
    -------
    RegimeAuditorResponse or RewardEngineerResponse or SanityJudgeResponse

    Raises
    ------
    SchemaDecodeError
        Invalid JSON, or a missing, extra or mistyped field; the message names the field path.
    SchemaUsageError
        Unknown call type.
    """
    return _decode_body(RESPONSE_TYPES, "response", call_type, raw_bytes)


def decode_llm_request(call_type: str, raw_bytes: bytes) -> EscalationBody:
    """Decode a request body (as a model server, or a test fake of one, receives it).

    Raises :class:`SchemaDecodeError` on bad bytes and :class:`SchemaUsageError` on an unknown call type.
    """
    return _decode_body(REQUEST_TYPES, "request", call_type, raw_bytes)


def response_json_schema(call_type: str) -> dict[str, Any]:
    """JSON Schema of the expected answer, e.g. for an OpenAI ``response_format`` or Ollama ``format``.

    Raises :class:`SchemaUsageError` on an unknown call type.
    """
    return msgspec.json.schema(_lookup(RESPONSE_TYPES, call_type))
