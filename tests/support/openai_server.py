"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions protocol.

Why: the ``openai`` backend must be tested through the real client library and a real socket
(status codes, SSE framing, timeouts), not through mocks of the client. The server plays a
*script*: a list of :class:`Reply` objects served in order, one per
``POST /v1/chat/completions``. It records every request body and its headers so a test can
assert what the client sent (the tool schemas, the tool results, the key).

    with OpenAIServer([text("3,650元/吨")]) as server:
        backend = OpenAIBackend(LLMSettings(backend="openai", base_url=server.base_url,
                                            model=server.model))
        ...
        assert server.requests[0]["messages"][-1]["content"] == "..."

Replies: :func:`text`, :func:`tool_call` / :func:`tool_calls`, :func:`http_error`,
:func:`hang` (sleeps before answering, to trigger client timeouts) and :func:`malformed`
(a 200 whose body is not JSON). Both plain JSON and ``stream: true`` (SSE chunks ending with
``data: [DONE]``) are served from the same script. ``GET /v1/models`` lists the model.
When the script runs out the server answers HTTP 500 saying so, so a test fails loudly.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

ReplyKind = Literal["text", "tool_calls", "http_error", "hang", "malformed"]


@dataclass(frozen=True)
class ScriptedToolCall:
    """One tool call the fake model makes. ``arguments`` as a str is sent verbatim."""

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    id: str | None = None

    def arguments_json(self) -> str:
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments, ensure_ascii=False)


@dataclass(frozen=True)
class Reply:
    """One scripted answer; build it with the helper functions below."""

    kind: ReplyKind
    content: str | None = None
    tool_calls: tuple[ScriptedToolCall, ...] = ()
    chunks: tuple[str, ...] | None = None  # how streamed content is split; None: per 3 chars
    status: int = 200
    body: str | None = None  # raw body for http_error / malformed
    seconds: float = 0.0  # for hang
    finish_reason: str | None = None


def text(content: str, *, chunks: Iterable[str] | None = None) -> Reply:
    """A plain assistant message. ``chunks`` fixes the streamed deltas (must join to it)."""
    parts = tuple(chunks) if chunks is not None else None
    if parts is not None and "".join(parts) != content:
        raise ValueError("chunks must join to content")
    return Reply("text", content=content, chunks=parts, finish_reason="stop")


def tool_call(
    name: str,
    arguments: dict[str, Any] | str | None = None,
    *,
    id: str | None = None,
    content: str | None = None,
) -> Reply:
    """An assistant message calling one tool."""
    call = ScriptedToolCall(name, {} if arguments is None else arguments, id)
    return Reply("tool_calls", content=content, tool_calls=(call,), finish_reason="tool_calls")


def tool_calls(*calls: ScriptedToolCall) -> Reply:
    """An assistant message calling several tools at once."""
    return Reply("tool_calls", tool_calls=tuple(calls), finish_reason="tool_calls")


def http_error(status: int = 500, message: str = "scripted server error") -> Reply:
    body = json.dumps({"error": {"message": message, "type": "server_error", "code": None}})
    return Reply("http_error", status=status, body=body)


def hang(seconds: float = 5.0) -> Reply:
    """Answer only after ``seconds`` (or when the server closes): for client timeouts."""
    return Reply("hang", seconds=seconds, content="too late", finish_reason="stop")


def malformed(body: str = '{"id": "chatcmpl-bad", "choices": [ {not json') -> Reply:
    """A 200 reply whose body (or SSE data line) is not valid JSON."""
    return Reply("malformed", body=body)


