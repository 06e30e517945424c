"""The names and years a question uses, and whether the retrieved passages speak of them together.

A question about someone no article mentions is refused (``ExtractiveAnswerer.unknown_names``); so is one that
joins names the articles mention only apart ("What did the nurses' union say about Hunt?"), and an answer
resting on sentences that never name what the question asks about, or never give a figure it states
(``rests_on_terms``, with ``rag.ask.figures``).

>>> names_in("What did Steve Barclay tell the BMA?")
['Steve Barclay', 'BMA']
"""

from __future__ import annotations

import re
from typing import Iterable, Mapping, Sequence

from rag.ask.figures import gives_figures
from rag.ask.question import dated, years_in
from rag.text.dateline import MONTHS, WEEKDAYS, date_words
from rag.text.sentences import speaker_over
from rag.text.words import kin, words
from rag.types import Article, Chunk, Hit

_NAME_WORD = r"(?:[A-Z][\w'’-]*[a-z][\w'’-]*|[A-Z]{2,}[\w-]*)"
_NAME = re.compile(rf"(?<![\w'’]){_NAME_WORD}(?:\s+{_NAME_WORD})*")
# Months and days: dates, not names (the English ones, as the pipeline's text is English).
_CALENDAR = re.compile("|".join(MONTHS + WEEKDAYS))
# A name as written whole, "of" and all ("Royal College of Nursing"), for naming it back to the reader.
_WRITTEN = re.compile(rf"{_NAME.pattern}(?:\s+(?:of|for)(?:\s+the)?\s+{_NAME_WORD}(?:\s+{_NAME_WORD})*)*")
_ACRONYM = re.compile(r"[A-Z]{2,5}s?")
_ROMAN = re.compile(r"[IVX]+")
_DEMONYM = re.compile(r"^[A-Z][a-z]+(?:ian|ish|ese|ean)s?$")  # "Palestinian", "Scottish": adjectives, not names
# A demonym's place as its first letters: "Scottish" is "Scot" (Scotland), "Palestinian" "Pale" (Palestine).
_PLACE = re.compile(r"(?:ian|ish|ese|ean|an)?s?$")
# Verbs that report what someone said or wrote ("saying" is left out: in a claim, "The BMA responded, saying ..." is
# the BMA's, with no speaker to compare).
SAYS = ("say|says|said|tell|tells|told|claim|claims|claimed|insist|insists|insisted|warn|warns|warned|write|writes|"
        "wrote|add|adds|added|argue|argues|argued|state|states|stated|tweet|tweets|tweeted")
# Verbs that give someone thoughts, as verbs of saying give them words: "Midwives think ...".
SAYING_OR_THINKING = re.compile(rf"^(?:{SAYS}|think|thinks|thought|believe|believes|believed|feel|feels|felt)$", re.I)
# What "What did X say?" asks of X in its own verb, whatever verb the answer gives ("add", "write" or "state" often
# ask something else: "What did the Times add to the definition?").
_SAY_OR_THINK = re.compile(r"^(?:say|says|said|tell|tells|told|think|thinks|thought|believe|believes|believed|feel|"
                           r"feels|felt)$", re.I)
# What a question asks someone said about: "say about the contract", "think of the offer"; not "say about why ...",
# which asks for a reason, not of a topic, and not "say on Monday", which dates it.
_TOPIC = re.compile(r"\b(?:say|says|said|think|thinks|thought|feel|feels|felt|write|writes|wrote|claim|claims|"
                    r"claimed|argue|argues|argued|warn|warns|warned)\s+(?:about|of)\s+"
                    r"(?!(?:why|how|what|when|where|who|whom|whether|if)\b)([^?!.]+)", re.I)


def names_in(question: str) -> list[str]:
    """The names a question uses: runs of capitalised words, past its own first word.

    >>> names_in("What did Jeremy Hunt say about the Royal College of Nursing?")
    ['Jeremy Hunt', 'Royal College', 'Nursing']
    """
    return [name for name in _runs(question) if not _DEMONYM.search(name)]


def _runs(text: str) -> list[str]:
    """Runs of capitalised words, the text's own first word left out (capitalised anyway)."""
    runs = (m.group(0) if m.start() else m.group(0).partition(" ")[2] for m in _NAME.finditer(text))
    return [run for run in runs if run]


