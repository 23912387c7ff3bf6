"""The real ``openai`` and ``ollama`` clients against the scripted loopback server: every answer kind maps
to bytes or to the engine's reasoner errors, and the schema is sent as structured-output format."""

from __future__ import annotations

import json

import pytest
from llm_server import Hang, Json, Refusal, Status

from adapters.llm import OllamaReasoner, OpenAIReasoner
from engine.escalation.errors import ReasonerRefusedError, ReasonerUnavailableError
from engine.escalation.prompt import answer_schema

ANSWER = {
    "stay_demo": True,
    "live_changes": {"max_position_pct": 0.01, "stop_multipliers": {"atr": 1.8, "trailing": 1.2}},
}
MESSAGES = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
SCHEMA = answer_schema("SANITY_JUDGE")


def gpt5(server, timeout_s=5.0):
    return OpenAIReasoner(model="gpt-5", api_key="k", base_url=server.openai_url, timeout_s=timeout_s)


def local(server, timeout_s=5.0):
    return OllamaReasoner(model="qwen2.5:14b-instruct", host=server.ollama_url, timeout_s=timeout_s)


def test_openai_valid_answer_and_strict_schema_request(llm_server):
    llm_server.script(openai=[Json(ANSWER)])
    raw = gpt5(llm_server).ask(MESSAGES, SCHEMA, "sanity_judge")
    assert json.loads(raw) == ANSWER
    sent = llm_server.openai.requests[0]
    assert sent["model"] == "gpt-5"
    fmt = sent["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"]["required"] == ["stay_demo", "live_changes"]
    assert "$ref" not in json.dumps(fmt)


def test_ollama_valid_answer_with_format_schema_and_fence(llm_server):
    llm_server.script(ollama=[Json("```json\n" + json.dumps(ANSWER) + "\n```")])
    raw = local(llm_server).ask(MESSAGES, SCHEMA, "sanity_judge")
    assert json.loads(raw) == ANSWER
    sent = llm_server.ollama.requests[0]
    assert sent["model"] == "qwen2.5:14b-instruct" and sent["format"] == SCHEMA
    assert sent["options"]["temperature"] == 0


@pytest.mark.parametrize(
    ("answer", "error", "match"),
    [
        (Status(429), ReasonerUnavailableError, "429"),
        (Status(500), ReasonerUnavailableError, "500"),
        (Status(503), ReasonerUnavailableError, "503"),
        (Refusal("no"), ReasonerRefusedError, "refused"),
        (Hang(1.0), ReasonerUnavailableError, "timeout"),
    ],
)
def test_openai_failures_become_reasoner_errors_with_one_request_each(llm_server, answer, error, match):
    llm_server.script(openai=[answer])
    with pytest.raises(error, match=match):
        gpt5(llm_server, timeout_s=0.5).ask(MESSAGES, SCHEMA, "sanity_judge")
    assert llm_server.openai.hits == 1  # no client-side retry: one budget call is one request


@pytest.mark.parametrize(
    ("answer", "error", "match"),
    [
        (Status(500), ReasonerUnavailableError, "500"),
        (Status(404), ReasonerUnavailableError, "404"),  # model not pulled
        (Hang(1.0), ReasonerUnavailableError, "timeout"),
        (Json(""), ReasonerRefusedError, "empty"),
    ],
)
def test_ollama_failures_become_reasoner_errors(llm_server, answer, error, match):
    llm_server.script(ollama=[answer])
    with pytest.raises(error, match=match):
        local(llm_server, timeout_s=0.5).ask(MESSAGES, SCHEMA, "sanity_judge")


def test_unreachable_servers_are_unavailable():
    with pytest.raises(ReasonerUnavailableError):
        OpenAIReasoner(model="gpt-5", api_key="k", base_url="http://127.0.0.1:9/v1", timeout_s=1).ask(
            MESSAGES, SCHEMA, "x"
        )
    with pytest.raises(ReasonerUnavailableError):
        OllamaReasoner(model="m", host="http://127.0.0.1:9", timeout_s=1).ask(MESSAGES, SCHEMA, "x")
