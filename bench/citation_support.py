"""Measure the rules that decide whether a passage supports a sentence (rag/ask/check.py), on labelled pairs.

Pairs are made from the indexed corpus, so no labels are typed by hand:
  supported:   a passage sentence as it is; a contiguous 60% of its words (a model shortening it); the
               sentence with a quarter of its words left out at random (a loose rewording)
  unsupported: a sentence of another article; a sentence of the same article outside the passage (close in
               topic, the hard case); a passage sentence with one of its numbers changed

Synthetic pairs miss what a model does: reword, and state wrong things in the passage's words. So
``--labels FILE`` adds hand-written pairs (``tests/data/support_labels.jsonl``): for passages of the corpus, a
faithful rewording and a plausible claim the passage does not make (changed actor, outcome or negation).
``--dump QUESTIONS`` writes a model's cited sentences with their passages, to label the same way.

For cosine alone, word overlap alone, and either of the two (the rule rag/ask/check.py uses), each with and
without the rule that every number of the sentence must be in the passage, it prints precision, recall and
F1 over a sweep of thresholds and the best F1; then the scores at the current settings.

    python bench/citation_support.py [--index DIR] [--pairs 600] [--labels tests/data/support_labels.jsonl]
    python bench/citation_support.py --dump tests/data/questions.jsonl --answerer local > pairs.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings import load_embedder  # noqa: E402
from rag.ask.facts import _NUMBER, overlap_share, same_facts  # noqa: E402
from rag.index.versions import load_index  # noqa: E402
from rag.text.sentences import sentence_spans  # noqa: E402
from rag.settings import Settings  # noqa: E402


def sentences_of(index):
    """(article id, chunk, [passage sentences]) for every passage."""
    out = []
    for chunk in index.chunks:
        text = index.articles[chunk.article_id].text
        out.append((chunk.article_id, chunk, [text[a:b] for a, b in chunk.sentences]))
    return out


def make_pairs(index, n: int, rng: random.Random):
    passages = [p for p in sentences_of(index) if any(len(s.split()) >= 8 for s in p[2])]
    by_article: dict[str, list[str]] = {}
    for article, _, ss in passages:
        by_article.setdefault(article, []).extend(s for s in ss if len(s.split()) >= 8)
    pairs = []  # (sentence, passage text, label, kind)
    while len(pairs) < n:
        article, chunk, ss = rng.choice(passages)
        sentence = rng.choice([s for s in ss if len(s.split()) >= 8])
        words = sentence.split()
        kind = rng.randrange(6)
        if kind == 0:
            pairs.append((sentence, chunk.text, True, "verbatim"))
        elif kind == 1:
            size = max(5, int(0.6 * len(words)))
            start = rng.randrange(0, len(words) - size + 1)
            pairs.append((" ".join(words[start:start + size]), chunk.text, True, "window 60%"))
        elif kind == 2:
            kept = [w for w in words if rng.random() > 0.25]
            pairs.append((" ".join(kept), chunk.text, True, "25% words dropped"))
        elif kind == 3:
            other = rng.choice([a for a in by_article if a != article] or [article])
            pairs.append((rng.choice(by_article[other]), chunk.text, False, "other article"))
        elif kind == 4:
            outside = [s for s in by_article[article] if s not in chunk.text]
            if outside:
                pairs.append((rng.choice(outside), chunk.text, False, "same article, other passage"))
        else:
            numbers = _NUMBER.findall(sentence)
            if numbers:
                old = rng.choice(numbers)
                new = str(int(re.sub(r"\D", "", old) or 0) + rng.randint(2, 9))
                pairs.append((sentence.replace(old, new, 1), chunk.text, False, "number changed"))
    return pairs


def labelled_pairs(path: Path, index):
    """Rows ``{"chunk": passage id, "sentence", "supported"}``: a reworded sentence, true or false to the passage
    (``--dump`` writes ``passage`` text instead of a ``chunk`` id)."""
    chunks = {c.id: c.text for c in index.chunks}
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(r["sentence"], r.get("passage") or chunks[r["chunk"]], bool(r["supported"]),
             "reworded, supported" if r["supported"] else "reworded, not supported")
            for r in rows if r.get("supported") is not None]


def dump(questions: Path, answerer: str, settings: Settings) -> None:
    """Every cited sentence of the model's raw answers, with its passage, as JSON lines to label."""
    from rag.ask.assistant import Assistant
    from rag.ask.markers import claim, split_claims
    from rag.eval.evaluate import read_cases
    from rag.types import Answer

    assistant = Assistant.open(settings.replace(answerer=answerer))
    generative = assistant.answerer
    articles = assistant.index.articles
    for case in read_cases(questions):
        query = assistant.query(case.question, list(case.history))
        hits = assistant.retrieve(query)
        shown = [e.hit for e in generative.excerpts(query, hits, articles)]  # what the markers number
        pieces = list(generative.stream(query, hits, articles))
        if not isinstance(pieces[-1], Answer) or pieces[-1].answerer != generative.name:
            print(f"{case.id}: no model answer", file=sys.stderr)
            continue
        text = "".join(p for p in pieces if isinstance(p, str))  # the model's words, before checking
        for sentence, numbers in split_claims(text):
            for n in dict.fromkeys(numbers):
                if 1 <= n <= len(shown):
                    print(json.dumps({"id": case.id, "sentence": claim(sentence), "passage": shown[n - 1].chunk.text,
                                      "supported": None}, ensure_ascii=False), flush=True)