def demonyms_in(text: str) -> list[str]:
    """The words of a people or place that ``names_in`` leaves out, past the text's own first word: a question or a
    claim may call the Gaza medics "Palestinian", but not the government "Scottish" where no passage near it says
    so.

    >>> demonyms_in("What did the Scottish government offer Palestinian medics?")
    ['Scottish', 'Palestinian']
    >>> demonyms_in("The Scottish government offered 11 per cent [1].")
    ['Scottish']
    """
    return [name for name in _runs(text) if _DEMONYM.search(name)]


def placed(demonyms: Sequence[str], near: str) -> bool:
    """Every demonym has its place, or a word sharing its first letters, in ``near``: "Scottish" is placed by
    "Scotland", "Palestinian" by "Palestine", but neither by "the Government".

    >>> placed(["Scottish"], "Scotland's only refinery"), placed(["Scottish"], "The Government offered 11 per cent")
    (True, False)
    """
    held = {w.lower() for w in re.findall(r"[A-Za-z]+", near)}
    return all(any(w.startswith(_PLACE.sub("", d)[:4].lower()) for w in held) for d in demonyms)


def as_written(question: str, terms: Sequence[str]) -> list[str]:
    """Each of ``terms`` (names and years of ``question``) as the question writes it whole: ``names_in`` reads
    "the Royal College of Nursing" as two names, each checked on its own, but a refusal names it as one.

    >>> as_written("What did the Royal College of Nursing say about Hunt in 2016?", ["Royal College", "Nursing",
    ...            "Hunt", "2016"])
    ['Royal College of Nursing', 'Hunt', '2016']
    >>> as_written("What NLH teams are there?", ["NLH"])  # the question's own first word is no part of a name
    ['NLH']
    """
    whole = [m.group(0) if m.start() else m.group(0).partition(" ")[2] for m in _WRITTEN.finditer(question)]
    return list(dict.fromkeys(next((w for w in whole if re.search(rf"(?<!\w){re.escape(t)}(?!\w)", w)), t)
                              for t in terms))


# "Who is Steve Barclay?", "What was the Daily Telegraph?": who or what, then the name alone.
_IDENTITY = re.compile(r"^\s*(?:who|what)\s+(?:is|are|was|were)\s+(?:the\s+)?(?P<name>[^?]+?)\s*\??\s*$", re.I)
# A name whole, its small joining words and all: "Department of Health and Social Care".
_WHOLE = re.compile(rf"{_NAME_WORD}(?:\s+(?:(?:of|for|and|&)(?:\s+the)?\s+)?{_NAME_WORD})*")


def asked_about(question: str) -> str:
    """What a "Who/What is ...?" question asks about, as typed, or "" for a question of another form.

    >>> asked_about("Who are the BMA?"), asked_about("what is the daily telegraph"), asked_about("Why strike?")
    ('BMA', 'daily telegraph', '')
    """
    match = _IDENTITY.match(question)
    return match.group("name") if match else ""


def asks_identity(question: str, written: str = "") -> bool:
    """Whether ``question`` asks only who or what a name is: what the articles say of it answers that, even where
    none of them says it in so many words ("What is Acas?" and "hosted by conciliation service Acas"). A name
    typed in lower case, as in a chat, counts where ``written`` (the passages) writes it as a name.

    >>> asks_identity("Who is Steve Barclay?"), asks_identity("What is the Department of Health and Social Care?")
    (True, True)
    >>> asks_identity("Who is leading the doctors?"), asks_identity("What was Sky Travel later rebranded as?")
    (False, False)
    >>> asks_identity("who is steve barclay", "The Rt Hon Steve Barclay said"), asks_identity("who is leading", "")
    (True, False)
    """
    name = asked_about(question)
    if not name or _WHOLE.fullmatch(name):
        return bool(name)
    typed = re.search(rf"(?<!\w){re.escape(name)}(?!\w)", written, re.IGNORECASE) if name.islower() else None
    return typed is not None and _WHOLE.fullmatch(typed.group(0)) is not None


