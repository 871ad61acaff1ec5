"""The assistant over HTTP: one-shot ``/ask`` and streamed ``/chat`` (server-sent events).

Chat is stateless on the server: the client sends the conversation, earlier user turns are
replayed through the parser (no tools run), so follow-ups work on any worker. Only verified
text is streamed: the answer is made and checked first, then sent in pieces.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from steelsage.assistant import Answer, Assistant, Session
from steelsage.server.deps import CurrentUser, audit_read, principal_of

router = APIRouter(tags=["assistant"])

MAX_QUESTION = 4000
MAX_TURNS = 40


class AskRequest(BaseModel):
    question: Annotated[str, Field(max_length=MAX_QUESTION)]
    lang: Literal["zh", "en"] | None = None
    history: Annotated[
        list[Annotated[str, Field(max_length=MAX_QUESTION)]], Field(max_length=MAX_TURNS)
    ] = []


class ChatMessage(BaseModel):
    role: Literal["user", "assistant", "system"]
    content: Annotated[str, Field(max_length=MAX_QUESTION * 4)]


class ChatRequest(BaseModel):
    messages: Annotated[list[ChatMessage], Field(min_length=1, max_length=MAX_TURNS * 2)]
    lang: Literal["zh", "en"] | None = None
    stream: bool = True


def assistant_for(request: Request, user) -> Assistant:  # type: ignore[no-untyped-def]
    """An assistant acting as ``user`` (their entitlements), sharing the app's caches."""
    from steelsage.server.routes.catalog import _series

    return Assistant(
        request.app.state.engine,
        principal=principal_of(user),
        backend=getattr(request.app.state, "backend", None),
        series=_series(request),
    )


def answer_turns(
    assistant: Assistant, history: list[dict[str, str]], question: str, lang: str | None
) -> Answer:
    session = Session()
    assistant.replay(history, session, lang)
    return assistant.ask(question, session, lang=lang)


async def answer_with_json(
    request: Request,
    user,  # type: ignore[no-untyped-def]
    history: list[dict[str, str]],
    question: str,
    lang: str | None,
) -> tuple[Answer, bytes]:
    """The answer for this caller's entitlements and its JSON, made once per publication.

    Templated answers depend only on the question, the conversation, the caller's packages
    and the published data, so the same question from the same package is answered from the
    cache until the next publication. Answers from a language model are not cached.
    """
    from fastapi.concurrency import run_in_threadpool

    from steelsage.config import market_today
    from steelsage.server.cache import published_cache

    def compute() -> tuple[Answer, bytes]:
        answer = answer_turns(assistant_for(request, user), history, question, lang)
        return answer, answer.model_dump_json().encode()

    if getattr(request.app.state, "backend", None) is not None:
        return await run_in_threadpool(compute)
    key = (
        "answer",
        principal_of(user),
        tuple((t["role"], t["content"]) for t in history),
        question,
        lang,
        market_today(),
    )
    cache = published_cache(request.app)
    hit = cache.peek(key)
    if hit is not None:
        return hit
    made = await run_in_threadpool(compute)
    return cache.get(key, lambda: made)


async def cached_answer(
    request: Request,
    user,  # type: ignore[no-untyped-def]
    history: list[dict[str, str]],
    question: str,
    lang: str | None,
) -> Answer:
    answer, _ = await answer_with_json(request, user, history, question, lang)
    return answer


@router.post("/ask", response_model=Answer)
async def ask(request: Request, body: AskRequest, user: CurrentUser) -> Response:
    """提问 / ask one question (earlier questions in ``history`` make it a follow-up)."""
    history = [{"role": "user", "content": q} for q in body.history]
    answer, payload = await answer_with_json(request, user, history, body.question, body.lang)
    audit_read(user, "ask", {"question": body.question[:200], "series": _codes(answer)})
    return Response(payload, media_type="application/json")


def _codes(answer: Answer) -> list[str]:
    return [s.series_code for s in answer.sources][:50]


def _pieces(text: str) -> Iterator[str]:
    """Text in small pieces at natural breaks, so a client can show it as it arrives."""
    for part in re.findall(r".{1,24}?(?:[，。；、,.;:：\s]|$)|.{24}", text, flags=re.S):
        if part:
            yield part


def _event(name: str, payload: object) -> str:
    return f"event: {name}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"


def split_chat(messages: list[ChatMessage]) -> tuple[list[dict[str, str]], str]:
    """(earlier turns, the last user question) from an OpenAI-style message list."""
    turns = [{"role": m.role, "content": m.content} for m in messages if m.role != "system"]
    last_user = max((i for i, t in enumerate(turns) if t["role"] == "user"), default=None)
    if last_user is None:
        return turns, ""
    return turns[:last_user], turns[last_user]["content"]


@router.post(
    "/chat",
    response_model=Answer,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def chat(request: Request, body: ChatRequest, user: CurrentUser):  # type: ignore[no-untyped-def]
    """对话 / a chat turn; ``stream: true`` answers as server-sent events
    (``meta``, ``delta``…, ``answer``, ``done``)."""
    history, question = split_chat(body.messages)
    answer = await cached_answer(request, user, history, question, body.lang)
    audit_read(user, "chat", {"question": question[:200], "series": _codes(answer)})
    if not body.stream:
        return answer

    def events() -> Iterator[str]:
        yield _event("meta", {"kind": answer.kind, "language": answer.language})
        for piece in _pieces(answer.text):
            yield _event("delta", {"text": piece})
        yield _event("answer", answer.model_dump(mode="json"))
        yield _event("done", {})

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
