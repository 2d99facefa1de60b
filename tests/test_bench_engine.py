"""bench/engine.py still runs (it reads private names of bot.rules.scan_tables), finds nothing misclassified, and judges
the clean and mix targets (issue #12), printing the link-message cost as a figure only."""

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
    for name in ("clean_us", "link_us", "parse_us", "link_floor_us", "mix_us", "link_ratio", "mix_ratio"):
        assert float(figures[name]) > 0, name
    clean_us, link_us = float(figures["clean_us"]), float(figures["link_us"])
    # The mix is 95% clean and 5% links, whatever the corpus's own share (rounding: three decimals printed).
    assert abs(float(figures["mix_us"]) - (0.95 * clean_us + 0.05 * link_us)) < 0.01
    verdict, judged = figures["targets_met"].split(" ", 1)
    assert verdict in {"yes", "no"}
    # The targets it judged, each with its verdict; the retired link target is not among them.
    assert judged.startswith("(clean_ratio <= 0.10 ")
    assert "mix_ratio <= 0.18 " in judged
    assert judged.endswith("; link_ratio not judged)")
    assert "link_ratio <= " not in judged
    assert verdict == ("yes" if "no" not in judged.split(";")[0].split() else "no")
