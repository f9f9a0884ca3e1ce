"""Benchmark of grading: `course check NN --path lessons/NN_name/solved` for all nine lessons.

    cd /work/main && uv run python benchmarks/bench_grading.py [--repeat N] [--timeout S]

Each run is one `course check` subprocess, as a student starts it (it re-runs the checkpoints of
the earlier lessons as regressions too). Every lesson runs first "cold", with an empty mutation
cache of the benchmark's own (COURSE_MUTATION_CACHE), as on a first check or in CI; then N times
"warm" (--repeat, default 1), as a student's next check with unchanged tests: the runs of their
tests against the seeded bugs come from the cache. Prints one row per lesson (wall time cold and
warm, the CPU time of the cold run and its children, exit code, score line), then the median and
the total of each against the targets: median <= 5 s, total <= 30 s (wall). Of the warm runs the
fastest counts (the least disturbed by other load on the machine).

A benchmark, not a test: it prints PASS/MISS next to each target and exits 0 (130 when
interrupted). Lessons without checkpoints yet are listed as such ("no checkpoints", exit 2).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "course" / "lessons.toml"
MEDIAN_TARGET = 5.0
TOTAL_TARGET = 30.0
RUN_LIMIT = 600.0  # one `course check`, hangs included
EXIT_WORDS = {0: "passed", 1: "failed", 2: "no checkpoints"}


@dataclass
class Run:
    wall: float
    cpu: float
    code: int
    score: str


@dataclass
class Row:
    lesson: str
    cold: Run
    warm: Run


def lesson_names() -> list[str]:
    data = tomllib.loads(MANIFEST.read_text(encoding="utf-8"))
    return [lesson["name"] for lesson in data["lesson"]]


def course_command() -> list[str]:
    """The venv's `course` script (what `uv run course` executes), else `python -m course`."""
    script = Path(sys.executable).parent / "course"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "course"]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_check(name: str, timeout: float | None, cache: Path) -> Run:
    lesson_id = name.split("_", 1)[0]
    command = [*course_command(), "check", lesson_id, "--path", f"lessons/{name}/solved"]
    if timeout is not None:
        command += ["--timeout", f"{timeout:g}"]
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "COURSE_MUTATION_CACHE": str(cache)}
    cpu_before, started = children_cpu(), time.perf_counter()
    result = subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        check=False,
    )
    wall, cpu = time.perf_counter() - started, children_cpu() - cpu_before
    score = re.search(r"Бали: \d+/\d+", result.stdout)
    summary = score.group(0) if score else EXIT_WORDS.get(result.returncode, "?")
    return Run(wall, cpu, result.returncode, summary)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def print_targets(label: str, walls: list[float]) -> None:
    median, total = statistics.median(walls), sum(walls)
    print(
        f"{label}: median {median:6.2f} s (target <= {MEDIAN_TARGET:g} s) "
        f"{verdict(median <= MEDIAN_TARGET)}   total {total:6.2f} s "
        f"(target <= {TOTAL_TARGET:g} s) {verdict(total <= TOTAL_TARGET)}"
    )


def print_table(rows: list[Row]) -> None:
    width = max(len(row.lesson) for row in rows)
    header = f"{'lesson':<{width}}  {'cold s':>7}  {'warm s':>7}  {'cpu s':>6}  exit  result"
    print(header)
    for row in rows:
        cold, warm = row.cold, row.warm
        print(
            f"{row.lesson:<{width}}  {cold.wall:7.2f}  {warm.wall:7.2f}  {cold.cpu:6.2f}  "
            f"{cold.code:>4}  {cold.score}"
        )
    print("-" * len(header))
    print_targets("cold", [row.cold.wall for row in rows])
    print_targets("warm", [row.warm.wall for row in rows])
    print(f"cpu of the cold runs: {sum(row.cold.cpu for row in rows):.2f} s (all their processes)")
    if any(row.cold.code != row.warm.code or row.cold.score != row.warm.score for row in rows):
        print("note: a warm run did not end as its cold run did (see exit/result)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="warm runs; the fastest counts")
    parser.add_argument("--timeout", type=float, help="passed on as `course check --timeout`")
    parser.add_argument("--lessons", nargs="*", help="lesson names or ids (default: all nine)")
    args = parser.parse_args()
    names = lesson_names()
    if args.lessons:
        names = [n for n in names if n in args.lessons or n.split("_")[0] in args.lessons]
    load = os.getloadavg()
    print(
        f"course check on lessons/*/solved — {os.cpu_count()} cores, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, warm runs per lesson: {args.repeat}"
    )
    if shutil.which("uv") is None and not (Path(sys.executable).parent / "course").is_file():
        print("note: running `python -m course` (no `course` script next to this Python)")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-grading-cache-") as cache:
        for name in names:
            cold = run_check(name, args.timeout, Path(cache))
            warm = [run_check(name, args.timeout, Path(cache)) for _ in range(max(args.repeat, 1))]
            rows.append(Row(name, cold, min(warm, key=lambda run: run.wall)))
    print_table(rows)
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
