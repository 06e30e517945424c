"""Who a claim says did something, when that is a common noun: "The government expressed concern ...".

The check requires a claim's names (capitalised) near the passage sentence it restates, but not its lower-case
subject, so "The government expressed concern about the impact of the strikes [1]." passed on "NHS England has
expressed concern about the impact of the strikes ...": every other word is there. Such a subject, read from the
claim's opening words up to its verb, must stand near that sentence too.

>>> subject("The government expressed concern about the strikes [1].")
'government'
>>> subject("The next strike is planned for February 10 [1]."), subject("Pay restoration means a 35% rise.")
('strike', None)
>>> subject_agrees("The government expressed concern.", "NHS England has expressed concern.")
False

A named subject can be put in another's place too: "Jeremy Hunt condemned Hunt's handling of the strike [1]." on
"Labour condemned Hunt's handling of the strike", where every name of the claim stands. Where the passage has the
claim's verb with a named doer of its own, that doer must share a word with the claim's subject.

>>> doer_agrees("Jeremy Hunt condemned Hunt's handling.", "On the same day Labour condemned Hunt's handling.")
False
>>> doer_agrees("Hunt vetoed the offer.", "This was vetoed by health secretary Jeremy Hunt.")
True
>>> doer_agrees("Victoria Atkins: I have said I will meet them.", "Victoria Atkins: I have said I will meet them.")
True

Words can be put in another's mouth the same way: "Johann Malawana, chair of the BMA's junior doctors committee,
said they are taking the action because ..." restated "Doctors say they are taking the action because ...", the
sentence before his own quote. Where the sentence a claim restates says who says it, that is the claim's speaker.

>>> speaker_agrees("Malawana said they strike because talks failed.", "Doctors say they strike because talks failed.")
False
>>> speaker_agrees("The BMA said doctors feel they have no option.",
...                "“Doctors feel they have no option,” said Johann Malawana, chair of the British Medical Association")
True

A quotation is someone's words too: "Hunt said he was handling the strike “equally at fault”" quoted "A further 18
per cent said both sides were “equally at fault”", the sentence beside the one it restates. Where the passage
sentence holding a claim's quotation says who says it, that is the claim's speaker.

>>> quote_speaker_agrees("Hunt said the sides were “equally at fault”.",
...                      "A further 18 per cent said both sides were “equally at fault”. Labour condemned Hunt.")
False
"""

from __future__ import annotations

import re

from rag.ask.names import SAYING_OR_THINKING, SAYS, acronyms_in
from rag.text.sentences import sentence_spans
from rag.text.words import words

# Words that open a subject without being its head: "the next strike", "all four unions".
_OPENERS = frozenset("the a an this these those some many most all any each every its their his her our your "
                     "next first last new other both such".split())
# Where a subject ends: an auxiliary, a verb of saying, or a past form, regular ("expressed") or irregular ("got":
# without it "The nurses got a 35% rise" had no subject to check, and the doctors' rise passed as the nurses').
_VERB = re.compile(r"^(?:is|are|was|were|has|have|had|will|would|could|can|may|might|should|must|do|does|did|said|"
                   r"says|say|got|took|gave|made|paid|won|lost|met|sent|spent|left|led|held|kept|told|began|brought|"
                   r"bought|thought|felt|found|wrote|rose|fell|ran|came|went|saw|knew|grew|drew|chose|broke|spoke|"
                   r"stood|sold|became|struck|fought|sought|taught|caught|meant|heard|built|shut|hit|\w{3,}ed)$",
                   re.IGNORECASE)
_ENDS = frozenset({",", "who", "which"})
# A subject that is a pronoun or "there" points elsewhere; one that names the source ("The article says ...") is
# the citation's own heading and publisher, which the reader sees.
_NOT_HEADS = frozenset("they he she it there we i you this that these those one article articles report reports "
                       "writer author story piece paper reporter journalist source sources".split())
