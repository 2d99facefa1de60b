"""Members in the store: counts, flags and link pre-approvals."""

from __future__ import annotations

from bot.store import Store

GUILD, ALICE, MOD = 10, 20, 30


async def test_member_flags(store: Store) -> None:
    record = await store.members.update(1, 8, trusted=True, links_preapproved=True)
    assert (record.trusted, record.links_preapproved, record.approved_posts) == (True, True, 0)
    record = await store.members.update(1, 8, approved=2)
    assert (record.trusted, record.approved_posts) == (True, 2)
    record = await store.members.update(1, 8, trusted=False)
    assert (record.trusted, record.links_preapproved) == (False, True)
    assert [m.user_id for m in await store.members.all(1)] == [8]


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
