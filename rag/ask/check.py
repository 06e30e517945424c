"""Check a generated answer's citations: every sentence against the passages its ``[n]`` markers point at.

A sentence is supported by a passage when some sentence of the passage says nearly the same thing (cosine of
the two embeddings at least ``support_cosine``) or the passage holds most of its content words (share at least
``support_overlap``), and every number it states appears in that passage: a changed figure reads as
similar to both measures, so numbers are checked on their own. Two more changes read as similar to both and
are checked apart: a negation ("would not go ahead" against "would go ahead": the claim and the passage
sentence closest to it must agree on being negated) and an added instruction (an obligation word such as
"must" or "should" that the passage does not use: "..., so doctors must not go to work"). A sentence asking a
question (an echo of the user's) states nothing: only a passage sentence asking it too backs it. Who it says
acted must be there too: its names, and a plain lower-case subject ("The government expressed concern" is not
backed by "NHS England has expressed concern", `rag/ask/subject.py`).
``bench/citation_support.py`` measures these rules and thresholds on sentences labelled supported or not.

What the reader already knows is not a claim. A model restates the question ("The health secretary who invited
the doctors in March 2023 was Steve Barclay"): the words it takes from the question count as covered, as long as
the sentence adds at least one word of the passage; a number may come from the article's title or date (its
year), which the model was shown beside the passage; and a negation in the closest sentence counts only where its
clause shares words with the claim that the sentence's other clauses lack ("leaked to The Daily Telegraph" is not
negated by "but the BMA did not dispute it").

A question that names years asks about those years: only a passage of an article dated then, or one that names
the year, can back a sentence answering it ("What does the BMA want in 2023?" is not answered by a 2016
article's "The BMA needs to keep its resolve", however faithfully quoted). Undated articles count for every year.

Markers to passages that do not exist are dropped, the rest are renumbered 1..n in order of first use, and
sentences with no supporting citation are listed as unsupported.

>>> split_claims('Talks start on Monday [2]. The BMA "agreed." [1] Hunt [9] spoke [1, 3].')
[('Talks start on Monday [2].', [2]), ('The BMA "agreed [1]."', [1]), ('Hunt [9] spoke [1, 3].', [9, 1, 3])]
>>> renumber("A [3]. B [1][3]. C [7].", {3: 1, 1: 2})
'A [1]. B [2][1]. C.'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Mapping, Sequence, cast

import numpy as np

from embeddings import Embedder
from rag.ask.names import names_agree
from rag.ask.question import dated, years_in
from rag.ask.subject import doer_agrees, speaker_agrees, subject_agrees
from rag.index.sentence_store import SentenceStore
from rag.text.sentences import asks, quotes, sentence_spans, speaker_over
from rag.settings import Settings
from rag.text.dateline import date_words
from rag.text.words import words
from rag.types import Answer, Article, Hit

_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
# "said. [1]" -> "said [1]."; a full stop the model wrote after the marker too ("said. [1].") goes.
_MARKERS_AFTER_END = re.compile(r"([.!?][\"'”’)]*)((?:\s*\[\d+(?:\s*,\s*\d+)*\])+)(?:\s*[.!?](?![\w.]))?")
# "said [1].." -> "said [1].": a marker's sentence ends once.
_ENDED_TWICE = re.compile(r"(\])([.!?])[.!?]+(?![\w.])")
# A marker as a sentence's subject, "[2] reports that more than 4,000 operations moved.": the passage is the source
# of what follows, so the sentence is what follows, cited to it ("More than 4,000 operations moved [2].").
_MARKER_REPORTS = re.compile(r"(^|(?<=[.!?]\s)|(?<=[.!?][\"'”’)]\s))\[(\d+(?:\s*,\s*\d+)*)\]\s+"
                             r"(?:report|say|state|note|write|add|show|mention|claim)s?(?:\s+that)?,?\s+"
                             r"([^.!?]*[^\s.!?])([.!?])")
# A claim about the article itself, which its date and publisher (the chat shows them above the passage) may back.
_OF_PUBLISHING = re.compile(r"\b(?:published|publication|dated|posted)\b", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NEGATION = re.compile(r"\b(?:not|no|never|none|nobody|nothing|neither|nor|without|cannot)\b|n't\b", re.IGNORECASE)
_OBLIGATION = re.compile(r"\b(?:must|should|ought|need(?:s|ed)? to|ha(?:ve|s) to|required to|urged?)\b",
                         re.IGNORECASE)


@dataclass(frozen=True)
class Support:
    supported: bool
    cosine: float
    overlap: float
    span: tuple[int, int] | None  # article offsets of the passage sentence closest to the claim


@dataclass(frozen=True)
class Checked:
    text: str  # markers renumbered 1..n, markers to missing passages gone
    cited: tuple[int, ...]  # hit rank (0-based) of each new number: cited[n - 1] is passage [n]
    quotes: dict[int, tuple[tuple[int, int], ...]]  # hit rank -> article spans of the sentences that support
    sentences: tuple[str, ...]  # the answer's sentences, as in ``text``
    unsupported: tuple[str, ...]  # sentences of ``text`` that no citation of theirs supports
    with_citation: int  # sentences carrying at least one (existing) citation


def split_claims(text: str) -> list[tuple[str, list[int]]]:
    """The answer's sentences, each with the passage numbers it cites (markers moved before the full stop).

    >>> split_claims("Reports differ. [2] reports that 4,000 moved. [1] says 6,000.")
    [('Reports differ.', []), ('4,000 moved [2].', [2]), ('6,000 [1].', [1])]
    >>> split_claims("Talks failed. [1]. Strikes go ahead [2]..")
    [('Talks failed [1].', [1]), ('Strikes go ahead [2].', [2])]
    """
    text = _MARKER_REPORTS.sub(lambda m: f"{m.group(1)}{m.group(3)[:1].upper()}{m.group(3)[1:]} [{m.group(2)}]"
                                         f"{m.group(4)}", " ".join(text.split()))
    text = _ENDED_TWICE.sub(r"\1\2", _MARKERS_AFTER_END.sub(lambda m: f"{m.group(2)}{m.group(1)}", text))
    out: list[tuple[str, list[int]]] = []
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        numbers = [int(n) for m in _MARKER.finditer(sentence) for n in m.group(1).split(",")]
        if out and not re.search(r"\w", _MARKER.sub("", sentence)):  # markers alone belong to the sentence before
            out[-1] = (f"{out[-1][0]} {sentence}", out[-1][1] + numbers)
        else:
            out.append((sentence, numbers))
    return out


def claim(sentence: str) -> str:
    """The sentence without its markers."""
    return re.sub(r"\s+([.!?,;:])", r"\1", " ".join(_MARKER.sub(" ", sentence).split()))


def renumber(text: str, numbers: Mapping[int, int]) -> str:
    """Markers rewritten through ``numbers`` (old -> new); markers not in it are removed, and a marker next to the
    same marker once: ``renumber("Moved [2] [2].", {2: 1})`` is "Moved [1].".
    """

    def swap(m: re.Match) -> str:
        kept = [str(numbers[int(n)]) for n in m.group(1).split(",") if int(n) in numbers]
        return "".join(f"[{n}]" for n in dict.fromkeys(kept))

    text = re.sub(r"(\[\d+\])(?:\s*\1)+", r"\1", " ".join(_MARKER.sub(swap, text).split()))
    return re.sub(r"\s+([.!?,;:])", r"\1", text)


class Checker:
    def __init__(self, embedder: Embedder, settings: Settings, sentences: SentenceStore | None = None):
        self.embedder = embedder
        self.settings = settings
        self.sentences = sentences  # the index's sentence vectors, so a check embeds only the claims
        self._titles: dict[str, np.ndarray] = {}  # articles' titles, embedded once per process as they are cited

    def check(self, text: str, hits: Sequence[Hit], articles: Mapping[str, Article],
              recite: bool = False, question: str = "") -> Checked:
        """Check ``text`` whose ``[n]`` refer to ``hits[n - 1]``, written in reply to ``question``.

        With ``recite``, a sentence that no passage it cites supports, but another of ``hits`` does, is cited
        to that passage instead: small models often put the right fact behind the wrong number.
        """
        claims = split_claims(text)
        valid = [[n for n in numbers if 1 <= n <= len(hits)] for _, numbers in claims]
        if recite:
            every = self.supports([(claim(s), list(hits)) for s, _ in claims], articles, question)
            claims, valid = _recited(claims, valid, every)
        supports = self.supports([(claim(s), [hits[n - 1] for n in ns]) for (s, _), ns in zip(claims, valid)],
                                 articles, question)
        order: dict[int, int] = {}
        for ns in valid:
            for n in ns:
                order.setdefault(n, len(order) + 1)
        quotes: dict[int, set] = {}
        sentences, unsupported = [], []
        for (sentence, _), ns, found in zip(claims, valid, supports):
            rewritten = renumber(sentence, order)
            sentences.append(rewritten)
            for n, support in zip(ns, found):
                if support.supported and support.span:
                    quotes.setdefault(n - 1, set()).add(support.span)
            if not any(s.supported for s in found):
                unsupported.append(rewritten)
        cited = tuple(n - 1 for n in order)
        return Checked(" ".join(sentences), cited, {r: tuple(sorted(s)) for r, s in quotes.items()},
                       tuple(sentences), tuple(unsupported), sum(1 for ns in valid if ns))

    def supports(self, pairs: list[tuple[str, list[Hit]]], articles: Mapping[str, Article],
                 question: str = "") -> list[list[Support]]:
        """For each (claim, cited passages): how well each passage, or its article's title, supports the claim, the
        words it takes from ``question`` counted as given; a passage off the years ``question`` names supports
        nothing. One embedding call."""
        years = frozenset(years_in(question))
        spans = {h.chunk.id: list(h.chunk.sentences) for _, cited in pairs for h in cited}
        texts = {h.chunk.id: articles[h.chunk.article_id].text for _, cited in pairs for h in cited}
        article_of = {h.chunk.id: h.chunk.article_id for _, cited in pairs for h in cited}
        passage_sentences = [(cid, span) for cid, ss in spans.items() for span in ss]
        # Passage sentences were embedded at ingest; only the claims (and any sentence the store lacks) are new.
        stored: list[np.ndarray | None] = [
            v for cid, ss in spans.items()
            for v in (self.sentences.lookup(article_of[cid], ss) if self.sentences is not None else [None] * len(ss))]
        missing = [i for i, v in enumerate(stored) if v is None]
        titles = sorted({articles[a].title for a in article_of.values()} - self._titles.keys())
        vectors = self.embedder.embed([c for c, _ in pairs]
                                      + [texts[passage_sentences[i][0]][slice(*passage_sentences[i][1])]
                                         for i in missing] + titles)
        claim_vectors = vectors[: len(pairs)]
        for i, v in zip(missing, vectors[len(pairs):]):
            stored[i] = v
        self._titles.update(zip(titles, vectors[len(pairs) + len(missing):]))
        sentence_vectors = (np.stack(cast("list[np.ndarray]", stored)).astype(np.float32) if stored
                            else np.zeros((0, claim_vectors.shape[1]), np.float32))
        rows = {cid: [i for i, (c, _) in enumerate(passage_sentences) if c == cid] for cid in spans}
        out = []
        for (text, cited), vector in zip(pairs, claim_vectors):
            found = []
            for hit in cited:
                idx = rows[hit.chunk.id]
                cosines = sentence_vectors[idx] @ vector if idx else np.zeros(0)
                best = int(np.argmax(cosines)) if len(idx) else None
                span = passage_sentences[idx[best]][1] if best is not None else None
                closest = texts[hit.chunk.id][span[0]:span[1]] if span else ""
                near = _near(text, [texts[hit.chunk.id][a:b] for _, (a, b) in (passage_sentences[i] for i in idx)],
                             best)
                if span:  # an interview's answer speaks as "I": its opening names who
                    near = f"{near} {speaker_over(texts[hit.chunk.id], span)}"
                article = articles[hit.chunk.article_id]
                metadata = f"{article.title} {article.publisher or ''} {article.date or ''}"
                support = self.judge(text, hit.chunk.text, float(cosines[best]) if best is not None else 0.0,
                                     span, closest, question, metadata, near)
                if not support.supported:  # a claim may restate the headline the citation shows above the passage
                    title = self.judge(text, article.title, float(self._titles[article.title] @ vector), None,
                                       article.title, question, metadata, article.title)
                    support = title if title.supported else support
                if not support.supported and _OF_PUBLISHING.search(text):  # "The AP story was published on ..."
                    sheet = published(article)
                    shown = self.judge(text, sheet, 0.0, None, sheet, question, metadata, sheet)
                    support = shown if shown.supported else support
                about = not years or dated(article.date, hit.chunk.text, years)
                found.append(support if about else replace(support, supported=False))
            out.append(found)
        return out

    def judge(self, text: str, passage: str, cosine: float, span: tuple[int, int] | None,
              closest: str = "", question: str = "", metadata: str = "", near: str = "") -> Support:
        s = self.settings
        overlap = overlap_share(text, passage, question)
        supported = (same_facts(text, f"{passage} {metadata}", closest, f"{near or closest} {metadata}")
                     and (cosine >= s.support_cosine or overlap >= s.support_overlap))
        return Support(supported, cosine, overlap, span)


def published(article: Article) -> str:
    """What the chat shows of an article besides its text, as a sentence the check can read.

    >>> published(Article("a", "...", "Doctors strike", "AP", "2024-09-18"))
    'Doctors strike, published by AP on 2024-09-18 (2024 September).'
    """
    by = f" by {article.publisher}" if article.publisher else ""
    on = f" on {article.date} ({date_words(article.date)})" if article.date else ""
    return f"{article.title}, published{by}{on}."


def same_facts(text: str, passage: str, closest: str, near: str = "") -> bool:
    """What similarity misses: every number of ``text`` is in the passage, it asks a question only in quoting one
    the passage sentence closest to it asks (an article's heading "What do they want?" answers nothing), it is
    negated exactly when that sentence is, its names and its plain subject ("The government ...") stand ``near``
    the sentence it restates, a named doer of its verb there is its subject ("Labour condemned", not "Hunt
    condemned"), the speaker that sentence names is the claim's ("Doctors say ...", not "Malawana said ..."), and
    it adds no obligation the passage does not state.

    >>> same_facts("Talks would go ahead.", "Talks would not go ahead.", "Talks would not go ahead.")
    False
    >>> same_facts("Talks would go ahead on what day?", "Talks would go ahead.", "Talks would go ahead.")
    False
    >>> same_facts("What do doctors want?", "What do they want?", "What do they want?")
    False
    >>> same_facts('Hunt asked: "Why strike?"', 'Hunt asked: "Why strike?"', 'Hunt asked: "Why strike?"')
    True
    >>> same_facts("Talks go ahead, so doctors must not go to work.", "Talks go ahead.", "Talks go ahead.")
    False
    >>> same_facts("Doctors did not strike in 2015.", "In 2015 doctors did not strike.",
    ...            "In 2015 doctors did not strike.")
    True
    >>> same_facts("The email was leaked to The Daily Telegraph.", "...",
    ...            "The email was leaked to The Daily Telegraph but the BMA did not dispute it.")
    True
    """
    if not set(_NUMBER.findall(text)) <= set(_NUMBER.findall(passage)):
        return False
    if asks(text) and not (quotes(text) and asks(closest or passage)):
        return False
    if not negation_agrees(text, closest or passage):
        return False
    if near and not (names_agree(text, near) and subject_agrees(text, near) and doer_agrees(text, near)):
        return False
    if closest and not speaker_agrees(text, closest):
        return False
    passage_obligations = {m.lower() for m in _OBLIGATION.findall(passage)}
    return all(m.lower() in passage_obligations for m in _OBLIGATION.findall(text))


def _near(text: str, sentences: list[str], best: int | None) -> str:
    """The passage sentences a claim restates: the one closest to it (``best``) with its neighbours (where "he"
    gets its name), the one sharing most of its words (the closest by meaning may be a byline or a heading), and
    any it holds most of the words of (a quoted heading and the sentence after it).

    >>> _near("Hunt spoke. Talks failed", ["Mr Hunt arrived.", "Hunt spoke.", "Rain fell.", "Talks failed."], 0)
    'Mr Hunt arrived. Hunt spoke. Talks failed.'
    >>> _near("Atkins is the Health Secretary", ["Health correspondent", "Doctors struck.", "Rain fell.",
    ...       "Health Secretary Victoria Atkins said no."], 0)
    'Health correspondent Doctors struck. Health Secretary Victoria Atkins said no.'
    """
    mine = set(words(text))
    held = [set(words(s)) for s in sentences]
    shared = [len(ws & mine) for ws in held]
    most = shared.index(max(shared)) if any(shared) else None
    return " ".join(s for i, (s, ws) in enumerate(zip(sentences, held))
                    if (best is not None and abs(i - best) <= 1) or i == most
                    or ws and shared[i] >= 0.8 * len(ws))


def _recited(claims: list[tuple[str, list[int]]], valid: list[list[int]],
             every: list[list[Support]]) -> tuple[list[tuple[str, list[int]]], list[list[int]]]:
    """Claims whose cited passages do not support them but another does, cited to the best of those."""
    out_claims, out_valid = [], []
    for (sentence, numbers), ns, found in zip(claims, valid, every):
        backers = [n for n, support in enumerate(found, 1) if support.supported]
        if backers and not any(n in backers for n in ns):
            best = max(backers, key=lambda n: found[n - 1].cosine)
            sentence, numbers, ns = _cite(claim(sentence), best), [best], [best]
        out_claims.append((sentence, numbers))
        out_valid.append(ns)
    return out_claims, out_valid


def _cite(sentence: str, n: int) -> str:
    """``sentence`` with the marker ``[n]`` before its full stop, outside a quotation that closes before it.

    >>> _cite('It wants "full pay restoration".', 1), _cite('He said "no."', 2), _cite("Talks failed", 3)
    ('It wants "full pay restoration" [1].', 'He said "no [2]."', 'Talks failed [3]')
    """
    stop = re.search(r"[.!?]+$", sentence) or re.search(r"[.!?]+[\"'”’)]+$", sentence)
    end = stop.start() if stop else len(sentence)
    return f"{sentence[:end]} [{n}]{sentence[end:]}"


def overlap_share(text: str, passage: str, question: str = "") -> float:
    """Share of the text's content words (stemmed) that the passage holds, or the question it answers gave;
    0 when the passage adds none of them (a restated question is no answer).

    >>> overlap_share("Doctors went on strike", "The junior doctors are striking today")  # "went" is missing
    0.6666666666666666
    >>> overlap_share("Barclay invited doctors to talks", "Barclay invited doctors", "Who invited doctors to talks?")
    1.0
    >>> overlap_share("Doctors were invited to talks", "Barclay spoke", "Who invited doctors to talks?")
    0.0
    """
    mine, held, given = set(words(text)), set(words(passage)), set(words(question))
    if not mine or not (mine & held) - given:
        return 0.0
    return len(mine & (held | given)) / len(mine)


# Clause boundaries: punctuation, conjunctions, and the subordinators that open a condition or a time ("... to
# re-ballot if pay had not been restored when the mandate runs out in August": the mandate is not denied).
_CLAUSE = re.compile(r"\s*(?:[,;:\u2013\u2014]|\s(?:but|while|whereas|although|though|and|if|unless|when|because|"
                     r"until|after|before|since)\s)\s*", re.IGNORECASE)


def negation_agrees(text: str, sentence: str) -> bool:
    """``text`` is negated exactly when ``sentence`` is, or it is not negated and takes no content word from
    the negated clauses of ``sentence`` that its other clauses lack (the negation is about something else: in
    "'Doctors feel they have no option,' said Malawana, chair of the doctors committee", "doctors" is in both,
    and "Malawana is chair of the doctors committee" is not denied).

    >>> sentence = "The email leaked to the Telegraph but the BMA did not dispute it."
    >>> negation_agrees("It leaked to the Telegraph", sentence), negation_agrees("The BMA disputed it", sentence)
    (True, False)
    """
    negated = bool(_NEGATION.search(text))
    if negated == bool(_NEGATION.search(sentence)):
        return True
    clauses = _CLAUSE.split(sentence)
    denied = {w for c in clauses if _NEGATION.search(c) for w in words(c)}
    affirmed = {w for c in clauses if not _NEGATION.search(c) for w in words(c)}
    return not negated and not set(words(text)) & (denied - affirmed)


def citation_counts(answer: Answer, checker: Checker) -> tuple[int, int, int]:
    """(sentences, sentences citing a passage, cited sentences that a citation of theirs backs) of an answer;
    all 0 for a refusal. The same test for every answerer, so their citation precision compares."""
    if answer.refused:
        return 0, 0, 0
    by_number = {c.n: c for c in answer.citations}
    pairs = [(claim(s), [Hit(by_number[n].chunk, by_number[n].score) for n in numbers if n in by_number])
             for s, numbers in split_claims(answer.text)]
    found = checker.supports(pairs, {c.article.id: c.article for c in answer.citations}, answer.question)
    cited = sum(1 for _, hits in pairs if hits)
    backed = sum(1 for (_, hits), f in zip(pairs, found) if hits and any(x.supported for x in f))
    return len(pairs), cited, backed
