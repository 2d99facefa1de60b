"""bench/engine.py still runs (it reads private names of bot.rules.scan_tables) and finds nothing misclassified."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_engine_bench_runs_on_a_small_corpus_and_misclassifies_nothing() -> None:
    result = subprocess.run(
        [sys.executable, "bench/engine.py", "--messages", "1000", "--repeat", "1"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    figures = dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)
    assert figures["misclassified"] == "0"
    for name in ("clean_us", "link_us", "parse_us", "link_floor_us"):
        assert float(figures[name]) > 0, name
