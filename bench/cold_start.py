"""A cold `rag ask`: the median of N fresh processes, wall and CPU (user+sys), and where its imports go.

Each run is a new `python -m rag ask QUESTION` on an index already built; one run first, not counted, writes the
compiled-model cache and the model's checked stamp if they are missing, so the runs measure what every later
question pays. CPU time is the process's own (user+sys, from the kernel's accounting of the child): on a shared
machine wall time also holds the wait for a free core, so the load average is printed with it. A last run under
``python -X importtime`` gives the import time per top-level package (the time of its own modules, nested
imports of other packages counted under theirs).

    python bench/cold_start.py --index /tmp/qidx --runs 3
    python bench/cold_start.py --index index --answerer extractive "Who invited the BMA to pay talks?"

It times the ``rag`` that ``python -m rag`` finds from the current folder: run it with an installed venv's python
from outside a checkout to time that install.

>>> by_package(["import time: self [us] | cumulative | imported package",
...             "import time:       900 |       1500 | numpy",
...             "import time:       600 |        600 |   numpy._core",
...             "import time:       200 |       1700 | rag.cli"])
[('numpy', 0.0015, 2), ('rag', 0.0002, 1)]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

QUESTION = "Who invited the BMA to pay talks in 2023?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("question", nargs="?", default=QUESTION)
    parser.add_argument("--index", type=Path, help="index folder (default: the settings' index/)")
    parser.add_argument("--runs", type=int, default=3, help="cold runs to take the median of (default 3)")
    parser.add_argument("--answerer", help="passed to rag ask (default: its own, auto)")
    parser.add_argument("--top", type=int, default=10, help="packages in the import breakdown (default 10)")
    args = parser.parse_args()
    command = [sys.executable, "-m", "rag", "ask", args.question]
    command += ["--index", str(args.index)] if args.index else []
    command += ["--answerer", args.answerer] if args.answerer else []

    run(command)  # not counted: fills the compiled-model cache and the stamp if missing
    load = os.getloadavg()
    runs = [run(command) for _ in range(args.runs)]
    imports = run([sys.executable, "-X", "importtime", *command[1:]], keep_stderr=True)[2]
    print(f"cold `rag ask`, {args.runs} runs ({sys.executable}); load average {load[0]:.2f} {load[1]:.2f} "
          f"{load[2]:.2f} on {os.cpu_count()} CPUs")
    print(f"{'run':>6}  {'wall s':>7}  {'user+sys s':>10}")
    for n, (wall, cpu, _) in enumerate(runs, 1):
        print(f"{n:>6}  {wall:7.2f}  {cpu:10.2f}")
    print(f"{'median':>6}  {statistics.median(r[0] for r in runs):7.2f}  "
          f"{statistics.median(r[1] for r in runs):10.2f}")
    packages = by_package(imports.splitlines())
    total = sum(seconds for _, seconds, _ in packages)
    print(f"\nimports: {total:.2f} s in {sum(n for _, _, n in packages)} modules; top {args.top} packages")
    print(f"{'package':<24}  {'s':>6}  {'modules':>7}")
    for name, seconds, modules in packages[: args.top]:
        print(f"{name:<24}  {seconds:6.3f}  {modules:>7}")
    return 0


def run(command: list[str], keep_stderr: bool = False) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user+sys) and stderr of one run of ``command``, which must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)  # here: run where the `rag` to time is
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stderr if keep_stderr else ""


def by_package(lines: list[str]) -> list[tuple[str, float, int]]:
    """(package, seconds, modules) from ``-X importtime`` lines, most seconds first: each module's own time
    counted under its top-level package."""
    seconds: dict[str, float] = defaultdict(float)
    modules: dict[str, int] = defaultdict(int)
    for line in lines:
        fields = line.split("|")
        if not line.startswith("import time:") or len(fields) != 3 or not fields[1].strip().isdigit():
            continue
        own = int(fields[0].removeprefix("import time:"))
        package = fields[2].strip().split(".")[0]
        seconds[package] += own / 1e6
        modules[package] += 1
    return sorted(((p, round(s, 6), modules[p]) for p, s in seconds.items()), key=lambda row: -row[1])


if __name__ == "__main__":
    sys.exit(main())
