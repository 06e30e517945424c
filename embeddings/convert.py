"""Convert the sentence-transformers model to OpenVINO once, offline, and keep it in a checksummed cache.

The model (transformer, mean pooling and normalisation in one graph) is traced from the local torch weights
with ``openvino.convert_model``; the int8 variant is then quantized with NNCF, calibrated on the local text
in ``calibration.txt`` (no data set is downloaded). Each variant lives in its own folder under the cache
directory, named after the source files it came from::

    <cache>/<model>-<fingerprint>-<fp32|int8>/model.xml, model.bin, tokenizer.json, checksums.json, verified.json

The fingerprint comes from the source files' content, so a reinstalled model reuses its conversion. A folder
is written under a temporary name and renamed when complete; a lock keeps two processes from converting at
once; a folder whose files fail their checksums is converted again. ``verified.json`` is a stamp of the last
check (each file's size and modification time): while the files match it, a start costs a ``stat`` instead of
hashing 90 MB of weights (0.1 s of every question).

>>> _folder_name("all-MiniLM-L6-v2", "0123456789abcdef", "int8")
'all-minilm-l6-v2-0123456789ab-int8'
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import warnings
from pathlib import Path
from typing import Iterator

from embeddings.offline import import_openvino
from rag.errors import UsageError
from rag.index.storage import file_sha256

log = logging.getLogger(__name__)

PRECISIONS = ("fp32", "int8")  # the variants on disk; bf16 runs the fp32 graph with a bf16 hint
SOURCE_FILES = ("config.json", "model.safetensors", "tokenizer.json", "sentence_bert_config.json")
CALIBRATION = Path(__file__).with_name("calibration.txt")
FILES = ("model.xml", "model.bin", "tokenizer.json")
CONVERT_VERSION = 3  # raised when the conversion below changes, so older conversions are made again (3: int8 recipe)


def converted(source: Path, model: str, precision: str, cache_dir: Path) -> Path:
    """The folder of ``model`` (files in ``source``) converted at ``precision``; converts it when missing."""
    if precision not in PRECISIONS:
        raise UsageError(f"unknown model precision {precision!r}; use one of {', '.join(PRECISIONS)}")
    cache_dir = cache_dir.expanduser()
    folder = cache_dir / _folder_name(model, _fingerprint(source), precision)
    if _intact(folder):
        return folder
    cache_dir.mkdir(parents=True, exist_ok=True)
    with _lock(cache_dir / f".{folder.name}.lock"):
        if _intact(folder):  # another process converted it while this one waited
            return folder
        shutil.rmtree(folder, ignore_errors=True)
        tmp = cache_dir / f".{folder.name}.{os.getpid()}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        try:
            log.info("converting %s to OpenVINO %s in %s (once; takes a minute)", model, precision, folder)
            _convert(source, precision, tmp)
            sums = {name: file_sha256(tmp / name) for name in FILES}
            (tmp / "checksums.json").write_text(json.dumps({"files": sums, "precision": precision,
                                                             "source": str(source)}, indent=1))
            os.rename(tmp, folder)
            _write_stamp(folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return folder


def max_tokens(source: Path) -> int:
    """The longest input the model takes, from its sentence-transformers config (the model's default)."""
    try:
        return int(json.loads((source / "sentence_bert_config.json").read_text())["max_seq_length"])
    except (OSError, ValueError, KeyError):
        return 256


def _folder_name(model: str, fingerprint: str, precision: str) -> str:
    slug = re.sub(r"[^a-z0-9.]+", "-", Path(model).name.lower()).strip("-") or "model"
    return f"{slug}-{fingerprint[:12]}-{precision}"


def _fingerprint(source: Path) -> str:
    """Identifies the source files by content, cheaply: the same model installed anywhere shares one folder.

    Small files are hashed whole; a large one by its size and evenly spaced samples, which differ between
    any two trained models (reading all of a 90 MB weights file would cost every start 0.1 s).
    """
    h = hashlib.sha256(f"convert-{CONVERT_VERSION}".encode())
    for name in SOURCE_FILES:
        path = source / name
        if path.is_file():
            h.update(f"{name}:{path.stat().st_size}:".encode() + _sampled(path))
    return h.hexdigest()


def _sampled(path: Path, block: int = 1 << 16, samples: int = 16) -> bytes:
    size = path.stat().st_size
    with open(path, "rb") as f:
        if size <= block * samples:
            return f.read()
        parts = []
        for i in range(samples):
            f.seek((size - block) * i // (samples - 1))
            parts.append(f.read(block))
    return b"".join(parts)


def _intact(folder: Path) -> bool:
    """Whether the folder's files match their checksums: by the stamp of an earlier check, else by hashing them."""
    try:
        sums = json.loads((folder / "checksums.json").read_text())["files"]
        with contextlib.suppress(OSError, ValueError):
            if json.loads((folder / "verified.json").read_text()) == _stats(folder):
                return True
        if not all(file_sha256(folder / name) == sums[name] for name in FILES):
            return False
    except (OSError, ValueError, KeyError):
        return False
    _write_stamp(folder)
    return True


def _stats(folder: Path) -> dict[str, list[int]]:
    return {name: [(folder / name).stat().st_size, (folder / name).stat().st_mtime_ns] for name in FILES}


def _write_stamp(folder: Path) -> None:
    """Record the checked files' stats, replacing the stamp at once (a reader never sees half of one)."""
    tmp = folder / f".verified.{os.getpid()}.tmp"
    with contextlib.suppress(OSError):  # a read-only cache is checked by hashing each time instead
        tmp.write_text(json.dumps(_stats(folder)))
        os.replace(tmp, folder / "verified.json")
    tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _convert(source: Path, precision: str, out: Path) -> None:
    """Trace the torch model with pooling and normalisation into OpenVINO IR, quantized for int8."""
    ov = import_openvino(converter=True)
    import torch
    from transformers import AutoModel

    class Pooled(torch.nn.Module):
        """The sentence-transformers pipeline in one graph: transformer, mean over real tokens, unit length."""

        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, dim=-1)

    os.environ["HF_HUB_OFFLINE"] = "1"
    model = Pooled(AutoModel.from_pretrained(str(source), local_files_only=True)).eval()
    example = {name: torch.ones(2, 16, dtype=torch.long) for name in ("input_ids", "attention_mask")}
    example["token_type_ids"] = torch.zeros(2, 16, dtype=torch.long)
    inputs = [(name, [-1, -1], ov.Type.i64) for name in example]
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shape-dependent branches, expected here
        graph = ov.tools.ovc.convert_model(model, example_input=example, input=inputs)
    shutil.copyfile(source / "tokenizer.json", out / "tokenizer.json")
    if precision == "int8":
        graph = _quantize(graph, out / "tokenizer.json", max_tokens(source))
    ov.save_model(graph, out / "model.xml", compress_to_fp16=False)


def _quantize(graph, tokenizer_path: Path, max_len: int):
    """Int8 weights and activations (NNCF post-training quantization), calibrated on local news text."""
    import nncf

    samples = calibration_samples(tokenizer_path, max_len)
    return nncf.quantize(graph, nncf.Dataset(samples), subset_size=len(samples), **int8_recipe(nncf))


def int8_recipe(nncf) -> dict:
    """The NNCF options of the int8 variant (bench/perf_embed.py measures them against alternatives).

    Each layer's second feed-forward product stays fp32: its input, the GELU output, has outliers that one
    int8 scale per tensor cannot hold; quantizing it cost most of the error (min cosine to torch on SQuAD
    passages 0.973 with it, 0.992 without), for a third of the dense multiply-adds left in fp32.
    """
    return {"model_type": nncf.ModelType.TRANSFORMER,
            "ignored_scope": nncf.IgnoredScope(patterns=[r".*\.layer\.\d+\.output\.dense/.*"])}


def calibration_samples(tokenizer_path: Path, max_len: int) -> list[dict]:
    """Model inputs of the calibration text: overlapping windows, from a sentence to a full 256-token passage."""
    from embeddings.openvino_embedder import load_tokenizer, model_inputs

    tokenizer = load_tokenizer(tokenizer_path, max_len)
    words = CALIBRATION.read_text().split()
    windows = [" ".join(words[i:i + size]) for size in (40, 120, 220) for i in range(0, len(words), 60)]
    return [model_inputs(tokenizer, [w]) for w in windows if w]
