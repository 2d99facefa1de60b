"""Planning and applying a large forum mirror: Discord calls made and time taken.

Run from the repository root::

    python bench/mirror.py [--categories N] [--per-heading K]

The real bot (its mirror service, executor and discord.py) runs in SimCord, the simulated
Discord the tests use, against a generated forum of N categories (default 500: headings of K
discussion categories each: 500 Discord channels, Discord's limit for a server). It measures:

* ``changes_planned``: the actions the first plan holds (one per channel to make);
* ``calls_first_apply``: the REST calls the first apply made, counted from SimCord's request
  log; exactly one per planned change is the target (``calls_per_change``);
* ``apply_s``: the first apply's wall time, reading forum.toml and planning included. SimCord
  answers at once, so this is the bot's own cost, not Discord's rate limits (see the README);
* ``calls_second_apply``: the calls made by applying the unchanged forum again (target: 0);
* ``changes_after_edits`` and ``calls_after_edits``: the same after renaming, moving,
  reordering, removing and adding a few categories on the forum.

Every figure is printed as ``name: value``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import simcord  # noqa: E402

from bot.app import build_bot  # noqa: E402
from bot.mirror.service import MirrorService  # noqa: E402
from bot.policy import load_policy_file  # noqa: E402
from bot.settings import MirrorSettings  # noqa: E402
from bot.store import Store  # noqa: E402

WORDS = "back neck spine disc nerve joint hip knee hand shoulder sleep work pain fusion gout".split()


def forum(total: int, per_heading: int) -> list[dict[str, Any]]:
    """A forum of `total` categories: headings, each over `per_heading` discussion categories."""
    categories: list[dict[str, Any]] = []
    heading_id = 0
    while len(categories) < total:
        heading_id += 1
        categories.append(
            {
                "id": heading_id,
                "name": f"Heading {heading_id}",
                "urlcode": f"heading-{heading_id}",
                "display_as": "heading",
            }
        )
        for n in range(per_heading):
            if len(categories) >= total:
                break
            forum_id = 1000 * heading_id + n
            name = f"{WORDS[n % len(WORDS)].title()} {WORDS[heading_id % len(WORDS)]} {forum_id}"
            category: dict[str, Any] = {
                "id": forum_id,
                "name": name,
                "urlcode": name.lower().replace(" ", "-"),
                "parent": heading_id,
                "description": f"Members talk about {name.lower()}: what helped, what did not, and questions.",
            }
            categories.append(category)
    return categories


def write_forum(path: Path, categories: list[dict[str, Any]]) -> None:
    """Write categories as a forum.toml."""
    parts = ['[forum]\nbase_url = "https://forum.spine-health.com"\n']
    for category in categories:
        parts.append("[[category]]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in category.items()))
    path.write_text("\n".join(parts), encoding="utf-8")


def edited(categories: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The forum later: 10 renamed, 5 moved, 5 reordered, 5 removed, 5 added."""
    out = [dict(c) for c in categories]
    discussions = [c for c in out if "parent" in c and c.get("display_as") is None]
    for c in discussions[:10]:
        c["name"] += " (renamed)"
        c["urlcode"] += "-renamed"
    headings = [c["id"] for c in out if c.get("display_as") == "heading"]
    for n, c in enumerate(discussions[10:15]):
        c["parent"] = (
            headings[(headings.index(c["parent"]) + 1) % len(headings)] if c["parent"] in headings else c["parent"]
        )
        c["order"] = 900 + n
    for n, c in enumerate(discussions[15:20]):
        c["order"] = -1 - n
    removed = {c["id"] for c in discussions[20:25]}
    out = [c for c in out if c["id"] not in removed]
    for n in range(5):
        out.append({"id": 900_000 + n, "name": f"New group {n}", "urlcode": f"new-group-{n}", "parent": headings[-1]})
    return out


async def run(total: int, per_heading: int) -> dict[str, Any]:
    """Plan, apply, re-apply and apply after edits; the figures."""
    with tempfile.TemporaryDirectory() as folder:
        forum_file = Path(folder) / "forum.toml"
        categories = forum(total, per_heading)
        write_forum(forum_file, categories)
        store = await Store.open(Path(folder) / "bridge.db")
        bot = build_bot(store, load_policy_file(), mirror=MirrorSettings(file=forum_file))
        try:
            async with simcord.run(bot) as env:
                guild_handle = env.create_guild("Spine & Arthritis Community")
                await env.settle()
                guild = bot.get_guild(guild_handle.id)
                assert guild is not None
                service: MirrorService = bot.services.mirror

                started = time.perf_counter()
                _, plan = await service.preview(guild)
                plan_s = time.perf_counter() - started

                before = len(env.http_requests)
                started = time.perf_counter()
                applied = await service.apply(guild)
                apply_s = time.perf_counter() - started
                calls_first = len(env.http_requests) - before
                await env.settle()
                channels = len(guild.channels)

                before = len(env.http_requests)
                again = await service.apply(guild)
                calls_second = len(env.http_requests) - before
                await env.settle()

                write_forum(forum_file, edited(categories))
                before = len(env.http_requests)
                after_edits = await service.apply(guild)
                calls_edits = len(env.http_requests) - before
        finally:
            await store.close()
    return {
        "categories": total,
        "changes_planned": plan.changes,
        "calls_first_apply": calls_first,
        "calls_per_change": round(calls_first / max(plan.changes, 1), 2),
        "failed_first_apply": len(applied.report.failed),
        "discord_channels": channels,
        "plan_s": round(plan_s, 3),
        "apply_s": round(apply_s, 3),
        "changes_second_apply": again.plan.changes,
        "calls_second_apply": calls_second,
        "changes_after_edits": after_edits.plan.changes,
        "calls_after_edits": calls_edits,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--categories", type=int, default=500, help="forum categories, headings included (500)")
    parser.add_argument("--per-heading", type=int, default=24, help="categories under each heading (24)")
    args = parser.parse_args(argv)
    figures = asyncio.run(run(args.categories, args.per_heading))
    order = ["changes_planned", "calls_first_apply", "apply_s", "calls_second_apply"]
    for name in order + [key for key in figures if key not in order]:
        print(f"{name}: {figures[name]}")
    return 0 if figures["calls_first_apply"] == figures["changes_planned"] and not figures["calls_second_apply"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
