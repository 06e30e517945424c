"""Recognise publisher boilerplate paragraph by paragraph: appeals, comment and share prompts, share bars,
cookie banners, related-story lists, newsletter sign-ups, photo file names, credits and captions, site headers,
a live blog's controls.

The rules are about how publishers wrap articles, never about a particular article.

>>> filter_paragraphs(["Doctors strike.", "SHARE", "RELATED ARTICLES", "Other story"])
['Doctors strike.']
"""

from __future__ import annotations

import re

# A paragraph matching one of these (whole, case-insensitive) is page furniture.
_FURNITURE = re.compile(
    r"^(?:\d+ comments?|leave a (?:reply|comment)|reuse this content|advertisement|"
    r"image (?:source|caption)s?\b.*|this article is more than .{1,20} old|listen to this article|"
    r"\d+ min(?:ute)?s? read|(?:first |last )?(?:published|updated|posted)(?: on)?|"
    r"(?:(?:published|updated|posted):? )?(?:an?|\d+) (?:sec|min|hour|hr|day|week|month|year)[a-z]* ago|"
    r"skip to (?:main )?content|read more|our standards:.*|"
    # a live blog's controls and key-event links ("1h ago Barclay: demands 'not affordable'"), whose entries stay
    r"skip to key events|(?:show )?key events(?: only)?|live feed|live reporting|"
    r"(?:please )?(?:turn on|enable) javascript.*|comments \(\d+\)|updated at \d{1,2}[.:]\d{2}(?: [a-z]{2,4})?|"
    r"\d+\s?(?:s|m|min|h|hr|d)s? ago\b.*|"
    r"this (?:interview|conversation|q&a|transcript) has been (?:edited|condensed|lightly edited)(?: and \w+)?"
    r" for (?:length|clarity|brevity).*|"
    # a comment piece's disclaimer: "The views expressed in this article are the author's own."
    r"(?:the )?(?:views|opinions)(?: and (?:views|opinions))? expressed(?: in this [\w ]{2,20}| here)? are "
    r"(?:those of )?the (?:author|writer)(?:'s|’s|s'|s’)?(?: own)?(?: and .*)?|"
    r"(?:sign up|subscribe)(?: to [\w ]+| now| here)?|follow us(?: on [\w ]+)?|"
    r"your email address will not be published.*|required fields are marked.*)[.:!]?$",
    re.IGNORECASE,
)
# Sharing buttons: a paragraph of them and separators alone ("Share", "Facebook Twitter Email", "Share | X") is
# page furniture.
_SHARE_BUTTON = re.compile(
    r"\b(?:share(?: this(?: article| story| page)?| on)?|facebook|twitter|tweet|x|email|e-mail|whatsapp|linkedin|"
    r"reddit|pinterest|messenger|telegram|bluesky|threads|print|copy(?: the)? link|copy|link|comments?|save|gift)\b",
    re.IGNORECASE,
)
# Headers after which the rest of the page is lists, forms and comments, once past the article's first third.
_TAIL = re.compile(
    r"^(?:related (?:articles|stories|content|posts|topics)|explore more on (?:this|these) topics?|"
    r"more from [\w .'’-]{2,40}|more on this story|"
    r"join (?:our|the) (?:commenting forum|conversation|discussion)|leave a (?:reply|comment)|\d+ comments?|"
    r"comments|get updates from [\w .-]{2,40}|you may also like|recommended(?: for you)?|most (?:read|popular)|"
    r"(?:sign up|subscribe) to (?:our|the) [\w ]*newsletters?)[.:!]?$",
    re.IGNORECASE,
)
# A list of links to other stories under its header on one line: "Related stories: Nurses reject pay | ...".
_LINKS = re.compile(
    r"^(?:related(?: (?:articles|stories|content|posts|topics|coverage))?|read more|see also|also read|"
    r"more on this(?: story)?|you may also like|recommended|most (?:read|popular)|topics)\s*:\s*\S",
    re.IGNORECASE,
)
# Reader appeals and calls to action; a paragraph with one of these and no quoted speech is an appeal.
_APPEAL = re.compile(
    r"\b(?:your (?:support|donation|contribution)|donat(?:e|ion|ions)|paywalls?|subscri(?:be|ption)|"
    r"newsletters?|sign up (?:for|to)|support (?:us|our journalism)|(?:independent|quality) journalism|"
    r"download our|follow us on|help us (?:to )?(?:tell|keep)|cookies?|privacy (?:policy|settings))\b",
    re.IGNORECASE,
)
_FIRST_PERSON = re.compile(r"\b(?:we|our|us)\b", re.IGNORECASE)
# Reporting about subscriptions or newsletters is news; the same words addressed to "you" from "us" are an appeal.
_ADDRESS = re.compile(r"\b(?:you|your|we|our|us)\b", re.IGNORECASE)
_QUOTED = re.compile(r"[\"“”]")
# Photo file names ("doc_markwinter", "24840146636_cf386e7737_k", "IMG_0042.jpg") standing alone.
_FILENAME = re.compile(r"^(?:[\w-]*_[\w-]*|[\w-]+\.(?:jpe?g|png|gif|webp|tiff?))$", re.IGNORECASE)
# Photo credits at the end of a caption: "(pic: Mark Winter)", "Credit: Steve Eason", "Photo: PA".
_CREDIT = re.compile(
    r"\s*(?:\((?:pic|photo|picture|image|credit)s?:[^)]*\)|"
    r"(?:credit|photo|picture|image|photograph)s?(?: by)?:\s*[^.]{0,60})\s*$",
    re.IGNORECASE,
)
_CALL_TO_ACTION = re.compile(r"^[\u25b6\u25ba\u27a4\u2192>»]\s*")
# A caption's label standing alone ("Image caption,"): the paragraph after it is the caption of a photo now gone.
_CAPTION_LABEL = re.compile(r"^(?:image|photo|picture|video) caption[,:]?$", re.IGNORECASE)


