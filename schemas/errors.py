"""Errors raised by the wire layer."""


class AureusError(Exception):
    """Root of every error the project raises on purpose."""


class SchemaDecodeError(AureusError):
    """Bytes that do not decode into the expected wire type.

    Carries the topic (when known) and the raw bytes so a consumer can send them to ``dlq.<topic>``.
    """

    def __init__(self, message: str, *, topic: str | None = None, raw: bytes = b"") -> None:
        super().__init__(message)
        self.topic = topic
        self.raw = raw


class SchemaUsageError(AureusError, ValueError):
    """A caller asked the wire layer for something it does not know.

    Raised for an unknown topic or LLM call type, or for an object that is not a value type of the topic
    it is being encoded for. This is a programming error, never a property of received bytes.
    """
