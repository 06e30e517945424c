"""A progress bar on stderr for long stages, shown only once there is work to report.

>>> with Progress("embedding", None) as p:
...     p.update(5, 10)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from tqdm import tqdm


class Progress:
    def __init__(self, label: str, stream: TextIO | None, unit: str = "text"):  # passages and sentences
        self.label = label
        self.stream = stream
        self.unit = unit
        self._bar: tqdm | None = None

    def update(self, done: int, total: int) -> None:
        if self.stream is None:
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=self.label, unit=self.unit, file=self.stream, leave=False)
        self._bar.update(done - self._bar.n)

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.close()
