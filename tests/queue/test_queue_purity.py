"""The queue's statistics, due times, chart and words are pure: no Discord, no database — in a clean interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "module", ["bot.queue.stats", "bot.queue.due", "bot.queue.chart", "bot.queue.words", "bot.welcome.words"]
)
def test_a_pure_module_loads_no_discord_or_database_module(module: str) -> None:
    code = (
        f"import sys, json; import {module}; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('discord', 'aiosqlite', 'aiohttp'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(result.stdout) == []
