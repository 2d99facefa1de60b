"""Decisions in the store: each decided once, with everything it implies written in the same transaction."""

from __future__ import annotations

import asyncio

import pytest

from bot.models import Decision, ItemState
from bot.rules import Action
from bot.store import Store
from tests.store.helpers import NOW, held


async def test_decide_approve_counts_and_audits(store: Store) -> None:
    item, _ = await store.items.add(held())
    outcome = await store.decisions.decide(
        item.id, Decision.APPROVE_TRUST, moderator_id=3, moderator_name="Mod", now=NOW
    )
    assert outcome.won
    assert outcome.item.state is ItemState.APPROVED
    assert (outcome.item.decided_by, outcome.item.decided_by_name, outcome.item.decided_at) == (3, "Mod", NOW)
    member = await store.members.get(1, 7)
    assert (member.approved_posts, member.trusted) == (1, True)
    audit = await store.decisions.audit_entries(1)
    assert [(row["item_id"], row["actor_id"], row["action"]) for row in audit] == [(item.id, 3, "approve_trust")]
    # decided and not yet reposted or told: reconciliation picks it up
    assert [i.id for i in await store.items.unfinished()] == [item.id]
    await store.items.set_repost(item.id, 10, 555)
    await store.items.mark_author_notified(item.id)
    await store.items.set_card(item.id, 900, 901)
    await store.holds.settle(item.id, removed=True)
    assert await store.items.unfinished() == []


async def test_decide_reject_keeps_the_reason(store: Store) -> None:
    item, _ = await store.items.add(held())
    outcome = await store.decisions.decide(
        item.id, Decision.REJECT, moderator_id=3, moderator_name="Mod", reason="Spam"
    )
    assert outcome.item.state is ItemState.REJECTED
    assert outcome.item.decision_reason == "Spam"
    assert (await store.members.get(1, 7)).rejected_posts == 1


@pytest.mark.parametrize(
    ("action", "decision", "won", "state"),
    [
        (Action.HOLD, Decision.RESTORE, False, ItemState.PENDING),
        (Action.BLOCK, Decision.APPROVE, False, ItemState.BLOCKED),
        (Action.BLOCK, Decision.RESTORE, True, ItemState.RESTORED),
        (Action.HOLD, Decision.APPROVE_DOMAIN, True, ItemState.APPROVED),
    ],
)
async def test_decisions_apply_only_to_their_state(
    store: Store, action: Action, decision: Decision, won: bool, state: ItemState
) -> None:
    item, _ = await store.items.add(held(action=action))
    outcome = await store.decisions.decide(item.id, decision, moderator_id=3, moderator_name="Mod")
    assert outcome.won is won
    assert outcome.item.state is state


async def test_two_moderators_at_once_one_wins(store: Store) -> None:
    item, _ = await store.items.add(held())
    outcomes = await asyncio.gather(
        *(
            store.decisions.decide(item.id, decision, moderator_id=mod, moderator_name=f"mod{mod}")
            for mod, decision in ((1, Decision.APPROVE), (2, Decision.REJECT), (3, Decision.APPROVE))
        )
    )
    winners = [outcome for outcome in outcomes if outcome.won]
    assert len(winners) == 1
    losers = [outcome for outcome in outcomes if not outcome.won]
    assert all(loser.item.decided_by == winners[0].item.decided_by for loser in losers)
    assert len(await store.decisions.audit_entries(1)) == 1


async def test_approve_and_allow_domain_allows_the_domain_in_the_decisions_transaction(store: Store) -> None:
    item, _ = await store.items.add(held())
    outcome = await store.decisions.decide(item.id, Decision.APPROVE_DOMAIN, moderator_id=3, moderator_name="Mo")
    assert outcome.won
    assert outcome.item.state is ItemState.APPROVED
    # Nothing else runs after the decision: the domain is allowed by the decision itself (crash-safe).
    assert await store.guilds.allowed_domains(1) == {"example.org"}


async def test_a_lost_decision_allows_no_domain(store: Store) -> None:
    item, _ = await store.items.add(held())
    await store.decisions.decide(item.id, Decision.REJECT, moderator_id=3, moderator_name="Mo")
    lost = await store.decisions.decide(item.id, Decision.APPROVE_DOMAIN, moderator_id=4, moderator_name="Al")
    assert not lost.won
    assert await store.guilds.allowed_domains(1) == frozenset()


async def test_other_approvals_allow_no_domain(store: Store) -> None:
    first, _ = await store.items.add(held(100))
    second, _ = await store.items.add(held(101))
    await store.decisions.decide(first.id, Decision.APPROVE, moderator_id=3, moderator_name="Mo")
    await store.decisions.decide(second.id, Decision.APPROVE_TRUST, moderator_id=3, moderator_name="Mo")
    assert await store.guilds.allowed_domains(1) == frozenset()


async def test_a_grouped_approve_and_allow_domain_allows_every_won_items_domains(store: Store) -> None:
    first, _ = await store.items.add(held(100))
    second, _ = await store.items.add(held(101, content="see backblog.net", links=()))
    outcomes = await store.decisions.decide_many(
        [first.id, second.id], Decision.APPROVE_DOMAIN, moderator_id=3, moderator_name="Mo"
    )
    assert [outcome.won for outcome in outcomes] == [True, True]
    assert await store.guilds.allowed_domains(1) == {"example.org"}  # the second carried no link