def filter_paragraphs(paragraphs: list[str], publisher: str | None = None) -> list[str]:
    """Keep the paragraphs that are reporting; drop boilerplate, credits and repeats."""
    total = sum(len(p) for p in paragraphs) or 1
    kept: list[str] = []
    seen = 0
    for n, paragraph in enumerate(paragraphs):
        seen += len(paragraph)
        if _TAIL.match(paragraph) and seen > total / 3:
            break
        if n and _CAPTION_LABEL.match(paragraphs[n - 1]) and len(paragraph.split()) < 30:
            continue
        text = _strip_credit(paragraph)
        if text != paragraph and len(text.split()) < 10:
            continue  # a short photo caption says little once its photo is gone
        if text and not _is_boilerplate(text, publisher) and not _repeats(text, kept, publisher):
            kept.append(text)
    while kept and kept[-1].endswith(":") and len(kept[-1].split()) <= 8:
        kept.pop()  # a heading left with nothing under it (its photos were removed)
    return kept


def _strip_credit(paragraph: str) -> str:
    text = _CREDIT.sub("", paragraph).strip()
    return "" if len(text) < 2 else text


def _is_boilerplate(text: str, publisher: str | None) -> bool:
    if _FURNITURE.match(text) or _TAIL.match(text) or _FILENAME.match(text) or _LINKS.match(text):
        return True
    if _buttons(text):
        return True
    if _CALL_TO_ACTION.match(text) and _APPEAL.search(text):
        return True
    if _QUOTED.search(text):
        return False
    if _APPEAL.search(text) and _ADDRESS.search(text):  # an appeal speaks to the reader or for the publisher
        return True
    # The publisher talking about itself ("The Independent is trusted by ...; we choose ...") is an appeal.
    return bool(publisher and _mentions(text, publisher) and _FIRST_PERSON.search(text))


def _buttons(text: str) -> bool:
    """Sharing buttons and nothing else between them but separators."""
    return bool(_SHARE_BUTTON.search(text)) and not re.sub(r"[\s|·•/,.:!]+", "", _SHARE_BUTTON.sub("", text))


def _repeats(text: str, kept: list[str], publisher: str | None) -> bool:
    """A short paragraph already said (a repeated caption, a site name split over lines) is a repeat."""
    if len(text.split()) > 8:
        return text in kept
    key = _norm(text)
    if publisher and key in _norm(publisher):
        return True
    return any(key in _norm(k) for k in kept)


def _mentions(text: str, name: str) -> bool:
    names = [n.strip() for n in re.split(r"[()]", name) if len(n.strip()) > 3]
    return any(re.search(rf"\b{re.escape(n)}\b", text, re.IGNORECASE) for n in names)


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()