def named_apart(question: str, hits: list[Hit], articles: Mapping[str, Article]) -> list[str]:
    """The names and years of a question that ask about two or more things, when no passage of ``hits``
    speaks of them all (with its article's title, publisher, and the year and month of its date); else [].

    A name counts as there when most of its words are ("Mr Hunt" for "Jeremy Hunt"); a year when the passage
    names it or its article is dated then. "What did the nurses' union say about Hunt?" is refused when the
    union and Hunt appear only in different articles: an answer would join what the articles keep apart.

    >>> from rag.types import Chunk
    >>> a = Article("a", "Hunt spoke. Barclay wrote.", "Talks", "Wire", "2016-01-05")
    >>> hits = [Hit(Chunk("a#0", "a", "Hunt spoke.", 0, 11, ()), 1.0),
    ...         Hit(Chunk("a#1", "a", "Barclay wrote.", 12, 26, ()), 0.9)]
    >>> named_apart("What did Hunt say about Barclay?", hits, {"a": a})
    ['Hunt', 'Barclay']
    >>> named_apart("What did Hunt say in 2016?", hits, {"a": a})
    []
    >>> b = Article("b", "The British Medical Association voted.", "Deal", "AP", "2024-09-18")
    >>> named_apart("How did the BMA vote in 2024?", [Hit(Chunk("b#0", "b", b.text, 0, 38, ()), 1.0)], {"b": b})
    []
    """
    names = list(dict.fromkeys(names_in(question)))
    years = frozenset(years_in(question))
    if len(names) + len(years) < 2:
        return []
    for hit in hits:
        article = articles[hit.chunk.article_id]
        held = f"{hit.chunk.text} {article.title} {article.publisher or ''} {date_words(article.date)}"
        in_year = not years or dated(article.date, hit.chunk.text, years)
        if in_year and _all_named(names, held):  # "BMA" for "the British Medical Association" too
            return []
    return names + sorted(years)


def _mostly(stems: list[str], held: set[str]) -> bool:
    return not stems or 2 * sum(s in held for s in stems) >= len(stems)


def names_agree(text: str, near: str) -> bool:
    """Every name ``text`` uses is in ``near`` (the passage sentence closest to it, with its neighbours): a
    claim that puts one party's words in another's mouth reads as similar to both measures.

    >>> near = "The BMA claims the new contract would cut out of hours pay."
    >>> names_agree("The BMA says the contract cuts out of hours pay.", near)
    True
    >>> names_agree("NHS Employers claims the contract cuts out of hours pay.", near)
    False
    >>> names_agree("The BMA said so.", "The British Medical Association said so.")  # an acronym, spelt out
    True
    >>> names_agree("The British Medical Association said so.", "The BMA said so.")
    True
    >>> names_agree("Talks ended, said Hunt.", "Talks ended, Health officials said.")  # one initial is no acronym
    False
    >>> names_agree("NHS Providers said so.", "NHS England said so.")  # the acronym is an umbrella
    False
    >>> names_agree("The Scottish government offered a rise.", "The Government offered a rise.")  # a people, too
    False
    """
    return _all_named(names_in(text), near) and placed(demonyms_in(text), near)


def _all_named(names: list[str], near: str) -> bool:
    """Every name is in ``near``, an acronym spelt out or a name by its acronym: ``_all_named(["Hunt"], "Health
    officials said")`` is False (one initial is no acronym).
    """
    held = set(words(near)) | acronyms_in(near)
    return all(name.lower() in held or (len(_initials(name)) > 1 and _initials(name) in held)
               or _mostly(_picking(name), held) for name in names)


def acronyms_in(text: str) -> set[str]:
    """The acronyms a text's names spell out (one initial is no acronym).

    >>> sorted(acronyms_in("Malawana, chair of the British Medical Association's committee"))
    ['bma']
    """
    return {i for m in _NAME.finditer(text) for i in [_initials(m.group(0))] if len(i) > 1}


def _picking(name: str) -> list[str]:
    """The words of ``name`` that pick it out: beside an acronym, the others ("NHS Providers" is not named by a
    passage about NHS England: ``_picking("NHS Providers") == ["provid"]``; "Richard II" keeps both).
    """
    parts = name.split()
    umbrella = [w for w in parts if _ACRONYM.fullmatch(w) and not _ROMAN.fullmatch(w)]
    rest = [w for w in parts if w not in umbrella]
    return words(" ".join(rest if umbrella and rest else parts))


def _initials(name: str) -> str:
    """"The British Medical Association" -> "bma": how an acronym is spelt out."""
    return "".join(w[0] for w in name.split() if w not in ("The", "A", "An")).lower()