_TOKEN = re.compile(r"[A-Za-z][\w'’-]*|,")
# The most words a subject runs to before its verb; past that the opening is no plain subject.
_LONGEST = 4
# Verbs of doing and saying whose doer a restatement can swap; "is" or "has" alone says too little to compare.
_DOING = re.compile(r"^(?:said|says|told|wrote|\w{3,}ed)$", re.IGNORECASE)
# Words that stand between a doer and its verb ("Malawana also said", "NHS England has expressed").
_BETWEEN = frozenset("has have had also then later recently previously now".split())
# A verb going on ("The BMA is asking ..."), compared with the passage's use of it in another form ("asked").
_PROGRESSIVE = frozenset("is are was were".split())
_ONGOING = re.compile(r"^\w{3,}ing$", re.IGNORECASE)
# Where a doer, read backwards from its verb, starts: punctuation, or a clause's first word.
_CLAUSE = frozenset("and but that which who whom while as".split())
# Two words with only a space between them (no full stop or comma), found at every word's start.
_NEIGHBOURS = re.compile(r"\b(?=([a-z]+) +([a-z]+)\b)")
_PASSAGE_TOKEN = re.compile(r"[A-Za-z][\w'’&-]*|[^\w\s]")
_SAYING = re.compile(rf"^(?:{SAYS})$", re.I)
# How a passage may give someone words or thoughts besides ``SAYING_OR_THINKING``: "Junior doctors were expecting
# to be joined by midwives" (the doctors', not the midwives'), "Medics ... posed with placards saying: ..." (the
# medics', not the patients').
_ALSO_SAYING = re.compile(r"^(?:expect|expects|expected|expecting|hope|hopes|hoped|hoping|thinking|believing|"
                          r"feeling|saying|telling|writing|claiming|insisting|warning|arguing|stating|tweeting)$", re.I)
# Where a speaker's words, read from the verb of saying, stop: a sentence's end or a quotation mark.
_BOUNDS = frozenset('.!?:;"“”‘')
# Who says it, when a pronoun: someone the sentences before name.
_PRONOUNS = frozenset("he she they it we i you this that".split())
# The most words of a claim read for its speaker and the verb of saying after it (past an apposition: "Johann
# Malawana, chair of the British Medical Association's junior doctors committee, said ...").
_SPEAKER_REACH = 20


def subject(claim: str) -> str | None:
    """The head noun of the claim's subject when it is a plain lower-case one; None for a name (names are checked
    on their own), a pronoun, or an opening whose verb this cannot find."""
    found: list[str] = []
    for token in _TOKEN.findall(claim)[: _LONGEST + 3]:
        if token in _ENDS or _VERB.match(token):
            break
        found.append(token)
    else:
        return None
    if not found or len(found) > _LONGEST or any(t[0].isupper() for t in found[1:]):
        return None
    if found[0][0].isupper() and found[0].lower() not in _OPENERS:
        return None
    head = found[-1].lower()
    if head in _OPENERS or head in _NOT_HEADS or head.endswith("ly") or not head.isalpha():
        return None
    return head


def opening(claim: str) -> list[str]:
    """The claim's words before its verb, appositions and all, or none where no verb comes within reach.

    >>> opening("David Cameron, the prime minister, has called it his miners' strike.")
    ['David', 'Cameron', ',', 'the', 'prime', 'minister', ',']
    """
    tokens = _TOKEN.findall(claim)[:_SPEAKER_REACH]
    verb = next((i for i, t in enumerate(tokens) if _VERB.match(t)), None)
    return tokens[:verb] if verb is not None else []


def subject_agrees(claim: str, near: str) -> bool:
    """Whether ``near`` (the passage sentences the claim restates) holds the claim's plain subject, if any.

    >>> near = "Doctors were willing to keep striking until they got full pay restoration, a 35% rise."
    >>> subject_agrees("The doctors got a 35% rise.", near), subject_agrees("The nurses got a 35% rise.", near)
    (True, False)
    >>> subject_agrees("The walkout will begin on March 13.", "Doctors will walk out on Monday, March 13.")
    True
    """
    head = subject(claim)
    return head is None or set(words(head)) <= set(words(near)) | _joined(near)


def _joined(text: str) -> set[str]:
    """Each two neighbouring words of ``text`` written as one, as matching words: a writer's "walk out" is
    another's "walkout" (a hyphen already joins them in ``words``).

    >>> sorted(_joined("They walk out"))
    ['theywalk', 'walkout']
    """
    return set(words(" ".join(a + b for a, b in _NEIGHBOURS.findall(text.lower()))))


