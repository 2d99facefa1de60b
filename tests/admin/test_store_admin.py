"""The store's admin methods: pre-approvals, the whole-policy replace, a member's latest items."""

from __future__ import annotations

import sqlite3

import pytest

from bot.store import Store

GUILD, ALICE, MOD = 10, 20, 30


async def test_a_member_record_carries_only_active_grants(store: Store) -> None:
    counted = await store.members.add_preapproval(GUILD, ALICE, domain="backblog.net", uses=1, granted_by=MOD)
    standing = await store.members.add_preapproval(GUILD, ALICE, domain=None, uses=None, granted_by=MOD)
    assert (counted.uses_left, standing.uses_left, standing.granted_by) == (1, None, MOD)
    assert (await store.members.get(GUILD, ALICE)).preapprovals == (counted, standing)
    assert await store.members.spend_preapprovals([counted.id])
    assert [grant.id for grant in (await store.members.get(GUILD, ALICE)).preapprovals] == [standing.id]
    assert not await store.members.spend_preapprovals([counted.id])
    assert not await store.members.spend_preapprovals([standing.id])  # a standing grant has no uses to spend
    assert (await store.members.get(GUILD + 1, ALICE)).preapprovals == ()  # per guild


async def test_a_spend_of_several_grants_is_all_or_nothing(store: Store) -> None:
    one = await store.members.add_preapproval(GUILD, ALICE, domain="a.org", uses=1, granted_by=MOD)
    two = await store.members.add_preapproval(GUILD, ALICE, domain="b.org", uses=2, granted_by=MOD)
    assert await store.members.spend_preapprovals([one.id])
    assert not await store.members.spend_preapprovals([two.id, one.id])
    assert [grant.uses_left for grant in await store.members.preapprovals(GUILD, ALICE)] == [2]  # two was not spent


async def test_revoke_ends_grants_and_the_old_flag(store: Store) -> None:
    await store.members.update(GUILD, ALICE, links_preapproved=True)
    await store.members.add_preapproval(GUILD, ALICE, domain="a.org", uses=None, granted_by=MOD)
    await store.members.add_preapproval(GUILD, ALICE, domain="b.org", uses=3, granted_by=MOD)
    assert await store.members.revoke_preapprovals(GUILD, ALICE, domain="a.org", revoked_by=MOD) == 1
    assert [grant.domain for grant in await store.members.preapprovals(GUILD, ALICE)] == ["b.org"]
    assert await store.members.revoke_preapprovals(GUILD, ALICE, domain=None, revoked_by=MOD) == 2
    record = await store.members.get(GUILD, ALICE)
    assert (record.preapprovals, record.links_preapproved) == ((), False)
    assert len(await store.members.preapprovals(GUILD, ALICE, spent=True)) == 2
    actions = [row["action"] for row in await store.decisions.audit_entries(GUILD)]
    assert actions == ["revoke_preapproval", "revoke_preapproval", "preapprove", "preapprove"]


async def test_replace_policy_replaces_everything_and_keeps_who_allowed_a_kept_domain(store: Store) -> None:
    await store.guilds.allow_domains(GUILD, ["keep.org", "drop.org"], MOD)
    await store.guilds.set_channel_screened(GUILD, 1, False)
    await store.guilds.set_policy_overrides(GUILD, {"emails": {"action": "block"}})
    await store.guilds.replace_policy(
        GUILD,
        overrides={"new_members": {"approved_posts_required": 2}},
        allowed_domains=["keep.org", "new.org"],
        unscreened_channel_ids=[2, 3],
        actor_id=ALICE,
    )
    assert await store.guilds.policy_overrides(GUILD) == {"new_members": {"approved_posts_required": 2}}
    assert await store.guilds.allowed_domains(GUILD) == {"keep.org", "new.org"}
    assert (await store.guilds.settings(GUILD)).unscreened_channel_ids == {2, 3}
    [entry] = await store.decisions.audit_entries(GUILD)
    assert (entry["action"], entry["actor_id"]) == ("policy_import", ALICE)


async def test_replace_policy_is_one_transaction(store: Store) -> None:
    await store.guilds.allow_domains(GUILD, ["keep.org"], MOD)
    with pytest.raises(sqlite3.Error):
        await store.guilds.replace_policy(
            GUILD,
            overrides={"new_members": {"approved_posts_required": 2}},
            allowed_domains=["new.org"],
            unscreened_channel_ids=[object()],  # type: ignore[list-item]  # fails last, after the other writes
            actor_id=ALICE,
        )
    assert await store.guilds.allowed_domains(GUILD) == {"keep.org"}
    assert await store.guilds.policy_overrides(GUILD) == {}
