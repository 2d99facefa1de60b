"""Queue statistics (pure): held items' facts in, counts, rates and times out.

No Discord, no database, no clock: the caller reads the facts and says which items count.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.models import DecisionFacts

APPROVED_STATES = frozenset({"approved", "restored"})
REJECTED_STATES = frozenset({"rejected"})
# Links of these classes are why an item was held or removed; internal and allowed links never are.
HOLDING_LINK_CLASSES = frozenset({"external", "medical", "shortener", "invite"})


@dataclass(frozen=True, slots=True)
class GroupStats:
    """Held, approved and rejected counts for one reason or one domain."""

    key: str
    held: int
    approved: int
    rejected: int

    @property
    def decided(self) -> int:
        """Items of this group a moderator decided."""
        return self.approved + self.rejected

    @property
    def undecided(self) -> int:
        """Items still pending, or removed and never restored."""
        return self.held - self.decided

    @property
    def approval_rate(self) -> float | None:
        """Approved share of the decided items; None when none was decided."""
        return self.approved / self.decided if self.decided else None


@dataclass(frozen=True, slots=True)
class QueueStats:
    """Everything `/queue stats` reports."""

    held: int
    decided: int
    by_reason: tuple[GroupStats, ...]
    by_domain: tuple[GroupStats, ...]
    median_decision_s: float | None
    p90_decision_s: float | None
    moderators: tuple[tuple[str, int], ...]


def percentile(values: Sequence[float], percent: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least `percent`% of values at or below it."""
    if not values:
        return None
    if not 0 < percent <= 100:
        raise ValueError(f"percent must be in (0, 100], not {percent}")
    ordered = sorted(values)
    rank = math.ceil(percent / 100 * len(ordered))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float | None:
    """The median (the mean of the middle two for an even count); None for no values."""
    return statistics.median(values) if values else None


def decision_seconds(facts: Iterable[DecisionFacts]) -> list[float]:
    """Seconds from hold to decision, for each decided item."""
    return [
        (fact.decided_at - fact.created_at).total_seconds()
        for fact in facts
        if fact.decided_at is not None and fact.state in APPROVED_STATES | REJECTED_STATES
    ]


def _groups(keyed: Iterable[tuple[str, str]], order: Sequence[str] = ()) -> tuple[GroupStats, ...]:
    held: Counter[str] = Counter()
    approved: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    for key, state in keyed:
        held[key] += 1
        if state in APPROVED_STATES:
            approved[key] += 1
        elif state in REJECTED_STATES:
            rejected[key] += 1
    rank = {key: index for index, key in enumerate(order)}
    # A fixed order when one is given (reasons); otherwise the most held first, then by name.
    keys = sorted(held, key=lambda k: (rank.get(k, len(rank)), -held[k], k))
    return tuple(GroupStats(key, held[key], approved[key], rejected[key]) for key in keys)


def queue_stats(
    facts: Sequence[DecisionFacts], *, reason_order: Sequence[str] = (), top_moderators: int = 5
) -> QueueStats:
    """Counts by reason and by domain, time to decision and the busiest moderators."""
    by_reason = _groups(((reason, fact.state) for fact in facts for reason in fact.reasons), reason_order)
    by_domain = _groups(
        (domain, fact.state)
        for fact in facts
        # A domain linked twice in one message counts once for that message.
        for domain in dict.fromkeys(d for d, link_class in fact.links if link_class in HOLDING_LINK_CLASSES)
    )
    seconds = decision_seconds(facts)
    counts: Counter[int | str] = Counter()
    names: dict[int | str, str] = {}
    for fact in facts:
        if fact.state in APPROVED_STATES | REJECTED_STATES and (fact.moderator_id or fact.moderator_name):
            key: int | str = fact.moderator_id if fact.moderator_id is not None else str(fact.moderator_name)
            counts[key] += 1
            # The latest name a moderator decided under is the one shown.
            names[key] = fact.moderator_name or str(fact.moderator_id)
    busiest = sorted(counts.items(), key=lambda pair: (-pair[1], names[pair[0]]))[: max(top_moderators, 0)]
    return QueueStats(
        held=len(facts),
        decided=len(seconds),
        by_reason=by_reason,
        by_domain=by_domain,
        median_decision_s=median(seconds),
        p90_decision_s=percentile(seconds, 90),
        moderators=tuple((names[key], count) for key, count in busiest),
    )
