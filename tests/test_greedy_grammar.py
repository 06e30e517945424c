"""The cited-form grammar checked on the best token first (``rag.ask.greedy_grammar``) writes exactly what the
grammar in llama-cpp-python's sampler chain writes under greedy decoding, including where the grammar refuses the
model's best token. Real parts: the SmolLM2 GGUF in-process.
"""

from __future__ import annotations

import re

import pytest

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install '.[local]')")

from llama_cpp import Llama, LlamaGrammar, LogitsProcessorList  # noqa: E402
from llm_servers import packaged_gguf  # noqa: E402

from rag.ask.greedy_grammar import GreedyGrammar  # noqa: E402
from rag.ask.llama_cpu import load_cpu_backend  # noqa: E402
from rag.ask.local_chat import cited_form  # noqa: E402

pytestmark = pytest.mark.model

EXCERPTS = ("Excerpts:\n[1] > Talks between the BMA and the Government will resume on Thursday.\n"
            "[2] > The strike lasts 72 hours.\nQuestion: {question}\nAnswer with the excerpt's number:\n")


@pytest.fixture(scope="module")
def llama():
    load_cpu_backend()  # the wheel's CPU backends are loaded as the product loads them
    return Llama(model_path=str(packaged_gguf()), n_ctx=512, n_threads=2, verbose=False)


def both(llama, prompt: str, grammar: str, tokens: int = 48) -> tuple[str, str]:
    """(text with the grammar in the chain, text with the best token checked first), greedy.

    Each reads the prompt from nothing: llama-cpp-python would otherwise keep the first call's prompt and read
    its last token again alone, whose logits round differently from the whole prompt's batch (on an AVX-512 CPU,
    "maybe 10" then "maybe 20" for the same grammar, a near tie between two digits, whichever way it is decoded)."""
    llama.reset()
    chain = llama.create_completion(prompt, grammar=LlamaGrammar.from_string(grammar, verbose=False),
                                    max_tokens=tokens, temperature=0.0)["choices"][0]["text"]
    greedy = GreedyGrammar(llama, grammar)
    llama.reset()
    try:
        first = llama.create_completion(prompt, logits_processor=LogitsProcessorList([greedy]), max_tokens=tokens,
                                        temperature=0.0)["choices"][0]["text"]
    finally:
        greedy.close()
    return chain, first


@pytest.mark.parametrize("question", ["When do talks resume?", "How long is the strike?", "Who is talking?"])
def test_the_cited_form_is_written_as_the_chain_writes_it(llama, question):
    chain, first = both(llama, EXCERPTS.format(question=question), cited_form(2))
    assert first == chain
    # The cited form, or its beginning where the token limit cut it: no line break, brackets only as markers.
    assert re.fullmatch(r"(?:[^\[\]\n]+ \[[12]\](?:\[[12]\])?\.? ?){0,3}[^\[\]\n]*", first), first


def test_a_grammar_the_model_would_not_follow_is_still_held(llama):
    # The model's best first token is not "maybe": every step goes through the whole vocabulary's check.
    chain, first = both(llama, "Write a poem about the sea.\n", 'root ::= "maybe " [0-9] [0-9]', tokens=8)
    assert first == chain and first.startswith("maybe ") and first[6:].isdigit(), first
