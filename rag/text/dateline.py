"""An article's date from its own top, in the forms publishers print it.

A pasted article rarely carries front matter, but its page did print the date: a leading "date 2023-03-11"
before the first sentence, or a line of its own: "18 September 2024", "Wed 18 Sep 2024 10.05 BST", "Published:
September 18, 2024", "Updated 10:12 AM GMT, September 18, 2024", "Updated 2024-09-18". A paragraph that is such
a line and nothing else is the page's date stamp, not reporting; a date inside a sentence is reporting and stays.

>>> take_date(["date 2023-03-11 Doctors strike.", "More."])
('2023-03-11', ['Doctors strike.', 'More.'])
>>> take_date(["Headline", "18 September 2024", "Doctors strike on 19 September 2024."])
('2024-09-18', ['Headline', 'Doctors strike on 19 September 2024.'])
>>> dateline("Wed 18 Sep 2024 10.05 BST")
'2024-09-18'
>>> dateline("Published: September 18, 2024")
'2024-09-18'
>>> take_date(["Debate", "House of Commons, 10 January 2024", "Ms Lee: Will she?"])[0]
'2024-01-10'
>>> dateline("The strike began on 18 September 2024.") is None
True
>>> wire_agency("LONDON, Dec 5 (Reuters) - Junior doctors in England will strike.")
'Reuters'
>>> named_period("What happened on January 12, 2016?"), named_period("What was the news on 11 March?")
(('2016-01-12', 'January 12, 2016'), ('-03-11', '11 March'))
"""

from __future__ import annotations

import re
from functools import lru_cache

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")  # the English names: the pipeline's text is English
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_NUMBER_OF = {m[:3].lower(): n for n, m in enumerate(MONTHS, 1)}
_MONTH = r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|" \
         r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_DATES = (
    rf"{_DAY} {_MONTH},? {_YEAR}",  # 18 September 2024
    rf"{_MONTH} {_DAY},? {_YEAR}",  # September 18, 2024
    r"(?P<iso>(?:19|20)\d\d-[01]\d-[0-3]\d)",  # 2024-09-18
)
_LABEL = (r"(?:(?:first |last )?(?:published|updated|posted)(?: on)?:?\s*|date:?\s*|"
          r"for immediate release:?\s*|embargoed(?: until)?:?\s*)?")  # the last two: a press release's
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
_TIME = r"\d{1,2}[.:]\d\d(?:\s*[ap]\.?m\.?)?"
# What may stand before the date on its line ("10:12 AM GMT, September 18, 2024") or after it: a time, a time
# zone, a separator.
_BEFORE = rf"(?:{_TIME}(?:\s*[A-Z]{{2,4}}\b)?\s*[,|·•-]?\s*)?"
_AFTER = rf"(?:\s*(?:[,|·•-]|at)?\s*{_TIME})?(?:\s*[A-Z]{{2,4}}\b)?\s*"
_LINE = [re.compile(rf"^{_LABEL}{_BEFORE}{_WEEKDAY}{d}{_AFTER}$", re.IGNORECASE) for d in _DATES]
# A place before the date, "House of Commons, 10 January 2024": the date is the article's, the place stays text.
_PLACED = [re.compile(rf"^(?-i:[A-Z])[\w'’.-]*(?:\s+[\w'’.-]+){{0,4}},\s+{d}$", re.IGNORECASE) for d in _DATES[:2]]
# "date 2023-03-11 Junior doctors are due to strike ...": a date stamp run into the first sentence.
_PREFIX = re.compile(r"^(?:date|published|updated)[:\s]+(\d{4}-\d{2}-\d{2})\b[:\s]*", re.IGNORECASE)
# A news agency's dateline opening its story: "LONDON, Dec 5 (Reuters) - ", "LONDON (AP) — ".
_WIRE = re.compile(
    r"^[A-Z][A-Z .'’-]{1,30}(?:,[\w .]{1,20})?\s*\((?P<agency>[A-Z][\w&.]*(?: [A-Z][\w&.]*){0,3})\)\s*[-–—]")
_HEAD = 8  # paragraphs at the top where a page prints its date stamp (below the headline, standfirst, byline)


def take_date(paragraphs: list[str]) -> tuple[str | None, list[str]]:
    """The article's date from its top, and its paragraphs without the date stamp."""
    date = None
    if paragraphs and (match := _PREFIX.match(paragraphs[0])):
        date, first = match.group(1), paragraphs[0][match.end():].strip()
        paragraphs = ([first] if first else []) + paragraphs[1:]
    stamps = [dateline(p) for p in paragraphs[:_HEAD]]
    date = date or next((d for d in stamps if d), None) or next(filter(None, map(_placed, paragraphs[:_HEAD])), None)
    return date, [p for i, p in enumerate(paragraphs) if i >= _HEAD or not stamps[i]]


def wire_agency(text: str) -> str | None:
    """The news agency whose dateline opens one of the text's first paragraphs, else None."""
    for paragraph in text.split("\n")[:_HEAD]:
        if match := _WIRE.match(paragraph.strip()):
            return match.group("agency")
    return None


