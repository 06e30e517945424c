"""The embedding model every chat session shares, one call at a time and questions first.

Its tokenizer must not be used by two threads at once, so calls take turns. A question embeds one to a few
texts; an article being added embeds thousands. A large call therefore runs in steps of about
``STEP_SECONDS`` of model time each, sized from the time its earlier steps took per character, and every
waiting small call goes before its next step: a question waits at most about one step, on any machine and
under any load, instead of a fixed number of texts (32 passages took 1.5 s on two busy cores).

>>> model = LockedEmbedder(load_embedder("all-MiniLM-L6-v2"))  # doctest: +SKIP
>>> model.embed(["junior doctors strike"]).shape  # doctest: +SKIP
(1, 384)
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Sequence

import numpy as np

from embeddings import Embedder


class LockedEmbedder:
    SMALL = 32  # texts: a call this small (a question, a citation check) runs at once, as one turn
    STEP_SECONDS = 0.05  # model time of one step of a large call: about what a question may wait for it
    CUT_CHARS = 1200  # the model reads at most 256 tokens (about this many characters) of a text

    def __init__(self, inner: Embedder):
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.backend = inner.backend
        self._turn = threading.Condition()
        self._busy = False
        self._waiting = 0  # small calls waiting for the model
        self._per_char = 0.0  # seconds of model time per character, learnt from large calls' steps

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        if len(texts) <= self.SMALL:
            with self._turn:
                self._waiting += 1
                self._turn.wait_for(lambda: not self._busy)
                self._waiting -= 1
                self._busy = True
            return self._run(texts, progress)
        parts, begin = [], 0
        while begin < len(texts):
            end = self._step_end(texts, begin)
            with self._turn:
                self._turn.wait_for(lambda: not self._busy and not self._waiting)
                self._busy = True
            started = time.perf_counter()
            parts.append(self._run(texts[begin:end], progress))
            chars = sum(self._chars(t) for t in texts[begin:end])
            self._per_char = (time.perf_counter() - started) / max(1, chars)
            begin = end
        return np.concatenate(parts)

    def _step_end(self, texts: Sequence[str], begin: int) -> int:
        """Where the step starting at ``begin`` ends: the texts that fit ``STEP_SECONDS`` at the last step's
        rate, at least one; a first step, with no rate known yet, takes four."""
        if not self._per_char:
            return min(len(texts), begin + 4)
        budget, end = self.STEP_SECONDS / self._per_char, begin
        while end < len(texts) and (end == begin or budget >= self._chars(texts[end])):
            budget -= self._chars(texts[end])
            end += 1
        return end

    def _chars(self, text: str) -> int:
        return min(len(text), self.CUT_CHARS) + 20  # the 20: a text's fixed cost (special tokens, a row)

    def _run(self, texts: Sequence[str], progress: Callable[[int], None] | None) -> np.ndarray:
        try:
            return self.inner.embed(texts, progress)
        finally:
            with self._turn:
                self._busy = False
                self._turn.notify_all()
