"""The pure queue statistics: counts by reason and domain, approval rates, time to decision, busiest moderators."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.models import DecisionFacts
from bot.queue.stats import GroupStats, decision_seconds, median, percentile, queue_stats

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def fact(
    *reasons: str,
    state: str = "pending",
    after_s: float | None = None,
    links: tuple[tuple[str, str], ...] = (),
    moderator: tuple[int, str] | None = None,
) -> DecisionFacts:
    """An item held at T0, decided after_s seconds later (if at all) by moderator (id, name)."""
    return DecisionFacts(
        reasons=reasons,
        links=links,
        state=state,
        created_at=T0,
        decided_at=T0 + timedelta(seconds=after_s) if after_s is not None else None,
        moderator_id=moderator[0] if moderator else None,
        moderator_name=moderator[1] if moderator else None,
    )


@pytest.mark.parametrize(
    ("values", "percent", "expected"),
    [
        ([], 90, None),
        ([5.0], 90, 5.0),
        ([1.0, 2.0], 50, 1.0),
        ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 90, 9.0),
        ([10.0, 1.0, 9.0, 2.0, 8.0, 3.0, 7.0, 4.0, 6.0, 5.0, 11.0], 90, 10.0),
        ([3.0, 1.0, 2.0], 100, 3.0),
    ],
)
def test_percentile_is_nearest_rank(values: list[float], percent: float, expected: float | None) -> None:
    assert percentile(values, percent) == expected


@pytest.mark.parametrize("percent", [0, -5, 101])
def test_percentile_refuses_a_percent_out_of_range(percent: float) -> None:
    with pytest.raises(ValueError, match="percent"):
        percentile([1.0], percent)


@pytest.mark.parametrize(
    ("values", "expected"),
    [([], None), ([4.0], 4.0), ([1.0, 3.0], 2.0), ([5.0, 1.0, 3.0], 3.0), ([1.0, 2.0, 3.0, 100.0], 2.5)],
)
def test_median(values: list[float], expected: float | None) -> None:
    assert median(values) == expected


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ([fact("new_member")], []),  # pending: no decision time
        ([fact("new_member", state="approved", after_s=60)], [60.0]),
        ([fact("email", state="rejected", after_s=3600)], [3600.0]),
        ([fact("medical_site", state="restored", after_s=30)], [30.0]),
        ([fact("medical_site", state="blocked")], []),  # removed, never restored
    ],
)
def test_decision_seconds_counts_decided_items_only(facts: list[DecisionFacts], expected: list[float]) -> None:
    assert decision_seconds(facts) == expected


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        (["approved", "approved", "rejected", "pending"], GroupStats("new_member", 4, 2, 1)),
        (["pending"], GroupStats("new_member", 1, 0, 0)),
        (["rejected", "rejected"], GroupStats("new_member", 2, 0, 2)),
        (["restored", "blocked"], GroupStats("new_member", 2, 1, 0)),
    ],
)
def test_counts_per_reason(states: list[str], expected: GroupStats) -> None:
    stats = queue_stats(
        [fact("new_member", state=s, after_s=1 if s in ("approved", "rejected", "restored") else None) for s in states]
    )
    assert stats.by_reason == (expected,)


@pytest.mark.parametrize(
    ("group", "rate"),
    [
        (GroupStats("x", 4, 2, 1), 2 / 3),
        (GroupStats("x", 1, 0, 0), None),
        (GroupStats("x", 2, 0, 2), 0.0),
        (GroupStats("x", 3, 3, 0), 1.0),
    ],
)
def test_approval_rate_is_over_decided_items(group: GroupStats, rate: float | None) -> None:
    assert group.approval_rate == rate
    assert group.undecided == group.held - group.approved - group.rejected


def test_an_item_counts_once_for_each_of_its_reasons_in_the_given_order() -> None:
    stats = queue_stats(
        [fact("email", "new_member", state="approved", after_s=10), fact("new_member", state="rejected", after_s=20)],
        reason_order=("new_member", "external_link", "email"),
    )
    assert [g.key for g in stats.by_reason] == ["new_member", "email"]
    assert stats.by_reason[0] == GroupStats("new_member", 2, 1, 1)
    assert stats.by_reason[1] == GroupStats("email", 1, 1, 0)
    assert stats.held == 2


def test_domains_count_holding_links_once_per_item_most_held_first() -> None:
    links_a = (("example.org", "external"), ("example.org", "external"), ("spine.org", "internal"))
    stats = queue_stats(
        [
            fact("external_link", state="approved", after_s=5, links=links_a),
            fact("external_link", state="rejected", after_s=5, links=(("example.org", "external"),)),
            fact("medical_site", state="blocked", links=(("pills.example", "medical"),)),
            fact("external_link", links=(("trusted.org", "allowed"), ("bit.ly", "shortener"))),
        ]
    )
    assert stats.by_domain == (
        GroupStats("example.org", 2, 1, 1),
        GroupStats("bit.ly", 1, 0, 0),
        GroupStats("pills.example", 1, 0, 0),
    )


@pytest.mark.parametrize(
    ("seconds", "median_s", "p90_s"),
    [
        ([60], 60.0, 60.0),
        ([60, 120], 90.0, 120.0),
        ([10 * i for i in range(1, 11)], 55.0, 90.0),
    ],
)
def test_time_to_decision(seconds: list[int], median_s: float, p90_s: float) -> None:
    stats = queue_stats([fact("new_member", state="approved", after_s=s) for s in seconds] + [fact("new_member")])
    assert (stats.median_decision_s, stats.p90_decision_s, stats.decided) == (median_s, p90_s, len(seconds))


def test_busiest_moderators_by_id_with_their_latest_name_ties_by_name() -> None:
    stats = queue_stats(
        [
            fact("new_member", state="approved", after_s=1, moderator=(1, "Maria")),
            fact("new_member", state="rejected", after_s=1, moderator=(1, "Maria (mod)")),
            fact("new_member", state="approved", after_s=1, moderator=(2, "Sam")),
            fact("new_member", state="approved", after_s=1, moderator=(3, "Ada")),
            fact("new_member", state="pending"),
        ],
        top_moderators=2,
    )
    assert stats.moderators == (("Maria (mod)", 2), ("Ada", 1))


def test_no_facts_no_numbers() -> None:
    stats = queue_stats([])
    assert (stats.held, stats.decided, stats.by_reason, stats.by_domain, stats.moderators) == (0, 0, (), (), ())
    assert (stats.median_decision_s, stats.p90_decision_s) == (None, None)
