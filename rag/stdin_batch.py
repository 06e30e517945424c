"""`rag ask --json -`: one question per input line, one JSON answer per output line, errors in-line.

A line is a question as plain text, or JSON: a string, or an object with the question and the conversation so far.
A line that opens like JSON (`{`, `"` or `[`) is read as JSON, so a broken object is an error, never a question.

>>> import io; out = io.StringIO()
>>> answer_line(None, '{"question": 3}', out)
>>> out.getvalue()
'{"error": "a JSON string or an object with a \\'question\\' string is expected"}\\n'
"""

from __future__ import annotations

import json
import logging
from typing import Iterable, TextIO

from rag.errors import RagError

log = logging.getLogger(__name__)


def answer_stream(assistant, lines: Iterable[str | bytes], out: TextIO, k: int | None = None) -> None:
    """Answer every line; a bad line (not JSON, not UTF-8) gets an error object and the stream goes on."""
    for n, line in enumerate(lines, 1):
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError as e:
                _write({"error": f"line {n} is not valid UTF-8 (byte {e.start + 1})"}, out)
                continue
        if line.strip():
            answer_line(assistant, line, out, k)


def answer_line(assistant, line: str, out: TextIO, k: int | None = None) -> None:
    try:
        question, history = parse_line(line)
        result = assistant.ask(question, history, k=k).as_dict()
    except (ValueError, RagError) as e:
        result = {"error": str(e)}
    _write(result, out)


def _write(result: dict, out: TextIO) -> None:
    out.write(json.dumps(result, ensure_ascii=False) + "\n")
    out.flush()


def parse_line(line: str) -> tuple[str, list[dict]]:
    """The question and history on one input line.

    >>> parse_line("What did Jeremy Hunt offer?\\n")
    ('What did Jeremy Hunt offer?', [])
    """
    if not line.lstrip().startswith(("{", '"', "[")):
        return line.strip(), []
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise ValueError(f"invalid JSON ({e.msg})") from None
    if isinstance(obj, str):
        return obj, []
    if not isinstance(obj, dict) or not isinstance(obj.get("question"), str):
        raise ValueError("a JSON string or an object with a 'question' string is expected")
    history = obj.get("history") or []
    if not isinstance(history, list) or not all(_is_turn(t) for t in history):
        raise ValueError("history must be a list of {\"role\": \"user\"|\"assistant\", \"content\": str}")
    return obj["question"], history


def _is_turn(turn) -> bool:
    return isinstance(turn, dict) and turn.get("role") in ("user", "assistant") and isinstance(
        turn.get("content"), str)
