"""Benchmark of grading: `course check NN --path lessons/NN_name/solved` for all nine lessons.

    cd /work/main && uv run python benchmarks/bench_grading.py [--repeat N] [--timeout S]

Each run is one `course check` subprocess, as a student starts it (it re-runs the checkpoints of
the earlier lessons as regressions too). Prints one row per lesson (wall time, the CPU time of the
subprocess and its children, exit code, score line), then the median and the total against the
targets: median <= 5 s, total <= 30 s (wall). With --repeat N each lesson runs N times and the
row shows the fastest run (the least disturbed by other load on the machine).

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
class Row:
    lesson: str
    wall: float
    cpu: float
    code: int
    score: str


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


def run_check(name: str, timeout: float | None) -> Row:
    lesson_id = name.split("_", 1)[0]
    command = [*course_command(), "check", lesson_id, "--path", f"lessons/{name}/solved"]
    if timeout is not None:
        command += ["--timeout", f"{timeout:g}"]
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
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
    return Row(name, wall, cpu, result.returncode, summary)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def print_table(rows: list[Row]) -> None:
    width = max(len(row.lesson) for row in rows)
    print(f"{'lesson':<{width}}  {'wall s':>7}  {'cpu s':>6}  exit  result")
    for row in rows:
        print(f"{row.lesson:<{width}}  {row.wall:7.2f}  {row.cpu:6.2f}  {row.code:>4}  {row.score}")
    walls = [row.wall for row in rows]
    graded = [row.wall for row in rows if row.code != 2]
    median, total = statistics.median(walls), sum(walls)
    print("-" * (width + 34))
    print(
        f"median wall {median:6.2f} s   target <= {MEDIAN_TARGET:g} s   {verdict(median <= MEDIAN_TARGET)}"
    )
    if graded and len(graded) < len(rows):
        only = statistics.median(graded)
        print(
            f"  median of the {len(graded)} lessons with checkpoints: {only:.2f} s "
            f"{verdict(only <= MEDIAN_TARGET)}"
        )
    print(
        f"total wall  {total:6.2f} s   target <= {TOTAL_TARGET:g} s  {verdict(total <= TOTAL_TARGET)}"
    )
    print(f"total cpu   {sum(row.cpu for row in rows):6.2f} s   (all processes of the runs)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per lesson; the fastest counts")
    parser.add_argument("--timeout", type=float, help="passed on as `course check --timeout`")
    parser.add_argument("--lessons", nargs="*", help="lesson names or ids (default: all nine)")
    args = parser.parse_args()
    names = lesson_names()
    if args.lessons:
        names = [n for n in names if n in args.lessons or n.split("_")[0] in args.lessons]
    load = os.getloadavg()
    print(
        f"course check on lessons/*/solved — {os.cpu_count()} cores, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, runs per lesson: {args.repeat}"
    )
    if shutil.which("uv") is None and not (Path(sys.executable).parent / "course").is_file():
        print("note: running `python -m course` (no `course` script next to this Python)")
    rows = []
    for name in names:
        runs = [run_check(name, args.timeout) for _ in range(max(args.repeat, 1))]
        rows.append(min(runs, key=lambda row: row.wall))
    print_table(rows)
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
