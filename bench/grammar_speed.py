"""How fast the local model writes an answer held to the cited form: the grammar in llama-cpp-python's sampler
chain (every token of the vocabulary checked at every step) against the grammar checked on the best token first
(``rag.ask.greedy_grammar``, what the product runs), side by side on the same prompts.

    python bench/grammar_speed.py --index /tmp/qidx [--questions tests/data/questions.jsonl] [-n 12]

For each of the first N answerable questions of the file it builds the prompt the local answerer would send
(excerpts, quoted lines, question, and the verdict YES), reads it, writes the answer greedily, reads it again
from nothing and writes it the other way, and prints the tokens written, milliseconds per written token each
way, and whether the two texts are the same. Run it on a quiet machine: it measures wall-clock time.
"""

from __future__ import annotations

import statistics
import time

from llama_cpp import LlamaGrammar, LogitsProcessorList
from question_args import answerable, arguments

from rag.ask.assistant import Assistant
from rag.ask.greedy_grammar import GreedyGrammar
from rag.ask.local_chat import cited_form
from rag.settings import Settings


def write(llama, prompt: str, tokens: int, **how) -> tuple[str, int, float]:
    """(text, tokens written, seconds) of a greedy answer, from the prompt read anew: llama.cpp's logits move by
    about a tenth from one reading of the prompt's end to another, which can flip a near-tie between two tokens."""
    llama.reset()
    llama.create_completion(prompt, max_tokens=1, temperature=0.0)  # read; not timed
    began = time.perf_counter()
    pieces = [c["choices"][0]["text"] for c in llama.create_completion(prompt, stream=True, max_tokens=tokens,
                                                                        temperature=0.0, **how)]
    return "".join(pieces), len(pieces), time.perf_counter() - began


def main() -> None:
    args = arguments(__doc__, 12)
    assistant = Assistant.open(Settings.from_env(index_dir=args.index, answerer="local"))
    writer, articles = assistant.answerer, assistant.index.articles
    llama, _, template, _ = writer.model.model()
    limit = assistant.settings.llm_max_tokens
    questions = [c.question for c in answerable(args, follow_ups=False)]
    chain_ms, first_ms, same = [], [], 0
    print(f"{'tokens':>6} {'chain ms/token':>14} {'best-first ms/token':>19} {'same text':>9}  question")
    for question in questions:
        query = assistant.query(question)
        hits = assistant.retrieve(query)
        ranked = writer.ranked(query, hits, articles)
        shown = writer.excerpts(query, hits, articles, ranked)
        prompt = template(writer.messages(query, shown, articles, writer.focus(query, hits, shown, articles, ranked)))
        prompt += f"{writer.yes}\n"
        grammar = cited_form(len(shown))
        chain, n, seconds = write(llama, prompt, limit, grammar=LlamaGrammar.from_string(grammar, verbose=False))
        best_first = GreedyGrammar(llama, grammar)
        try:
            text, m, faster = write(llama, prompt, limit, logits_processor=LogitsProcessorList([best_first]))
        finally:
            best_first.close()
        chain_ms.append(1000 * seconds / max(n, 1))
        first_ms.append(1000 * faster / max(m, 1))
        same += text == chain
        verdict = "yes" if text == chain else "NO"
        print(f"{n:>6} {chain_ms[-1]:>14.0f} {first_ms[-1]:>19.0f} {verdict:>9}  {question[:60]}")
    print(f"{'median':>6} {statistics.median(chain_ms):>14.0f} {statistics.median(first_ms):>19.0f} "
          f"{same:>4} of {len(questions)}")


if __name__ == "__main__":
    main()
