"""A real HTTP server on loopback speaking OpenAI chat completions and Ollama ``/api/chat``, with scripted
answers, so the real ``openai`` and ``ollama`` clients can be tested without a model.

Each endpoint takes answers from its own script, in order; the last one repeats when the script runs out.
An answer is one of:

* ``Json(obj_or_text)`` — a normal answer whose content is ``obj`` as JSON (or the text as is);
* ``Refusal(text)`` — an OpenAI refusal (content ``null``, ``refusal`` set);
* ``Status(code)`` — an HTTP error status with a JSON error body;
* ``Hang(seconds)`` — sleep before answering (longer than the client timeout: a timeout).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Json:
    content: Any


@dataclass(frozen=True)
class Refusal:
    text: str = "I can't help with that."


@dataclass(frozen=True)
class Status:
    code: int


@dataclass(frozen=True)
class Hang:
    seconds: float


@dataclass
class _Endpoint:
    script: list[Any] = field(default_factory=list)
    hits: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)

    def next(self, body: dict[str, Any]) -> Any:
        self.hits += 1
        self.requests.append(body)
        if not self.script:
            return Status(500)
        return self.script.pop(0) if len(self.script) > 1 else self.script[0]


class ScriptedLlmServer:
    """The server; ``openai_url`` (``.../v1``) and ``ollama_url`` point the clients at it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.openai = _Endpoint()
        self.ollama = _Endpoint()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path.endswith("/chat/completions"):
                    endpoint, kind = server.openai, "openai"
                elif self.path == "/api/chat":
                    endpoint, kind = server.ollama, "ollama"
                else:
                    self._send(404, {"error": "not found"})
                    return
                with server.lock:
                    answer = endpoint.next(body)
                server._answer(self, kind, body, answer)

            def _send(self, code: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

        self._handler = Handler
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def openai_url(self) -> str:
        return f"{self.base}/v1"

    @property
    def ollama_url(self) -> str:
        return self.base

    def start(self) -> ScriptedLlmServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def script(self, *, openai: list[Any] | None = None, ollama: list[Any] | None = None) -> None:
        with self.lock:
            if openai is not None:
                self.openai = _Endpoint(script=list(openai))
            if ollama is not None:
                self.ollama = _Endpoint(script=list(ollama))

    def _answer(self, handler: Any, kind: str, body: dict[str, Any], answer: Any) -> None:
        if isinstance(answer, Hang):
            time.sleep(answer.seconds)
            answer = Json({})
        if isinstance(answer, Status):
            error = {"error": {"message": f"scripted {answer.code}", "type": "server_error", "code": None}}
            handler._send(answer.code, error if kind == "openai" else {"error": f"scripted {answer.code}"})
            return
        if kind == "openai":
            if isinstance(answer, Refusal):
                message = {"role": "assistant", "content": None, "refusal": answer.text}
            else:
                content = answer.content if isinstance(answer.content, str) else json.dumps(answer.content)
                message = {"role": "assistant", "content": content, "refusal": None}
            handler._send(
                200,
                {
                    "id": "chatcmpl-scripted",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body.get("model", ""),
                    "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                },
            )
            return
        content = "" if isinstance(answer, Refusal) else answer.content
        content = content if isinstance(content, str) else json.dumps(content)
        handler._send(
            200,
            {
                "model": body.get("model", ""),
                "created_at": "2026-01-01T00:00:00Z",
                "message": {"role": "assistant", "content": content},
                "done": True,
                "done_reason": "stop",
            },
        )
