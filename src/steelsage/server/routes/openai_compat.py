"""An OpenAI-compatible chat API, so existing chat front ends and SDKs can use steelsage.

``POST /v1/chat/completions`` answers the last user message (earlier ones make follow-ups)
and puts the sources into the message; ``stream: true`` sends ``chat.completion.chunk``
events ending with ``data: [DONE]``. Authenticate with an API key as the bearer token.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from steelsage.assistant import Answer
from steelsage.server.deps import CurrentUser, audit_read
from steelsage.server.errors import ApiError
from steelsage.server.routes.ask import (
    MAX_QUESTION,
    MAX_TURNS,
    _pieces,
    cached_answer,
)

router = APIRouter(tags=["openai-compatible"])

MODEL_ID = "steelsage"


class OAMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: Annotated[str | list[dict[str, Any]] | None, Field()] = None


class OARequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, top_p … are accepted and ignored

    model: Annotated[str, Field(max_length=100)] = MODEL_ID
    messages: Annotated[list[OAMessage], Field(min_length=1, max_length=MAX_TURNS * 2)]
    stream: bool = False


def _text(content: str | list[dict[str, Any]] | None) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content[: MAX_QUESTION * 4]
    parts = [
        str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text"
    ]
    return "".join(parts)[: MAX_QUESTION * 4]


def render(answer: Answer) -> str:
    """The answer as one message: the text, then a sources block people and tools can read."""
    if not answer.sources:
        return answer.text
    head = "来源 / Sources:" if answer.language == "zh" else "Sources:"
    lines = []
    for s in answer.sources:
        bits = [s.series_code]
        if s.version is not None:
            bits.append(f"v{s.version}")
        if s.start and s.end:
            bits.append(f"{s.start}..{s.end}" if s.start != s.end else str(s.end))
        lines.append("- " + " ".join(bits))
    return f"{answer.text}\n\n{head}\n" + "\n".join(lines)


@router.get("/models")
def models(user: CurrentUser) -> dict[str, Any]:
    """OpenAI-compatible model list."""
    return {
        "object": "list",
        "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "steelsage"}],
    }


@router.post("/chat/completions")
async def chat_completions(request: Request, body: OARequest, user: CurrentUser):  # type: ignore[no-untyped-def]
    """OpenAI-compatible chat completion (streaming or not)."""
    if body.model != MODEL_ID:
        raise ApiError(
            404,
            "model_not_found",
            f"没有模型 {body.model} / unknown model {body.model!r}; use {MODEL_ID!r}",
        )
    turns = [
        {"role": m.role, "content": _text(m.content)}
        for m in body.messages
        if m.role in ("user", "assistant")
    ]
    last = max((i for i, t in enumerate(turns) if t["role"] == "user"), default=None)
    if last is None:
        raise ApiError(400, "no_question", "消息中没有用户问题 / no user message to answer")
    question = turns[last]["content"][:MAX_QUESTION]
    answer = await cached_answer(request, user, turns[:last], question, None)
    audit_read(
        user,
        "openai",
        {"question": question[:200], "series": [s.series_code for s in answer.sources][:50]},
    )
    content = render(answer)
    ident = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    extra = {
        "steelsage": {
            "verified": answer.verified,
            "kind": answer.kind,
            "sources": [s.model_dump(mode="json") for s in answer.sources],
        }
    }
    if not body.stream:
        return JSONResponse(
            {
                "id": ident,
                "object": "chat.completion",
                "created": created,
                "model": MODEL_ID,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                **extra,
            }
        )

    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        payload = {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

    def events() -> Iterator[str]:
        yield chunk({"role": "assistant", "content": ""})
        for piece in _pieces(content):
            yield chunk({"content": piece})
        yield chunk({}, "stop")
        yield "data: [DONE]\n\n"

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )
