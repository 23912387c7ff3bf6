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
