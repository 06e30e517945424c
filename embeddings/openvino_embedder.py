"""The model on OpenVINO with a plain `tokenizers` tokenizer: no torch or sentence-transformers import.

Used for ingest (int8 where the CPU has int8 dot-product instructions) and for questions (fp32, the same
vectors as the torch model), so a question is answered without paying torch's start-up.

>>> tokenizer = load_tokenizer(Path("model/tokenizer.json"), 256)  # doctest: +SKIP
>>> model_inputs(tokenizer, ["junior doctors"])["input_ids"].shape  # doctest: +SKIP
(1, 5)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import platform
import shutil
import sys
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from embeddings.offline import import_openvino

log = logging.getLogger(__name__)

# Instruction sets that make int8 faster than fp32 (VNNI, AMX); without them int8 gains nothing on CPU.
INT8_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8")
# Where AMX multiplies bf16, bf16 beats int8 (measured on a Xeon with AMX: 2.5x fp32 against 1.7x) and stays
# closer to fp32 (min cosine >= 0.9999 against 0.997).
BF16_FLAGS = ("amx_bf16",)


def load_tokenizer(path: Path, max_len: int):
    """The model's fast tokenizer, truncating like sentence-transformers and padding to the longest text."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.enable_truncation(max_len)
    pad = tokenizer.token_to_id("[PAD]") or 0
    tokenizer.enable_padding(pad_id=pad, pad_token="[PAD]")
    return tokenizer


def model_inputs(tokenizer, texts: Sequence[str]) -> dict[str, np.ndarray]:
    encoded = tokenizer.encode_batch(list(texts))
    return {"input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64)}


def int8_pays(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether this CPU has int8 dot-product instructions (where int8 beats fp32 on OpenVINO)."""
    flags = _cpuinfo(cpuinfo).split()
    return any(flag in flags for flag in INT8_FLAGS)


def fastest_precision(can_int8: bool, cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The precision ``embed_precision=auto`` embeds at: bf16 where AMX multiplies it, int8 where the CPU has
    int8 dot products and an int8 model can be made (``can_int8``: NNCF installed), else fp32."""
    if any(flag in _cpuinfo(cpuinfo).split() for flag in BF16_FLAGS):
        return "bf16"
    return "int8" if can_int8 and int8_pays(cpuinfo) else "fp32"


class OpenVINOEmbedder:
    def __init__(self, folder: Path, name: str, precision: str, max_len: int, batch_size: int = 16,
                 threads: int | None = None):
        ov = import_openvino()

        _one_torch_thread()
        self.name = name
        self.batch_size = batch_size
        self.backend = f"openvino-{precision}"
        self._tokenizer = load_tokenizer(folder / "tokenizer.json", max_len)
        # A 2-vCPU machine is often one core's two hyper-threads, where the latency hint alone keeps to one of
        # them (the likely reason int8 on such a machine ran 2.4x torch in wall time, 4.9x per CPU-second).
        config = {"INFERENCE_NUM_THREADS": threads or os.cpu_count() or 1, "PERFORMANCE_HINT": "LATENCY",
                  "ENABLE_HYPER_THREADING": True,
                  # fp32 gives the torch model's vectors; bf16 only where asked (it differs slightly).
                  "INFERENCE_PRECISION_HINT": "bf16" if precision == "bf16" else "f32"}
        self._model = compile_cached(ov, folder, config)
        self.dimension = int(self._model.output(0).get_partial_shape()[1].get_length())
        log.info("loaded %s on OpenVINO %s (%d dimensions) from %s", name, precision, self.dimension, folder)

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        # Sorting by length keeps padding low inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for begin in range(0, len(order), self.batch_size):
            rows = order[begin : begin + self.batch_size]
            out[rows] = self._model(model_inputs(self._tokenizer, [texts[i] for i in rows]))[0]
            if progress:
                progress(len(rows))
        return out


def compile_cached(ov, folder: Path, config: dict):
    """Compile ``folder/model.xml`` for the CPU, through a compiled-model cache that is written only once.

    OpenVINO's cache maps its files into memory, so a process rewriting a cache file while another maps it
    kills the reader (SIGBUS). Each configuration therefore gets its own cache folder, filled by one process
    in a private folder and renamed into place when complete; a complete folder is only ever read.
    """
    core, xml = ov.Core(), str(folder / "model.xml")
    cache = folder / f"compiled-{_cache_key(ov, config)}"
    if cache.is_dir():
        return _compile(core, xml, config, cache)
    private = folder / f".{cache.name}.{os.getpid()}.tmp"
    shutil.rmtree(private, ignore_errors=True)
    model = _compile(core, xml, config, private)
    if any(blob.stat().st_size for blob in private.glob("*.blob")):  # keep only a cache that was written
        with contextlib.suppress(OSError):  # another process renamed its copy first; it is as good as this one
            os.rename(private, cache)
    shutil.rmtree(private, ignore_errors=True)
    return model


def _compile(core, xml: str, config: dict, cache: Path):
    try:
        return core.compile_model(xml, "CPU", {**config, "CACHE_DIR": str(cache)})
    except RuntimeError as e:  # an unwritable folder or a damaged cache; compiling without one always works
        log.warning("compiling the model without its cache (%s)", str(e).strip().splitlines()[-1][:200])
        return core.compile_model(xml, "CPU", config)


def _cache_key(ov, config: dict) -> str:
    """What a compiled model depends on: the OpenVINO version, the settings and the CPU it was made for."""
    cpu = [line for line in _cpuinfo().splitlines() if line.startswith(("model name", "flags"))][:2]
    text = json.dumps([ov.__version__, sorted(config.items()), cpu, platform.machine()])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _cpuinfo(path: Path = Path("/proc/cpuinfo")) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _one_torch_thread() -> None:
    """torch's idle worker threads steal cycles from OpenVINO's: give torch one thread if it is loaded."""
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)
