"""Wrong numbers planted into real composed answers: the verifier must catch every one."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine

from steelsage.assistant import Assistant, Session
from steelsage.assistant.verify import extract_claims, verify

from .conftest import ASSISTANT_END

QUESTIONS = [
    "今天上海螺纹多少钱",
    "热卷这周涨了多少",
    "广州螺纹今天涨了多少",
    "哪个城市的螺纹最便宜",
    "螺纹价格最高的3个城市",
    "卷螺差最近一个月怎么走的",
    "螺矿比",
    "上海和广州螺纹哪个贵",
    "近三个月上海螺纹均价、最高、最低",
    "PB粉港口库存比去年同期高吗",
    "高炉开工率近三个月走势",
    "螺纹社库",
    "What was HRC in Shanghai last Friday?",
    "rebar YTD change",
    "Top 3 cities by rebar price",
    "High and low of port stocks over the last 90 days",
]


def _mutations(text: str, start: int, end: int) -> list[str]:
    """Variants of the number text[start:end]: last digit ±1, ×10, first two digits swapped."""
    token = text[start:end]
    digits = [i for i, ch in enumerate(token) if ch.isdigit()]
    out = []
    last = digits[-1]
    for delta in (1, -1):
        d = (int(token[last]) + delta) % 10
        out.append(token[:last] + str(d) + token[last + 1 :])
    out.append(token[: digits[0]] + "1" + token[digits[0] :])  # an extra leading digit
    if len(digits) >= 2 and token[digits[0]] != token[digits[1]]:
        a, b = digits[0], digits[1]
        chars = list(token)
        chars[a], chars[b] = chars[b], chars[a]
        out.append("".join(chars))
    return [text[:start] + m + text[end:] for m in out if m != token]


@pytest.fixture(scope="module")
def answers(assistant_db: Engine) -> list:  # type: ignore[type-arg]
    assistant = Assistant(assistant_db, today=ASSISTANT_END)
    return [assistant.ask(q, Session()) for q in QUESTIONS]


def test_composed_answers_pass(answers: list) -> None:  # type: ignore[type-arg]
    for answer in answers:
        assert answer.kind == "data" and answer.verified, answer.text


def test_every_planted_number_is_caught(answers: list, assistant_db: Engine) -> None:  # type: ignore[type-arg]
    protected = Assistant(assistant_db).lexicon.protected_terms
    planted = caught = 0
    for answer in answers:
        allowed = [n for step in answer.trace for n in step.detail.get("allowed_numbers", [])]
        own = [w for step in answer.trace for w in step.detail.get("protected", [])]
        protected_here = sorted([*own, *protected], key=len, reverse=True)
        dates = {s.start for s in answer.sources if s.start} | {
            s.end for s in answer.sources if s.end
        }
        for step in answer.trace:
            dates |= {
                __import__("datetime").date.fromisoformat(d)
                for d in step.detail.get("allowed_dates", [])
            }
        claims = [
            c
            for c in extract_claims(answer.text, protected=protected_here)
            if c.kind in ("number", "percent")
        ]
        for claim in claims:
            for wrong in _mutations(answer.text, *claim.span):
                planted += 1
                verdict = verify(
                    wrong,
                    answer.values,
                    dates=dates,
                    allowed_numbers=allowed,
                    protected=protected_here,
                )
                if not verdict.ok:
                    caught += 1
                else:
                    # A mutation that lands exactly on another figure of the same answer is a
                    # true statement, not a planted error.
                    new = re.sub(r"[^\d.]", "", wrong[claim.span[0] : claim.span[1] + 1])
                    assert any(
                        f"{v.value:.{v.decimals}f}".lstrip("-") == new.strip(".")
                        for v in answer.values
                    ), f"missed planted number in: {wrong}"
    assert planted > 150
    assert caught / planted > 0.97


def test_planted_dates_are_caught(answers: list, assistant_db: Engine) -> None:  # type: ignore[type-arg]
    protected = Assistant(assistant_db).lexicon.protected_terms
    checked = 0
    for answer in answers:
        for m in re.finditer(r"20\d\d-\d\d-\d\d", answer.text):
            year = int(m.group(0)[:4]) - 3  # a date no tool returned
            wrong = answer.text[: m.start()] + f"{year}" + answer.text[m.start() + 4 :]
            assert not verify(wrong, answer.values, protected=protected).ok
            checked += 1
    assert checked > 20
