"""A conversation: previous frames for follow-ups and messages for a language model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from steelsage.assistant.answer import Answer
from steelsage.assistant.parse.frame import Frame

MAX_TURNS_KEPT = 20


@dataclass
class Session:
    """State carried between turns. Only the last frame drives follow-ups; the message
    history (bounded) is what a language model sees."""

    frames: list[Frame | None] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def last_frame(self) -> Frame | None:
        for frame in reversed(self.frames):
            if frame is not None and frame.has_subject:
                return frame
        return None

    def record(self, question: str, frame: Frame | None, answer: Answer) -> None:
        self.frames.append(frame)
        self.answers.append(answer)
        self.messages += [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer.text},
        ]
        del self.frames[:-MAX_TURNS_KEPT]
        del self.answers[:-MAX_TURNS_KEPT]
        del self.messages[: -2 * MAX_TURNS_KEPT]

    def reset(self) -> None:
        self.frames.clear()
        self.answers.clear()
        self.messages.clear()