@dataclass
class RecordedRequest:
    """One request as received; header names are lower-case."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None


class OpenAIServer:
    """The scripted server; a context manager that starts and stops it."""

    def __init__(
        self,
        script: Iterable[Reply] = (),
        *,
        model: str = "test-model",
        api_key: str | None = None,
    ) -> None:
        self.model = model
        self.api_key = api_key  # when set, requests without this Bearer key get HTTP 401
        self._script: list[Reply] = list(script)
        self._served = 0
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self.log: list[RecordedRequest] = []
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> OpenAIServer:
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        self._closing.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ script and record
    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        """What a client uses as its base URL (ends with /v1)."""
        return f"http://127.0.0.1:{self.port}/v1"

    def push(self, *replies: Reply) -> None:
        with self._lock:
            self._script.extend(replies)

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._script) - self._served

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The JSON bodies of every chat-completions request, in order."""
        return [
            r.body for r in self.log if r.path.endswith("/chat/completions") and r.body is not None
        ]

    def _next_reply(self) -> Reply | None:
        with self._lock:
            if self._served >= len(self._script):
                return None
            reply = self._script[self._served]
            self._served += 1
            return reply

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.log.append(request)

    # ------------------------------------------------------------------ bodies
    def completion_body(self, reply: Reply, request: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        if reply.tool_calls:
            message["tool_calls"] = [
                {
                    "id": call.id or f"call_{i}",
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments_json()},
                }
                for i, call in enumerate(reply.tool_calls)
            ]
        return {
            "id": f"chatcmpl-{self._served}",
            "object": "chat.completion",
            "created": 0,
            "model": request.get("model", self.model),
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": reply.finish_reason,
                    "logprobs": None,
                }
            ],
            "usage": _usage(request, reply),
        }

    def stream_chunks(self, reply: Reply, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {
                "id": f"chatcmpl-{self._served}",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": request.get("model", self.model),
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }

        yield chunk({"role": "assistant", "content": ""})
        content = reply.content or ""
        pieces = reply.chunks or tuple(content[i : i + 3] for i in range(0, len(content), 3))
        for piece in pieces:
            yield chunk({"content": piece})
        for index, call in enumerate(reply.tool_calls):
            yield chunk(
                {
                    "tool_calls": [
                        {
                            "index": index,
                            "id": call.id or f"call_{index}",
                            "type": "function",
                            "function": {"name": call.name, "arguments": ""},
                        }
                    ]
                }
            )
            args = call.arguments_json()
            half = len(args) // 2
            for piece in (args[:half], args[half:]):
                if piece:
                    yield chunk(
                        {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}
                    )
        yield chunk({}, reply.finish_reason)
        if (request.get("stream_options") or {}).get("include_usage"):
            last = chunk({})
            last["choices"] = []
            last["usage"] = _usage(request, reply)
            yield last


def _usage(request: dict[str, Any], reply: Reply) -> dict[str, int]:
    """Deterministic fake token counts (about four characters a token)."""
    prompt = len(json.dumps(request.get("messages", []), ensure_ascii=False)) // 4
    completion = len(reply.content or "") // 4 + sum(
        len(c.arguments_json()) // 4 + 1 for c in reply.tool_calls
    )
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _headers(handler: BaseHTTPRequestHandler) -> dict[str, str]:
    return {key.lower(): value for key, value in handler.headers.items()}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: OpenAIServer


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # silence the default stderr log
        pass

    # ------------------------------------------------------------------ routes
    def do_GET(self) -> None:
        owner = self.server.owner
        owner._record(RecordedRequest("GET", self.path, _headers(self), None))
        if not self._authorized():
            return
        if self.path.rstrip("/").endswith("/models"):
            self._json(
                200,
                {
                    "object": "list",
                    "data": [
                        {"id": owner.model, "object": "model", "created": 0, "owned_by": "test"}
                    ],
                },
            )
        else:
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    def do_POST(self) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        owner._record(RecordedRequest("POST", self.path, _headers(self), body))
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        if not self._authorized():
            return
        if not isinstance(body, dict):
            self._json(400, {"error": {"message": "body is not a JSON object"}})
            return
        reply = owner._next_reply()
        if reply is None:
            message = f"openai test server: script exhausted after {owner._served} replies"
            self._json(500, {"error": {"message": message, "type": "script_exhausted"}})
            return
        self._serve(reply, body)

    # ------------------------------------------------------------------ helpers
    def _authorized(self) -> bool:
        key = self.server.owner.api_key
        if key is None or self.headers.get("Authorization") == f"Bearer {key}":
            return True
        self._json(401, {"error": {"message": "Incorrect API key provided", "code": "bad_key"}})
        return False

    def _serve(self, reply: Reply, body: dict[str, Any]) -> None:
        owner = self.server.owner
        if reply.kind == "http_error":
            self._raw(reply.status, "application/json", (reply.body or "").encode())
            return
        if reply.kind == "hang" and owner._closing.wait(reply.seconds):
            return  # the server is closing: drop the connection
        streaming = bool(body.get("stream"))
        if reply.kind == "malformed":
            if streaming:
                self._sse([f"data: {reply.body}\n\n", "data: [DONE]\n\n"])
            else:
                self._raw(200, "application/json", (reply.body or "").encode())
            return
        if streaming:
            events = [
                f"data: {json.dumps(c, ensure_ascii=False)}\n\n"
                for c in owner.stream_chunks(reply, body)
            ]
            self._sse([*events, "data: [DONE]\n\n"])
        else:
            self._json(200, owner.completion_body(reply, body))

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        self._raw(status, "application/json", json.dumps(payload, ensure_ascii=False).encode())

    def _raw(self, status: int, content_type: str, data: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            pass

    def _sse(self, events: list[str]) -> None:
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            for event in events:
                self.wfile.write(event.encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
