"""The grounded assistant: questions in Chinese or English answered with cited, verified numbers.

``Assistant(engine).ask("今天上海螺纹多少钱")`` returns an :class:`Answer`. Without a language
model the path is deterministic (parser → typed tools → templated text); with one, the model
chooses tools and phrases, and the verifier still checks every number.
"""

from steelsage.assistant.answer import Answer, Source, TraceStep, Value
from steelsage.assistant.core import Assistant
from steelsage.assistant.principal import LOCAL_ADMIN, EntitlementError, Package, Principal
from steelsage.assistant.session import Session
from steelsage.assistant.tools.base import Tool, ToolContext, ToolError, ToolOutput, ToolRegistry

__all__ = [
    "LOCAL_ADMIN",
    "Answer",
    "Assistant",
    "EntitlementError",
    "Package",
    "Principal",
    "Session",
    "Source",
    "Tool",
    "ToolContext",
    "ToolError",
    "ToolOutput",
    "ToolRegistry",
    "TraceStep",
    "Value",
]