def rests_on_terms(question: str, backing: Iterable[tuple[Chunk, Sequence[tuple[int, int]]]],
                   articles: Mapping[str, Article]) -> bool:
    """Whether the passage sentences an answer rests on (``backing``: each cited passage with the spans of its
    sentences that back the answer), with their neighbours and their articles' titles and publishers, name all
    the question names, and give the figures it states ("What did the mayor say about the 5% rise?" is not answered
    by a sentence of the mayor's that gives no 5; the article's date counts). Months and days are dates, not
    names: "What happens if they don't get it by August?" may rest on "... runs out in the summer".

    "What did Jeremy Hunt say about the Gaza doctors' messages?" answered with Hunt's appointment of Dalton: the
    passage is about Hunt, but nothing the answer rests on speaks of Gaza. What the question asks someone said
    about must be near too (``speaks_of``).

    >>> a = Article("a", "Hunt spoke. Talks failed. Gaza medics wrote.", "Talks", "Wire", "2016-03-05")
    >>> chunk = Chunk("a#0", "a", a.text, 0, 44, ((0, 11), (12, 25), (26, 44)))
    >>> rests_on_terms("What did Hunt say on Monday in March?", [(chunk, [(0, 11)])], {"a": a})
    True
    >>> rests_on_terms("What did Hunt say about Gaza?", [(chunk, [(0, 11)])], {"a": a})
    False
    >>> rests_on_terms("What did Hunt say about talks?", [(chunk, [(0, 11)])], {"a": a})
    True
    >>> rests_on_terms("What did Hunt say about weekends?", [(chunk, [(0, 11)])], {"a": a})
    False
    """
    near = backing_text(backing, articles)
    return names_given(question, near) and speaks_of(question, near)


def backing_text(backing: Iterable[tuple[Chunk, Sequence[tuple[int, int]]]], articles: Mapping[str, Article]) -> str:
    """The sentences an answer rests on, with their neighbours, their articles' titles, publishers and dates, and
    who speaks them (an interview's question and opening, a transcript's label)."""
    near = []
    for chunk, spans in backing:
        article = articles[chunk.article_id]
        near.append(f"{article.title} {article.publisher or ''} {article.date or ''}")
        order = list(chunk.sentences)
        for span in spans:
            at = order.index(span) if span in order else None
            near += [article.text[a:b] for a, b in (order[max(0, at - 1): at + 2] if at is not None else [span])]
            near.append(speaker_over(article.text, span))  # who "I" is, under an interview's question
    return " ".join(near)


def names_given(question: str, near: str) -> bool:
    """``near`` names all the question names (months and days aside) and gives every figure it states."""
    names = [n for n in names_in(question) if not _CALENDAR.fullmatch(n)]
    return _all_named(names, near) and gives_figures(question, near)


def speaks_of(question: str, near: str, every: bool = False) -> bool:
    """``near`` holds a word of what the question asks someone said about (``every`` word of it, where asked), or
    one derived from it, if it asks so."""
    about = topic_words(question)
    held = set(words(near)) if about else set()
    found = [any(kin(t, w) for w in held) for t in about]
    return all(found) if every else not about or any(found)


def shares_a_word(question: str, text: str) -> bool:
    """``text`` holds a word of ``question`` other than its names and question words, or one derived from it (or
    the question has none): an answer that holds none speaks of something else, unless it gives a name ("who")
    or a reason ("why"), which the question cannot hold.

    >>> shares_a_word("What does Ann Lee say to patients?", "Ann Lee is a doctor in Leeds.")
    False
    >>> shares_a_word("What does Ann Lee say to patients?", "She says patients come first.")
    True
    >>> shares_a_word("What did NHS England say?", "NHS England has expressed concern."), shares_a_word(
    ...     "What did the Times add to the list?", "The Times added a county.")
    (True, True)
    """
    # "What did NHS England say?" is answered by what it said, in whatever verb ("NHS England has expressed
    # concern ..."): "say" or "think" is no word the answer must hold.
    reporting = {w for t in re.findall(r"[A-Za-z]+", question) if _SAY_OR_THINK.match(t) for w in words(t)}
    asked = set(words(question)) - _named_words(question) - reporting
    held = set(words(text))
    return not asked or any(kin(t, w) for t in asked for w in held)


def topic_words(question: str) -> set[str]:
    """The words, besides names, of what a question asks someone said about: one of them must be near the
    sentences an answer rests on, so that "What did Hunt say about weekends?" is not answered by a quote of Hunt's
    on another matter.

    >>> sorted(topic_words("What did Jeremy Hunt say about the weekend pay offer?"))
    ['offer', 'pay', 'weekend']
    >>> topic_words("What did Hunt say about it?"), topic_words("What did he say about why they struck?")
    (set(), set())
    >>> topic_words("What did the leaked email say about August?")  # a month is no name the names rule reads
    {'august'}
    """
    match = _TOPIC.search(question)
    if not match:
        return set()
    return set(words(match.group(1))) - _named_words(question)


def _named_words(question: str) -> set[str]:
    """The words of the names ``question`` uses, which the names rule reads (``names_given``); a month or a day
    is no name to it, so it stays a word like any other."""
    return {w for name in names_in(question) if not _CALENDAR.fullmatch(name) for w in words(name)}
