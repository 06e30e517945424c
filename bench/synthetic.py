"""A synthetic, news-like corpus for benchmarks: deterministic articles built from sentence templates.

The words are ordinary news vocabulary, so the model's vectors and BM25's postings behave like real ones
(varied topics, shared frequent words, rare names), without shipping or downloading a real archive.

>>> a = articles(2, seed=1)
>>> len(a), a[0]["title"] == articles(2, seed=1)[0]["title"]
(2, True)
"""

from __future__ import annotations

import random

PEOPLE = ["Sarah Collins", "David Okafor", "Maria Lopez", "James Whitfield", "Priya Nair", "Tom Brennan",
          "Elena Petrova", "Mohammed Aziz", "Grace Liu", "Peter Novak", "Hannah Schmidt", "Samuel Mensah",
          "Laura Bianchi", "Kenji Tanaka", "Aisha Bello", "Oliver Grant", "Nadia Haddad", "Lucas Moreau"]
ROLES = ["the health secretary", "the finance minister", "the union leader", "the chief executive",
         "the mayor", "the head teacher", "the police chief", "the club manager", "the lead researcher",
         "the opposition spokesperson", "the regulator", "the hospital director", "the council leader"]
PLACES = ["Leeds", "Glasgow", "Cardiff", "Bristol", "Manchester", "Belfast", "Norwich", "Plymouth", "York",
          "Aberdeen", "Brighton", "Leicester", "Swansea", "Derby", "Exeter", "Dundee", "Hull", "Oxford"]
ORGS = ["the city council", "the central bank", "the teachers' union", "the rail operator", "the energy regulator",
        "the health service", "the football association", "the university", "the water company",
        "the airline", "the supermarket chain", "the housing association", "the transport authority"]
TOPICS = ["pay", "pensions", "flooding", "housing", "rail fares", "energy bills", "waiting lists", "school funding",
          "interest rates", "air pollution", "knife crime", "broadband", "bus routes", "recycling", "tuition fees",
          "farm subsidies", "drought", "ticket prices", "nurse numbers", "road repairs", "food prices"]
VERBS = ["announced", "rejected", "criticised", "welcomed", "delayed", "approved", "questioned", "defended",
         "cut", "raised", "reviewed", "promised", "warned about", "called for", "challenged", "backed"]
THINGS = ["a new plan", "the latest offer", "the budget", "the proposals", "the report", "the contract",
          "the inquiry", "the strike", "the settlement", "the deadline", "the consultation", "the figures"]
TEMPLATES = [
    "{person}, {role}, {verb} {thing} on {topic} on {day}.",
    "{org} said {topic} in {place} had risen by {n} per cent over the past year.",
    "Speaking in {place}, {person} said the row over {topic} would not end until {org} {verb} {thing}.",
    "Critics said {thing} did little to address {topic}, and {org} faced questions from residents.",
    "About {big} people in {place} are affected, according to figures published by {org}.",
    "{org} {verb} {thing} after talks with {person} broke down late on {day}.",
    "The dispute over {topic} has lasted {n} weeks, and {role} said a deal was still possible.",
    "{person} told reporters that {topic} was the biggest concern raised by families in {place}.",
    "A spokesperson for {org} said it would respond to {thing} within {n} days.",
    "Officials in {place} expect a decision on {topic} before the end of the month.",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
PUBLISHERS = ["The Daily Ledger", "Northern Post", "City Herald", "The Evening Courier", "Coastal Times"]


def sentence(rng: random.Random) -> str:
    return rng.choice(TEMPLATES).format(
        person=rng.choice(PEOPLE), role=rng.choice(ROLES), verb=rng.choice(VERBS), thing=rng.choice(THINGS),
        topic=rng.choice(TOPICS), day=rng.choice(DAYS), org=rng.choice(ORGS), place=rng.choice(PLACES),
        n=rng.randint(2, 40), big=f"{rng.randint(1, 900) * 100:,}")


def passage(rng: random.Random, words: int) -> str:
    """Sentences until about ``words`` words (a 256-token passage is about 190 words)."""
    out: list[str] = []
    count = 0
    while count < words:
        s = sentence(rng)
        out.append(s)
        count += len(s.split())
    return " ".join(out)


def articles(n: int, seed: int = 0, words: int = 500) -> list[dict]:
    """``n`` articles of about ``words`` words, as JSON-lines rows for `rag ingest` (``.jsonl`` format)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        topic, place = rng.choice(TOPICS), rng.choice(PLACES)
        body = "\n\n".join(passage(rng, 90) for _ in range(max(1, words // 90)))
        rows.append({"id": f"syn{i:07d}", "title": f"Row over {topic} in {place} deepens", "text": body,
                     "publisher": rng.choice(PUBLISHERS),
                     "date": f"20{rng.randint(15, 25):02d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"})
    return rows


def question(rng: random.Random, text: str) -> str:
    """A question-like query taken from ``text``: a few of its words, as a reader would type them."""
    words = [w.strip(".,'") for w in rng.choice(text.split(". ")).split()]
    start = rng.randint(0, max(0, len(words) - 8))
    return "What about " + " ".join(words[start : start + 8]) + "?"
