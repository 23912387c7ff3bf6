"""Errors of the escalation core; adapters translate library exceptions into these at the edge."""

from schemas.errors import AureusError


class EscalationError(AureusError):
    """An escalation that cannot be processed (bad request, misconfiguration)."""


class ReasonerError(EscalationError):
    """A model call that produced no usable answer."""


class ReasonerUnavailableError(ReasonerError):
    """The model server did not answer usefully: timeout, connection refused, 429, 5xx.

    Parameters
    ----------
    message
        What failed, including the HTTP status where there was one.
    retry_after
        Suggested wait in seconds before trying this reasoner again.
    """

    def __init__(self, message: str, *, retry_after: float = 30.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ReasonerRefusedError(ReasonerError):
    """The model refused to answer (an explicit refusal, or an empty answer)."""


class BudgetUnavailableError(EscalationError):
    """The call budget cannot be read or reserved (Redis down): no GPT-5 call is made."""
