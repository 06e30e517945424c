"""llama.cpp's CPU backends side by side: prompt and generation tokens/s of each, with the answering model.

    python bench/llama_build.py [--variants x64,haswell,auto] [--wheel OTHER.whl ...] [--tokens 512] [-r 3]
                                [--flash-attn]

Each configuration runs in its own process (a process keeps the first CPU backend it loads): every listed
backend of the installed variants build (`auto` is the one ggml picks for this CPU, as the product does; `x64`
is plain x86-64, what a portable build without variants runs), then each `--wheel` (another llama-cpp-python
build, unpacked to a temporary folder, e.g. the wheel pip cached from an earlier build). Each reads the same
prompt of corpus text from nothing `-r` times (the best rate is kept; one round when it is slow) and then
writes 64 tokens. With `--flash-attn`, each backend of the installed build runs twice, without and with
llama.cpp's flash attention (the product runs without). Run it on a quiet machine: it measures wall-clock time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from rag.settings import Settings


def child(variant: str | None, tokens: int, rounds: int, flash: bool) -> dict:
    from llama_cpp import Llama

    from rag.ask.llama_cpu import load_cpu_backend
    from rag.ask.local_chat import LocalChat

    backend = load_cpu_backend(variant)
    settings = Settings.from_env()
    path = LocalChat(settings).path  # the model the local answerer would load (RAG_LLM_GGUF, or the installed one)
    began = time.perf_counter()
    llama = Llama(model_path=str(path), n_ctx=2048, n_threads=settings.llm_threads,
                  n_threads_batch=settings.llm_threads, flash_attn=flash, verbose=False)
    loaded = time.perf_counter() - began
    text = " ".join(p.read_text() for p in sorted(Path("corpus").glob("*.txt")))
    prompt = llama.tokenize(text.encode())[:tokens]
    if len(prompt) < tokens:
        raise SystemExit(f"corpus/ holds only {len(prompt)} tokens")
    best, spent = 0.0, 0.0
    for _ in range(rounds):  # a backend without AVX reads at a few tokens/s: one slow round is enough
        llama.reset()
        began = time.perf_counter()
        llama.eval(prompt)
        took = time.perf_counter() - began
        best, spent = max(best, len(prompt) / took), spent + took
        if spent > 60:
            break
    # All but the last prompt token kept computed, so what is timed is writing alone, plus one step of reading.
    llama.reset()
    llama.eval(prompt[:-1])
    began = time.perf_counter()
    written = 0
    for _ in llama.generate(prompt, temp=0.0, reset=True):
        written += 1
        if written == 64:
            break
    return {"backend": backend.split(":")[0], "features": _features(backend), "load_s": round(loaded, 1),
            "prompt_tok_s": round(best, 1), "write_tok_s": round(written / (time.perf_counter() - began), 1),
            "threads": settings.llm_threads}


def _features(backend: str) -> str:
    """The instruction sets a backend uses, from llama.cpp's system info ("AVX2 = 1 | ...")."""
    pairs = [p.strip().split(" = ") for p in backend.split(":", 2)[-1].split("|")]
    return " ".join(k for k, *v in pairs if v == ["1"] and k.startswith(("AVX", "AMX", "FMA", "F16C", "BMI", "SSE")))


def run(variant: str, wheel_dir: str | None, args, flash: bool = False) -> dict:
    env = dict(os.environ)
    if wheel_dir:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [wheel_dir, env.get("PYTHONPATH")]))
    command = [sys.executable, __file__, "--child", variant, "--tokens", str(args.tokens), "-r", str(args.r)]
    command += ["--flash-attn"] if flash else []
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        return {"backend": variant, "error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", default="x64,auto", help="backends of the installed build, comma-separated")
    parser.add_argument("--wheel", type=Path, action="append", default=[], help="another llama-cpp-python wheel")
    parser.add_argument("--tokens", type=int, default=512, help="prompt length")
    parser.add_argument("-r", type=int, default=3, help="times the prompt is read")
    parser.add_argument("--flash-attn", action="store_true", help="installed backends also with flash attention")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(None if args.child == "auto" else args.child, args.tokens, args.r, args.flash_attn)))
        return
    attention = (False, True) if args.flash_attn else (False,)
    rows = [(f"installed, {v}" + (", flash attention" if flash else ""), run(v, None, args, flash))
            for v in args.variants.split(",") for flash in attention]
    with tempfile.TemporaryDirectory() as folder:
        for wheel in args.wheel:
            target = Path(folder) / wheel.stem
            zipfile.ZipFile(wheel).extractall(target)
            for lib in (target / "llama_cpp" / "lib").iterdir():
                lib.chmod(0o755)  # zipfile drops the mode bits
            rows.append((wheel.name[:40], run("auto", str(target), args)))
    print(f"{'build':<42} {'CPU backend':<14} {'prompt tok/s':>12} {'write tok/s':>11} {'load s':>6}  instructions")
    for build, r in rows:
        if "error" in r:
            print(f"{build:<42} {r['backend']:<14} error: {r['error']}")
            continue
        print(f"{build:<42} {r['backend']:<14} {r['prompt_tok_s']:>12} {r['write_tok_s']:>11} {r['load_s']:>6}  "
              f"{r['features']}")
    print(f"threads {rows[0][1].get('threads', '?')}; prompt {args.tokens} tokens read from nothing, best of {args.r}")


if __name__ == "__main__":
    main()
