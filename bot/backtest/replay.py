"""Replaying an export through the engine in timestamp order, and the --json records of its verdicts."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.backtest.export import ExportedMessage
from bot.rules import AuthorFacts, Engine, MessageFacts, Policy, Verdict


@dataclass(frozen=True, slots=True)
class Screened:
    """A replayed message and the engine's verdict on it."""

    message: ExportedMessage
    verdict: Verdict


@dataclass(frozen=True, slots=True)
class Replay:
    """The outcome of a replay: verdicts in timestamp order, and messages the engine failed on."""

    screened: tuple[Screened, ...]
    failures: tuple[str, ...]


def replay(
    messages: Sequence[ExportedMessage],
    engine: Engine,
    policy: Policy,
    *,
    guild_id: int | None,
    assume_established: bool,
) -> Replay:
    """Screen every human-written message in timestamp order (file order for ties)."""
    ordered = sorted((m for m in messages if not m.is_bot and not m.is_system), key=lambda m: m.timestamp)
    earlier: Counter[int] = Counter()
    screened: list[Screened] = []
    failures: list[str] = []
    for message in ordered:
        # Every earlier post counts as approved: the backtest assumes moderators let
        # first posts through, so only the first N of each author are held as new.
        approved = earlier[message.author_id]
        if assume_established:
            approved += policy.new_member_posts
        author = AuthorFacts(user_id=message.author_id, approved_posts=approved)
        facts = MessageFacts(
            text=message.content,
            attachment_names=message.attachment_names,
            embed_urls=message.embed_urls,
            guild_id=guild_id,
        )
        try:
            verdict = engine.evaluate(author, facts, policy)
        except Exception as exc:
            # One message the engine cannot handle must not end a backtest of thousands.
            failures.append(f"message id {message.id}: the engine failed ({type(exc).__name__}: {exc}); skipped")
            continue
        earlier[message.author_id] += 1
        screened.append(Screened(message, verdict))
    return Replay(tuple(screened), tuple(failures))


def verdict_record(item: Screened) -> dict[str, object]:
    """The public --json record for one message, keys in their documented order."""
    verdict = item.verdict
    return {
        "id": item.message.id,
        "verdict": verdict.action.value,
        "reasons": [reason.value for reason in verdict.reasons],
        "links": [{"url": link.url, "domain": link.domain, "class": link.link_class.value} for link in verdict.links],
    }


def json_lines(screened: Iterable[Screened]) -> Iterable[str]:
    """One JSON object per message, each on its own line."""
    for item in screened:
        yield json.dumps(verdict_record(item)) + "\n"