def doer_agrees(claim: str, near: str) -> bool:
    """Whether ``near`` gives the claim's verb to the claim's subject: False only where every use of that verb in
    ``near`` (in any form: "is asking" and "asked" are one verb) has a named doer (a capitalised word past a
    sentence's first) sharing no word with the subject.

    >>> doer_agrees("The BMA is asking for cancer services to be exempt.", "NHS England asked the BMA to exempt them.")
    False
    """
    tokens = _TOKEN.findall(claim)[: _LONGEST + 3]
    at = next((i for i, t in enumerate(tokens) if t in _ENDS or _VERB.match(t)), None)
    if at is None or tokens[at] == ",":
        return True
    doing = _DOING
    if tokens[at].lower() in _BETWEEN and at + 1 < len(tokens):
        at += 1
    elif tokens[at].lower() in _PROGRESSIVE and at + 1 < len(tokens) and _ONGOING.match(tokens[at + 1]):
        at, doing = at + 1, _ONGOING
    mine = set(words(" ".join(t for t in tokens[:at] if t.lower() not in _BETWEEN | _PROGRESSIVE)))
    if not mine or not doing.match(tokens[at]):
        return True
    verb = words(tokens[at])
    passage = _PASSAGE_TOKEN.findall(near)
    uses = [i for i, t in enumerate(passage)
            if t.lower() == tokens[at].lower() or (_DOING.match(t) and words(t) == verb)]
    return not uses or any(_doer_is(mine, passage, i) for i in uses)


def _doer_is(mine: set[str], passage: list[str], verb: int) -> bool:
    """Whether the passage's use of a verb at ``verb`` may be the claim's subject's: a passive ("vetoed by"), a
    doer that shares a word with ``mine``, or one with no name to contradict it ("the group said")."""
    if verb + 1 < len(passage) and passage[verb + 1].lower() == "by":
        return True
    doer: list[str] = []
    i = verb - 1
    while i >= 0 and passage[i].lower() in _BETWEEN:
        i -= 1
    while i >= 0 and len(doer) < _LONGEST and passage[i][0].isalpha() and passage[i].lower() not in _CLAUSE:
        doer.insert(0, passage[i])
        i -= 1
    if doer and doer[-1].lower() in _PRONOUNS:  # "Victoria Atkins: I have said ...": someone named elsewhere
        return True
    opens_sentence = i < 0 or passage[i] in ".!?"
    named = [t for j, t in enumerate(doer) if t[0].isupper() and (j > 0 or not opens_sentence or t.isupper())]
    return not named or bool(mine & set(words(" ".join(doer))))


def speaker_agrees(claim: str, closest: str) -> bool:
    """Whether the claim's speaker ("X said ...", "X, chair of Y, said ...") is who says it in ``closest``, the
    passage sentence it restates: False only where that sentence says who speaks (a verb of saying with someone
    other than a pronoun beside it) and none of them shares a word or an acronym with the claim's speaker. Who
    thinks or expects something counts as who says it ("Midwives think ..." is not "Junior doctors were expecting").

    >>> speaker_agrees("Midwives think doctors will be joined by midwives.",
    ...                "Junior doctors were expecting to be joined by midwives.")
    False
    """
    tokens = _TOKEN.findall(claim)[:_SPEAKER_REACH]
    said = next((i for i, t in enumerate(tokens) if SAYING_OR_THINKING.match(t)), None)
    if said is None:
        return True
    cut = tokens.index(",") if "," in tokens[:said] else said
    speaker = [t for t in tokens[:cut] if t.lower() not in _BETWEEN]
    if (not speaker or len(speaker) > _LONGEST
            or tokens[said - 1] not in (",", speaker[-1]) and tokens[said - 1].lower() not in _BETWEEN):
        return True  # no plain "X said": the verb belongs to a clause, or follows a quote ("...," said X)
    mine = speaker_words(" ".join(speaker))
    passage = _PASSAGE_TOKEN.findall(closest)
    verbs = [i for i, t in enumerate(passage) if SAYING_OR_THINKING.match(t) or _ALSO_SAYING.match(t)]
    speakers = [_speaker_at(passage, i) for i in verbs]
    known = [who for who in speakers if who and who[0].lower() not in _PRONOUNS]
    if not mine or not known or len(known) < len(speakers):
        return True
    # Where the sentence gives words to several ("The BMA claims the contract fails ..., whereas the Government
    # says ..."), the claim's speaker is who says what the claim goes on to say.
    rest = _TOKEN.findall(claim)[said + 1:]
    ends = [i for i, t in enumerate(rest) if SAYING_OR_THINKING.match(t) or _ALSO_SAYING.match(t)]
    whose = _whose_words(rest[:ends[0]] if ends else rest, passage, verbs)
    return any(mine & speaker_words(" ".join(w)) for w in ([speakers[whose]] if whose is not None else known))


