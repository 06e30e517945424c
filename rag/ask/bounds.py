"""Which end of an event a question asks about, its start or its end, and whether an answer tells the other.

"When did the six-day strike start?" was answered "The six-day strike by junior doctors ended at 7am yesterday
[1].", by the model and first in the quotes: the sentence names the strike and a time, and every check it faces
asks for those, while the next one ("It starts at 7am on Wednesday 3 January ...") was passed over. A sentence that
tells only the other end of what is asked about answers another question.

>>> other_end("When did the six-day strike start?", "The six-day strike ended at 7am yesterday.")
True
>>> other_end("When did the six-day strike start?", "It starts on 3 January and ends on 9 January.")
False
"""

from __future__ import annotations

import re

_START = re.compile(r"\b(?:start|starts|started|starting|begin|begins|began|begun|beginning|kick(?:s|ed)? off)\b",
                    re.IGNORECASE)
_END = re.compile(r"\b(?:end|ends|ended|ending|finish|finishes|finished|conclude|concludes|concluded)\b",
                  re.IGNORECASE)


def other_end(question: str, text: str) -> bool:
    """Whether ``question`` asks about one end of something (its start, or its end) and ``text`` tells of the
    other end only."""
    starts, ends = bool(_START.search(question)), bool(_END.search(question))
    if starts == ends:
        return False
    asked, other = (_START, _END) if starts else (_END, _START)
    return bool(other.search(text)) and not asked.search(text)
