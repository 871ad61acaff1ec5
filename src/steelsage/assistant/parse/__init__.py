"""Question parsing without a language model: lexicon, time expressions, intent → Frame."""

from steelsage.assistant.parse.frame import Frame
from steelsage.assistant.parse.intent import detect_language, parse_question
from steelsage.assistant.parse.lexicon import Lexicon, build_lexicon, default_lexicon
from steelsage.assistant.parse.timeexpr import Period, TimeMatch, find_times

__all__ = [
    "Frame",
    "Lexicon",
    "Period",
    "TimeMatch",
    "build_lexicon",
    "default_lexicon",
    "detect_language",
    "find_times",
    "parse_question",
]