def scores(pairs, embedder, index):
    """Best cosine to a passage sentence, word-overlap share, and whether numbers, negation and obligations
    hold (``same_facts``), for each pair."""
    chunk_sentences = {}
    for _, chunk, ss in sentences_of(index):
        chunk_sentences[chunk.text] = ss
    for _, passage, _, _ in pairs:  # a labelled passage from another index: split it here
        if passage not in chunk_sentences:
            chunk_sentences[passage] = [passage[a:b] for a, b in sentence_spans(passage)]
    texts = sorted({s for ss in chunk_sentences.values() for s in ss} | {p[0] for p in pairs})
    vectors = dict(zip(texts, embedder.embed(texts)))
    rows = []
    for sentence, passage, label, kind in pairs:
        ss = chunk_sentences[passage]
        cos, at = max((float(vectors[sentence] @ vectors[s]), i) for i, s in enumerate(ss))
        near = " ".join(ss[max(0, at - 1): at + 2])  # the closest sentence and its neighbours, as the checker reads
        rows.append((cos, overlap_share(sentence, passage), same_facts(sentence, passage, ss[at], near), label, kind))
    return rows


def prf(predicted, labels):
    tp = sum(p and y for p, y in zip(predicted, labels))
    fp = sum(p and not y for p, y in zip(predicted, labels))
    fn = sum(y and not p for p, y in zip(predicted, labels))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall, 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", type=Path)
    parser.add_argument("--pairs", type=int, default=600)
    parser.add_argument("--labels", type=Path, help="labelled model sentences (JSON lines)")
    parser.add_argument("--dump", type=Path, help="question file: write the model's cited sentences instead")
    parser.add_argument("--answerer", default="local", help="the model for --dump")
    args = parser.parse_args()
    settings = Settings.from_env(index_dir=args.index)
    if args.dump:
        return dump(args.dump, args.answerer, settings)
    index = load_index(settings)
    embedder = load_embedder(settings.model, settings.embed_batch)
    synthetic = make_pairs(index, args.pairs, random.Random(7))
    sets = [("synthetic", synthetic)]
    if args.labels:
        labelled = labelled_pairs(args.labels, index)
        sets += [("labelled rewordings", labelled), ("both", synthetic + labelled)]
    for name, pairs in sets:
        print(f"=== {name} ===")
        measure(scores(pairs, embedder, index), settings)
        print()


def measure(rows, settings: Settings) -> None:
    labels = [r[3] for r in rows]
    print(f"{len(rows)} pairs, {sum(labels)} supported; kinds: "
          + ", ".join(f"{k} {sum(1 for r in rows if r[4] == k)}" for k in dict.fromkeys(r[4] for r in rows)))
    grid = np.round(np.arange(0.30, 0.96, 0.02), 2)
    rules = {
        "cosine": lambda r, c, o: r[0] >= c,
        "overlap": lambda r, c, o: r[1] >= o,
        "cosine or overlap": lambda r, c, o: r[0] >= c or r[1] >= o,
    }
    print(f"\n{'rule':32} {'cosine':>6} {'overlap':>7} {'prec':>6} {'recall':>6} {'F1':>6}")
    for name, rule in rules.items():
        for numbers in (False, True):
            best = None
            for c in (grid if "cosine" in name else [0.0]):
                for o in (grid if "overlap" in name else [0.0]):
                    p, r, f = prf([rule(row, c, o) and (row[2] or not numbers) for row in rows], labels)
                    if best is None or f > best[0]:
                        best = (f, c, o, p, r)
            f, c, o, p, r = best
            label = name + (" + same facts" if numbers else "")
            print(f"{label:32} {c:6.2f} {o:7.2f} {p:6.3f} {r:6.3f} {f:6.3f}")
    c, o = settings.support_cosine, settings.support_overlap
    predicted = [(row[0] >= c or row[1] >= o) and row[2] for row in rows]
    p, r, f = prf(predicted, labels)
    print(f"\nsettings (support_cosine={c}, support_overlap={o}, same facts): "
          f"precision {p:.3f} recall {r:.3f} F1 {f:.3f}")
    print(f"{'kind':30} {'pairs':>5} {'judged supported':>16}")
    for kind in dict.fromkeys(r[4] for r in rows):
        share = np.mean([pr for pr, row in zip(predicted, rows) if row[4] == kind])
        print(f"{kind:30} {sum(1 for row in rows if row[4] == kind):5d} {share:16.3f}")


if __name__ == "__main__":
    main()
