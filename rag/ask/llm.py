"""The language-model seam: one Protocol for every backend, and the backend a name stands for.

Two backends implement it: ``rag.ask.openai_chat`` (any OpenAI-compatible chat endpoint) and
``rag.ask.local_chat`` (a GGUF file run in this process). Both stream the answer as text pieces and raise
``ModelError`` (one readable line) for every way a model can fail: endpoint down, timeout, a stall mid-stream,
a malformed or cut-off stream, a prompt too long.

>>> endpoint_error(400, "Requested tokens exceed context window").args[0]
"the passages are too long for the model's context"
"""

from __future__ import annotations

from typing import Iterator, Protocol

from rag.errors import ModelError, UsageError
from rag.settings import Settings

Messages = list[dict[str, str]]  # [{"role": "system" | "user" | "assistant", "content": "..."}]
_CONTEXT_WORDS = ("context", "too long", "too many tokens", "exceed", "n_ctx")  # how servers say "too long"
BACKENDS = ("openai", "local")  # the names ``open_model`` takes


class ChatModel(Protocol):
    name: str

    def verdict(self, messages: Messages, yes: str, no: str, keep: int = 0) -> float | None:
        """The probability that the reply starts with ``yes`` rather than ``no``; None when the backend cannot
        tell (the reply then says it in words). The first ``keep`` characters of the last message come again
        with later questions: a backend may keep its reading of them. Raises ``ModelError``."""
        ...

    def chat(self, messages: Messages, start: str = "", markers: int = 0) -> Iterator[str]:
        """The reply as text pieces, as the model writes them; raises ``ModelError``. ``start`` is the reply's
        opening, already decided (the backend continues after it; only a backend that answers ``verdict``
        gets one); with ``markers`` > 0 a backend that can hold the model to a grammar does: sentences, each
        ending in a marker [1] .. [markers]."""
        ...


def endpoint_error(status: int, body: str) -> ModelError:
    if status in (400, 413) and any(w in body.lower() for w in _CONTEXT_WORDS):
        return ModelError("the passages are too long for the model's context")
    return ModelError(f"the model's endpoint answered HTTP {status}")


def open_model(name: str, settings: Settings) -> ChatModel:
    """The backend called ``name``; raises ``UsageError`` for an unknown name or a missing package."""
    # Imported when chosen: the local backend's module loads llama.cpp's bindings only when asked, and the
    # OpenAI one needs httpx.
    if name == "openai":
        from rag.ask.openai_chat import OpenAIChat

        return OpenAIChat(settings)
    if name == "local":
        from rag.ask.local_chat import LocalChat

        return LocalChat(settings)
    raise UsageError(f"unknown answerer {name!r}: use extractive, {', '.join(BACKENDS)}")