def _whose_words(said: list[str], passage: list[str], verbs: list[int]) -> int | None:
    """Which of the passage's verbs of saying (``verbs``, positions in ``passage``) gives the words ``said``: the
    one whose words, up to the next such verb, share the most of them, where one shares more than every other;
    None where none does.

    >>> p = _PASSAGE_TOKEN.findall("The BMA claims the contract fails, whereas the Government says it is fair.")
    >>> _whose_words("the contract fails".split(), p, [2, 10])
    0
    """
    mine = set(words(" ".join(said)))
    # A quote given first ("'...,' said Malawana") is the words before its verb; others' words follow their verb.
    shared = [len(mine & set(words(" ".join(passage[:v] if _quote_first(passage, v) else passage[v + 1:end]))))
              for v, end in zip(verbs, verbs[1:] + [len(passage)])]
    best = max(shared, default=0)
    return shared.index(best) if best and shared.count(best) == 1 else None


# A claim's quotation: words between quotation marks, two or more, as the passage writes them.
_QUOTATION = re.compile(r"[\"“]([^\"“”]+?)[\"”]")


def quote_speaker_agrees(claim: str, passage: str) -> bool:
    """Whether every passage sentence that holds one of the claim's quotations gives it to the claim's speaker
    (``speaker_agrees`` with that sentence): False only where such a sentence names someone else saying it."""
    held = ""
    for match in _QUOTATION.finditer(claim):
        quoted = _plain(match.group(1)).strip(" .,;:…")
        held = held or _plain(passage)
        if len(quoted.split()) < 2 or quoted not in held:  # most passages a claim is read against lack it
            continue
        for start, end in sentence_spans(passage):
            sentence = passage[start:end]
            if quoted in _plain(sentence) and not speaker_agrees(claim, sentence):
                return False
    return True


def _plain(text: str) -> str:
    return " ".join(text.replace("’", "'").split()).lower()


def _before(passage: list[str], verb: int) -> list[str]:
    """The words before ``passage[verb]`` back to its sentence's or clause's start (who says it, if anyone)."""
    i = verb - 1
    while i >= 0 and passage[i].lower() in _BETWEEN:
        i -= 1
    before: list[str] = []
    while i >= 0 and len(before) < _SPEAKER_REACH and passage[i] not in _BOUNDS and passage[i].lower() not in _CLAUSE:
        before.insert(0, passage[i])
        i -= 1
    return [t for t in before if t[0].isalpha()]


def _quote_first(passage: list[str], verb: int) -> bool:
    """Whether the verb of saying at ``passage[verb]`` follows what is said, its speaker after it."""
    return not _before(passage, verb)


def _speaker_at(passage: list[str], verb: int) -> list[str]:
    """Who says it at ``passage[verb]``: the words before the verb back to its sentence's or clause's start,
    appositions and all ("Chief strategy officer, Chris Hopson, told ..."), or, where a quote comes first, those
    after it up to the sentence's end ("..., said Johann Malawana, chair of the BMA")."""
    before = _before(passage, verb)
    if before:
        return before
    after = []
    for token in passage[verb + 1:_SPEAKER_REACH + verb]:
        if token in _BOUNDS:
            break
        after.append(token)
    return [t for t in after if t[0].isalpha()]


def speaker_words(text: str) -> set[str]:
    """The words of a speaker, with the acronyms its names spell out ("British Medical Association" is "bma")."""
    return set(words(text)) | acronyms_in(text)
