"""The few exception types the pipeline raises. The CLI and the UI catch ``RagError`` and show its message.
A generative answerer catches ``ModelError`` itself and falls back to quoting.

>>> str(IndexProblem("no index at index/", fix="rag ingest"))
'no index at index/: run `rag ingest`'
"""


class RagError(Exception):
    """A problem the user can fix; its message is one readable line."""


class UsageError(RagError):
    """Bad input from the user: an empty question, an unreadable path, a bad setting."""


class CorpusError(RagError):
    """The corpus cannot be ingested as a whole (for example, no readable article at all)."""


class IndexProblem(RagError):
    """The index is missing, corrupted, locked or built with other settings; says what to run."""

    def __init__(self, message: str, fix: str = "rag ingest"):
        super().__init__(f"{message}: run `{fix}`" if fix else message)


class ModelError(RagError):
    """The language model could not answer: endpoint down, timeout, broken stream, context too long."""
