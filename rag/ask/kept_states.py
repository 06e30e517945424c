"""A local model's reading of a prompt's opening, kept in memory so the next question need not read it again.

A 1.5B model reads a few dozen prompt tokens a second on a laptop CPU, so the ~700 tokens of instructions and
a block of passages take ~12 s; its state after reading them (the attention keys and values, ~29 KB a token
for Qwen2.5-1.5B) is copied out once and copied back in ~15 ms for any later question about the same block.
States are keyed by the exact text read, so an article that changes simply gets a new state, and the least
recently used go first when ``capacity`` bytes are exceeded.

>>> kept = KeptStates(capacity=10)
>>> kept.put("one", State((1, 2), b"12345678")); kept.put("two", State((3,), b"abcd"))
>>> kept.get("one") is None, kept.get("two").data  # the older one made room
(True, b'abcd')
"""

from __future__ import annotations

import ctypes
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class State:
    tokens: tuple[int, ...]  # what the model had read, in order
    data: bytes  # llama.cpp's sequence state after reading them


class KeptStates:
    def __init__(self, capacity: int):
        self.capacity = capacity
        self._states: OrderedDict[str, State] = OrderedDict()
        self._size = 0

    def __len__(self) -> int:
        return len(self._states)

    def get(self, text: str) -> State | None:
        state = self._states.get(text)
        if state is not None:
            self._states.move_to_end(text)
        return state

    def put(self, text: str, state: State) -> None:
        if text in self._states:
            return
        self._states[text] = state
        self._size += len(state.data)
        while self._size > self.capacity and len(self._states) > 1:
            _, old = self._states.popitem(last=False)
            self._size -= len(old.data)


def reuse(llama: Any, kept: KeptStates, text: str) -> None:
    """Leave ``llama`` having read ``text``: from a kept state, or by reading it (reusing what it already
    holds of it) and keeping the state. One token is sampled after it and not read."""
    state = kept.get(text)
    if state is None:
        llama.create_completion(text, max_tokens=1, temperature=0.0)
        kept.put(text, save(llama))
    elif not holds(llama, state.tokens):
        restore(llama, state)


def holds(llama: Any, tokens: tuple[int, ...]) -> bool:
    """``llama`` has already read ``tokens`` (and perhaps more after them)."""
    return llama.n_tokens >= len(tokens) and tuple(int(t) for t in llama.input_ids[: len(tokens)]) == tokens


def save(llama: Any) -> State:
    import llama_cpp

    ctx = llama._ctx.ctx
    size = llama_cpp.llama_state_seq_get_size(ctx, 0)
    buffer = (ctypes.c_uint8 * size)()
    written = llama_cpp.llama_state_seq_get_data(ctx, buffer, size, 0)
    return State(tuple(int(t) for t in llama.input_ids[: llama.n_tokens]), ctypes.string_at(buffer, written))


def restore(llama: Any, state: State) -> None:
    """Put ``llama`` back in ``state``: what it reads next comes after ``state.tokens``."""
    import llama_cpp

    llama._ctx.kv_cache_seq_rm(-1, 0, -1)
    buffer = (ctypes.c_uint8 * len(state.data)).from_buffer_copy(state.data)
    if llama_cpp.llama_state_seq_set_data(llama._ctx.ctx, buffer, len(state.data), 0) != len(state.data):
        llama.n_tokens = 0  # nothing trustworthy is held: the next prompt is read from its start
        log.warning("a kept model state could not be restored; reading the prompt again")
        return
    llama.input_ids[: len(state.tokens)] = state.tokens
    llama.n_tokens = len(state.tokens)
