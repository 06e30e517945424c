"""What a chat is also told besides questions: a greeting, thanks, a call for help.

Searched like questions, they were answered with whatever matched their words: "thanks!" with "Thanks to rs21
supporters for sending in pictures [1].", "help" with a sentence holding "help", "What can you do?" with a
headline. They get the product's own short reply now, which says what it can do; nothing is quoted, so nothing
is cited. A question with more in it ("What do you know about Hunt?", "Thanks, and who is Barclay?") is a
question.

>>> small_talk("Hi there!"), small_talk("thanks a lot"), small_talk("What can I ask?"), small_talk("Who is Hunt?")
('hello', 'thanks', 'help', None)
"""

from __future__ import annotations

import re

from rag.messages import render

_KINDS = [
    ("hello", re.compile(r"^(?:hi|hello|hey|hiya|greetings|good (?:morning|afternoon|evening)|morning)"
                         r"(?:\s+(?:there|all|everyone|again))?$")),
    ("thanks", re.compile(r"^(?:thanks|thank you|thank u|thx|ta|cheers|many thanks)"
                          r"(?:\s+(?:a lot|so much|very much|again))?$")),
    ("help", re.compile(r"^(?:help|help me|what can (?:you|i) (?:do|ask(?: you)?(?: about)?)|who are you|what are you|"
                        r"how does (?:this|it) work|how do i use (?:this|you|it)|what do you know(?: about)?|"
                        r"what can you tell me(?: about)?)$")),
]
_TRIM = re.compile(r"[\s!?.,;:…]+")


def small_talk(text: str) -> str | None:
    """"hello", "thanks" or "help" when ``text`` is only that (a text with no word at all asks for help too);
    None for a question."""
    plain = _TRIM.sub(" ", text.lower()).strip()
    if not re.search(r"\w", plain):
        return "help"
    return next((kind for kind, pattern in _KINDS if pattern.match(plain)), None)


def reply(kind: str, articles: int) -> str:
    """The product's reply to small talk of that ``kind``, for a collection of ``articles``."""
    if kind == "thanks":
        return render("SMALL_TALK_THANKS")
    if kind == "hello":
        return render("SMALL_TALK_HELLO", count=articles)
    return render("SMALL_TALK_HELP", count=articles)