def dateline(paragraph: str) -> str | None:
    """The ISO date a paragraph made of one date stamp gives, else None."""
    text = paragraph.strip()
    if len(text) > 60:
        return None
    for pattern in _LINE:
        match = pattern.match(text)
        if match:
            return _iso(match)
    return None


# A day, a month or a year as a question names it, the most precise first: "12 January 2016", "January 12",
# "March 2023", "2023".
_PERIODS = (
    re.compile(rf"\b{_DATES[2]}\b"),
    re.compile(rf"\b{_DAY} (?:of )?{_MONTH}(?:,? {_YEAR})?(?!\w)", re.IGNORECASE),
    re.compile(rf"\b{_MONTH} (?:the )?{_DAY}(?:,? {_YEAR})?\b", re.IGNORECASE),
    re.compile(rf"\b{_MONTH},? {_YEAR}\b", re.IGNORECASE),
    re.compile(rf"\b{_YEAR}\b"),
)


def named_period(text: str) -> tuple[str, str] | None:
    """The most precise day, month or year a text names, as the start of an ISO date ("2016-01-12", "2023-03",
    "2023"; a day named without its year is "-03-11"), with the words that name it; None when it names none."""
    for pattern in _PERIODS:
        match = pattern.search(text)
        if not match:
            continue
        found = match.groupdict()
        if found.get("iso"):
            return found["iso"], match.group(0)
        month = _NUMBER_OF[found["month"][:3].lower()] if found.get("month") else 0
        if found.get("day") and not 1 <= int(found["day"]) <= 31:
            continue
        day = f"-{int(found['day']):02d}" if found.get("day") else ""
        year = found.get("year") or ""
        return f"{year}-{month:02d}{day}" if month else year, match.group(0)
    return None


def names_day(text: str, period: str) -> bool:
    """Whether ``text`` writes out the day of a ``named_period`` (any year), as reporting names a day it announces.

    >>> names_day("A third strike is planned for February 10.", "2016-02-10"), names_day("On 1 March.", "-03-11")
    (True, False)
    """
    return (int(period[-5:-3]), int(period[-2:])) in _days_written(text)


@lru_cache(maxsize=8192)
def _days_written(text: str) -> frozenset[tuple[int, int]]:
    """The (month, day) pairs ``text`` writes out: read once per article text, not on every question naming a day
    (2,000 articles take ~0.4 s to read)."""
    return frozenset((_NUMBER_OF[m["month"][:3].lower()], int(m["day"]))
                     for pattern in _PERIODS[1:3] for m in pattern.finditer(text))


def in_period(date: str | None, period: str) -> bool:
    """Whether an article's ISO date falls in a ``named_period``: "2016-01-12" is in "2016-01" and in "-01-12".

    >>> in_period("2016-01-12", "2016-01"), in_period("2016-01-12", "-01-12"), in_period("2016-02", "2016-02-10")
    (True, True, False)
    """
    if not date:
        return False
    return date[4:].startswith(period) if period.startswith("-") else date.startswith(period)


def months_named(text: str) -> frozenset[str]:
    """The months ``text`` names, in any case but "May", which counts only capitalised: lower case it is mostly the
    verb.

    >>> sorted(months_named("how long was the march strike, and the one in May?")), months_named("What may happen?")
    (['March', 'May'], frozenset())
    """
    return frozenset(m for m in MONTHS if re.search(rf"\b{m}\b", text, 0 if m == "May" else re.IGNORECASE))


def month_of(date: str | None) -> str:
    """The month an article's ISO date falls in, "" when it gives none.

    >>> month_of("2023-03-11"), month_of("2016"), month_of(None)
    ('March', '', '')
    """
    month = int(date[5:7]) if date and len(date) >= 7 and date[5:7].isdigit() else 0
    return MONTHS[month - 1] if 1 <= month <= 12 else ""


def date_words(date: str | None) -> str:
    """The year and month an article's ISO date names, as a question would write them.

    >>> date_words("2023-04-12"), date_words("2016-02"), date_words("2016"), date_words(None)
    ('2023 April', '2016 February', '2016', '')
    """
    if not date:
        return ""
    month = month_of(date)
    return f"{date[:4]} {month}" if month else date[:4]


def _placed(paragraph: str) -> str | None:
    """The ISO date of a paragraph that is a place and a date ("House of Commons, 10 January 2024"), else None."""
    text = paragraph.strip()
    match = next(filter(None, (p.match(text) for p in _PLACED)), None) if len(text) <= 80 else None
    return _iso(match) if match else None


def _iso(match: re.Match) -> str | None:
    found = match.groupdict()
    if found.get("iso"):
        month, day = int(found["iso"][5:7]), int(found["iso"][8:10])
        return found["iso"] if 1 <= month <= 12 and 1 <= day <= 31 else None
    day, month = int(found["day"]), _NUMBER_OF[found["month"][:3].lower()]
    return f"{found['year']}-{month:02d}-{day:02d}" if 1 <= day <= 31 else None
