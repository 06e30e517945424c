"""The chat's upload folder: one of its own per port, emptied when the server starts.

Gradio keeps every uploaded file under its upload folder (``GRADIO_TEMP_DIR``, by default the shared
``/tmp/gradio``). The Articles tab deletes an upload once read, but a server killed mid-request leaves its
uploads there for good. So the chat gives Gradio a folder of its own, ``ui_upload_dir`` or
``<temp>/rag-news-uploads-<uid>-<port>`` (one server per port: starting never touches another's uploads),
marks it as its own, and at start removes what an earlier run left in it. A folder without the mark is
never emptied (a ``ui_upload_dir`` pointed at a shared folder loses nothing).

>>> folder = upload_folder(Settings(), 7860)  # doctest: +SKIP
>>> folder.name  # doctest: +SKIP
'rag-news-uploads-1000-7860'
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from rag.settings import Settings

log = logging.getLogger(__name__)

MARK = ".rag-news-uploads"  # this folder is the chat's own: what it holds may be removed


def upload_folder(settings: Settings, port: int) -> Path:
    """The chat's upload folder for ``port``, made (owner-only) and marked when new, emptied of earlier runs'
    uploads when it bears the mark."""
    folder = Path(settings.ui_upload_dir or Path(tempfile.gettempdir()) / f"rag-news-uploads-{os.getuid()}-{port}")
    fresh = not folder.exists() or (folder.is_dir() and not any(folder.iterdir()))
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if fresh:
        (folder / MARK).touch()
    if not (folder / MARK).is_file():
        log.warning("%s is not the chat's own upload folder (no %s): earlier uploads there are left", folder, MARK)
        return folder
    for entry in folder.iterdir():
        if entry.name == MARK:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        log.info("removed %s, an upload left by an earlier run", entry)
    return folder
