"""The pure planner: every kind of change between the desired tree and the guild, as tables."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.mirror.model import ChannelKind, MirrorRecord
from bot.mirror.plan import (
    Adopt,
    AdoptArchive,
    Archive,
    Create,
    CreateArchive,
    MirrorOptions,
    Reorder,
    Retire,
    Update,
)
from tests.mirror.fake import BASE, FORUM_TREE, FakeGuild, cat, heading, matches

CATEGORY, TEXT, FORUM = ChannelKind.CATEGORY, ChannelKind.TEXT, ChannelKind.FORUM


def kinds(plan: object) -> list[str]:
    """The actions' class names, in order."""
    return [type(action).__name__ for action in plan.actions]  # type: ignore[attr-defined]


# --- plans ------------------------------------------------------------------------------------


def test_create_from_empty_makes_one_call_per_channel_in_forum_order() -> None:
    guild = FakeGuild()
    plan = guild.plan(FORUM_TREE)
    assert kinds(plan) == ["Create"] * 7
    creates = [a for a in plan.actions if isinstance(a, Create)]
    # Categories first (channels go into them), then channels; each with its place.
    assert [(c.name, c.position) for c in creates] == [
        ("Back Pain and Neck Pain", 0),
        ("Treatment", 1),
        ("lower-back-pain", 0),
        ("neck-pain", 1),
        ("back-surgery-and-neck-surgery", 0),
        ("injections", 1),
        ("introductions", 0),
    ]
    assert plan.changes == 7
    assert plan.bookkeeping == ()
    guild.apply(plan)
    matches(guild, plan.desired)


def test_idempotent_a_second_plan_is_empty() -> None:
    guild = FakeGuild()
    guild.sync(FORUM_TREE)
    again = guild.plan(FORUM_TREE)
    assert again.is_empty
    assert again.changes == 0


def test_a_renamed_category_is_one_update_with_name_and_topic() -> None:
    guild = FakeGuild()
    guild.sync(FORUM_TREE)
    renamed = [
        replace(c, name="Spine Surgery", urlcode="spine-surgery", url=BASE + "spine-surgery") if c.id == 20 else c
        for c in FORUM_TREE
    ]
    plan = guild.plan(renamed)
    [update] = plan.actions
    assert isinstance(update, Update)
    assert (update.forum_id, update.name, update.new_name, update.move) == (
        20,
        "back-surgery-and-neck-surgery",
        "spine-surgery",
        False,
    )
    assert update.new_topic == f"Fusion, discectomy and recovery.\n{BASE}spine-surgery"
    guild.apply(plan)
    assert guild.plan(renamed).is_empty


def test_a_renamed_heading_renames_its_category() -> None:
    guild = FakeGuild()
    guild.sync(FORUM_TREE)
    plan = guild.plan([replace(c, name="Treatments") if c.id == 2 else c for c in FORUM_TREE])
    [update] = plan.actions
    assert isinstance(update, Update)
    assert (update.kind, update.new_name, update.new_topic) == (CATEGORY, "Treatments", None)


def test_a_category_moved_on_the_forum_moves_its_channel() -> None:
    guild = FakeGuild()
    guild.sync(FORUM_TREE)
    moved = [replace(c, parent_id=2, order=30) if c.id == 11 else c for c in FORUM_TREE]
    plan = guild.plan(moved)
    # It keeps its old position (1) on the move, which ties with #injections and sorts first: so a reorder.
    assert kinds(plan) == ["Update", "Reorder"]
    update = plan.actions[0]
    assert isinstance(update, Update)
    assert (update.forum_id, update.move, update.parent_forum_id, update.new_name) == (11, True, 2, None)
    guild.apply(plan)
    matches(guild, plan.desired)
    assert guild.plan(moved).is_empty


def test_moving_to_the_top_and_under_a_new_heading() -> None:
    guild = FakeGuild()
    guild.sync(FORUM_TREE)
    changed = [replace(c, parent_id=None) if c.id == 21 else c for c in FORUM_TREE]
    changed = [replace(c, parent_id=9) if c.id == 50 else c for c in changed] + [heading(9, "Community", order=99)]
    plan = guild.plan(changed)
    assert kinds(plan) == ["Create", "Update", "Update"]
    assert isinstance(plan.actions[0], Create)
    assert plan.actions[0].name == "Community"
    guild.apply(plan)
    matches(guild, plan.desired)
    assert guild.plan(changed).is_empty


def test_swapped_siblings_are_reordered_in_one_call() -> None:
    guild = FakeGuild()
    guild.sync(FORUM_TREE)
    swapped = [replace(c, order={10: 2, 11: 1}.get(c.id, c.order)) for c in FORUM_TREE]
    plan = guild.plan(swapped)
    [reorder] = plan.actions
    assert isinstance(reorder, Reorder)
    assert (reorder.parent_forum_id, reorder.categories) == (1, False)
    assert {(p.name, p.position) for p in reorder.placements} == {("neck-pain", 0), ("lower-back-pain", 1)}
    guild.apply(plan)
    heading_channel = guild.channel_for(1).id
    assert guild.siblings(heading_channel, categories=False) == ["neck-pain", "lower-back-pain"]
    assert guild.plan(swapped).is_empty


def test_reordered_headings_reorder_the_categories() -> None:
    guild = FakeGuild()
    guild.sync(FORUM_TREE)
    swapped = [replace(c, order={1: 2, 2: 1}.get(c.id, c.order)) for c in FORUM_TREE]
    plan = guild.plan(swapped)
    [reorder] = plan.actions
    assert isinstance(reorder, Reorder)
    assert reorder.categories
    guild.apply(plan)
    assert guild.siblings(None, categories=True) == ["Treatment", "Back Pain and Neck Pain"]


def test_a_new_category_slots_in_between_without_moving_others() -> None:
    guild = FakeGuild()
    tree = [heading(1, "H"), cat(10, "A", parent=1, order=10), cat(12, "C", parent=1, order=30)]
    guild.sync(tree)
    guild.channels[guild.records[12].channel_id] = replace(guild.channel_for(12), position=5)  # a gap, by hand
    grown = [*tree, cat(11, "B", parent=1, order=20)]
    plan = guild.plan(grown)
    [create] = plan.actions
    assert isinstance(create, Create)
    assert (create.name, create.position) == ("b", 0)  # same as A's: newer ids sort after
    guild.apply(plan)
    assert guild.siblings(guild.channel_for(1).id, categories=False) == ["a", "b", "c"]


def test_a_new_category_with_no_room_renumbers_its_siblings() -> None:
    guild = FakeGuild()
    tree = [heading(1, "H"), cat(10, "A", parent=1, order=10), cat(12, "C", parent=1, order=30)]
    guild.sync(tree)
    guild.channels[guild.records[12].channel_id] = replace(guild.channel_for(12), position=0)  # ties with A
    grown = [*tree, cat(11, "B", parent=1, order=20)]
    plan = guild.plan(grown)
    assert kinds(plan) == ["Create", "Reorder"]
    reorder = plan.actions[1]
    assert isinstance(reorder, Reorder)
    assert [(p.name, p.position) for p in reorder.placements] == [("c", 2)]  # A stays 0; B is made at 1
    guild.apply(plan)
    assert guild.siblings(guild.channel_for(1).id, categories=False) == ["a", "b", "c"]
    assert guild.plan(grown).is_empty


def test_channels_the_mirror_does_not_own_may_sit_anywhere() -> None:
    guild = FakeGuild()
    guild.sync(FORUM_TREE)
    parent = guild.channel_for(1).id
    guild.add("moderators-chat", parent=parent, position=0)
    guild.add("rules", position=0)
    assert guild.plan(FORUM_TREE).is_empty


def test_a_category_gone_from_the_forum_is_archived_never_deleted() -> None:
    guild = FakeGuild()
    guild.sync(FORUM_TREE)
    smaller = [c for c in FORUM_TREE if c.id != 21]
    plan = guild.plan(smaller)
    assert kinds(plan) == ["CreateArchive", "Archive"]
    create_archive, archive = plan.actions
    assert isinstance(create_archive, CreateArchive)
    assert (create_archive.name, create_archive.position) == ("Archived", 2)  # after the mirrored categories
    assert isinstance(archive, Archive)
    assert (archive.forum_id, archive.name, archive.kind) == (21, "injections", TEXT)
    guild.apply(plan)
    assert guild.channel_for(21).parent_id == guild.archive_id
    assert guild.records[21].archived
    assert guild.plan(smaller).is_empty
    # A second category leaving goes to the same archive.
    plan = guild.plan([c for c in smaller if c.id != 11])
    assert kinds(plan) == ["Archive"]


def test_an_existing_archived_category_is_adopted() -> None:
    guild = FakeGuild()
    guild.sync(FORUM_TREE)
    made = guild.add("ARCHIVED", CATEGORY, position=9)
    plan = guild.plan([c for c in FORUM_TREE if c.id != 21])
    assert plan.bookkeeping == (AdoptArchive(made.id, "ARCHIVED"),)
    assert kinds(plan) == ["Archive"]


def test_a_gone_heading_becomes_read_only_and_its_channels_are_archived() -> None:
    guild = FakeGuild()
    guild.sync(FORUM_TREE)
    plan = guild.plan([c for c in FORUM_TREE if c.id not in (2, 20, 21)])
    assert kinds(plan) == ["CreateArchive", "Archive", "Archive", "Archive"]
    assert [(a.forum_id, a.kind) for a in plan.actions if isinstance(a, Archive)] == [
        (2, CATEGORY),
        (20, TEXT),
        (21, TEXT),
    ]


def test_a_category_back_on_the_forum_comes_back_from_the_archive() -> None:
    guild = FakeGuild()
    guild.sync(FORUM_TREE)
    guild.sync([c for c in FORUM_TREE if c.id != 21])
    plan = guild.plan(FORUM_TREE)
    [update] = plan.actions
    assert isinstance(update, Update)
    assert (update.forum_id, update.restore, update.move, update.parent_forum_id) == (21, True, True, 2)
    guild.apply(plan)
    assert not guild.records[21].archived
    matches(guild, plan.desired)
    assert guild.plan(FORUM_TREE).is_empty


def test_a_gone_category_whose_channel_was_deleted_is_only_forgotten() -> None:
    guild = FakeGuild()
    guild.sync(FORUM_TREE)
    del guild.channels[guild.records[21].channel_id]
    plan = guild.plan([c for c in FORUM_TREE if c.id != 21])
    assert plan.actions == ()
    assert plan.bookkeeping == (Retire(21, guild.records[21].channel_id, TEXT),)


def test_an_empty_source_archives_nothing() -> None:
    guild = FakeGuild()
    guild.sync(FORUM_TREE)
    plan = guild.plan([])
    assert plan.actions == ()
    assert any("no categories at all" in w for w in plan.warnings)


def test_a_channel_with_the_right_name_is_adopted_not_duplicated() -> None:
    guild = FakeGuild()
    made = guild.add("back pain and neck pain".upper(), CATEGORY, position=3)
    surgery = guild.add("back-surgery-and-neck-surgery", topic="old words")
    stray = guild.add("neck-pain", parent=12345)
    other_kind = guild.add("injections", ChannelKind.OTHER)
    plan = guild.plan(FORUM_TREE)
    assert plan.bookkeeping == (
        Adopt(1, made.id, CATEGORY, "BACK PAIN AND NECK PAIN"),
        Adopt(11, stray.id, TEXT, "neck-pain"),
        Adopt(20, surgery.id, TEXT, "back-surgery-and-neck-surgery"),
    )
    updates = [a for a in plan.actions if isinstance(a, Update)]
    assert {(u.forum_id, u.new_name, u.move, u.new_topic is not None) for u in updates} == {
        (1, "Back Pain and Neck Pain", False, False),  # Discord keeps the case the forum uses
        (11, None, True, True),  # out of the stray category; the link becomes its topic
        (20, None, True, True),  # into "Treatment" once it is made; its topic replaced
    }
    assert other_kind.id not in {a.channel_id for a in plan.bookkeeping if isinstance(a, Adopt)}
    guild.apply(plan)
    matches(guild, plan.desired)
    assert guild.plan(FORUM_TREE).is_empty
    assert len(guild.channels) == 4 + 4  # three adopted, one left alone, four made


@pytest.mark.parametrize(("existing", "mirrored"), [(FORUM, TEXT), (TEXT, FORUM)])
def test_a_same_named_channel_of_the_other_kind_is_reported_never_duplicated(
    existing: ChannelKind, mirrored: ChannelKind
) -> None:
    guild = FakeGuild()
    introductions = guild.add("introductions", existing)
    options = MirrorOptions(channel_kind=mirrored)
    plan = guild.plan(FORUM_TREE, options)
    assert not any(isinstance(a, Create) and a.forum_id == 50 for a in plan.actions)
    assert f"#introductions already exists as a {existing} channel, and the mirror makes {mirrored} channels" in (
        "\n".join(plan.warnings)
    )
    guild.apply(plan)
    assert [c.name for c in guild.channels.values()].count("introductions") == 1
    assert 50 not in guild.records
    assert guild.channels[introductions.id] == introductions  # left as the admin made it


def test_adoption_prefers_a_channel_already_in_the_right_category() -> None:
    guild = FakeGuild()
    guild.sync([heading(1, "H")])
    elsewhere = guild.add("neck-pain", position=0)
    inside = guild.add("neck-pain", parent=guild.channel_for(1).id, position=5)
    plan = guild.plan([heading(1, "H"), cat(11, "Neck Pain", parent=1)])
    assert plan.bookkeeping == (Adopt(11, inside.id, TEXT, "neck-pain"),)
    assert elsewhere.id not in guild.records


def test_a_channel_deleted_by_hand_is_recreated() -> None:
    guild = FakeGuild()
    guild.sync(FORUM_TREE)
    lost = guild.records[20].channel_id
    del guild.channels[lost]
    plan = guild.plan(FORUM_TREE)
    [create] = plan.actions
    assert isinstance(create, Create)
    assert (create.forum_id, create.name, create.replaces) == (20, "back-surgery-and-neck-surgery", lost)
    guild.apply(plan)
    assert guild.plan(FORUM_TREE).is_empty


def test_a_deleted_and_remade_by_hand_channel_is_adopted_instead() -> None:
    guild = FakeGuild()
    guild.sync(FORUM_TREE)
    del guild.channels[guild.records[20].channel_id]
    remade = guild.add("back-surgery-and-neck-surgery", parent=guild.channel_for(2).id, position=0)
    plan = guild.plan(FORUM_TREE)
    assert plan.bookkeeping == (Adopt(20, remade.id, TEXT, "back-surgery-and-neck-surgery"),)
    assert kinds(plan) == ["Update"]  # only its topic


def test_a_mapped_channel_is_never_adopted_for_another_category() -> None:
    guild = FakeGuild()
    guild.sync(FORUM_TREE)
    renamed = [*FORUM_TREE, cat(60, "Neck pain again", urlcode="neck-pain", parent=1, order=99)]
    plan = guild.plan(renamed)
    assert plan.bookkeeping == ()
    [create] = plan.actions
    assert isinstance(create, Create)
    assert create.name == "neck-pain-60"


def test_the_moderator_channel_is_never_touched() -> None:
    guild = FakeGuild()
    moderators = guild.add("lower-back-pain")  # a moderator channel that happens to share a name
    guild.moderator_channel_id = moderators.id
    plan = guild.plan(FORUM_TREE)
    assert plan.bookkeeping == ()
    touched = {getattr(a, "channel_id", None) for a in plan.actions}
    assert moderators.id not in touched
    names = [a.name for a in plan.actions if isinstance(a, Create)]
    assert "lower-back-pain-10" in names  # it keeps its name to itself


def test_a_mirrored_channel_that_became_the_moderator_channel_is_left_alone() -> None:
    guild = FakeGuild()
    guild.sync(FORUM_TREE)
    guild.moderator_channel_id = guild.records[11].channel_id
    plan = guild.plan(FORUM_TREE)
    [create] = plan.actions
    assert isinstance(create, Create)
    assert create.replaces == guild.moderator_channel_id
    assert create.name == "neck-pain-11"
    assert any("moderator channel" in w for w in plan.warnings)


def test_switching_to_forum_channels_archives_the_text_ones_and_makes_forums() -> None:
    guild = FakeGuild()
    guild.sync(FORUM_TREE)
    options = MirrorOptions(channel_kind=FORUM)
    plan = guild.plan(FORUM_TREE, options)
    assert kinds(plan) == ["CreateArchive"] + ["Archive"] * 5 + ["Create"] * 5
    guild.apply(plan)
    assert all(guild.channel_for(c.id).kind in (CATEGORY, FORUM) for c in FORUM_TREE)
    assert guild.plan(FORUM_TREE, options).is_empty


def test_records_that_point_at_a_channel_of_the_wrong_kind_are_archived_once() -> None:
    guild = FakeGuild()
    voice = guild.add("lower-back-pain", ChannelKind.OTHER)
    guild.records[10] = MirrorRecord(10, voice.id, TEXT, archived=True)
    plan = guild.plan([cat(10, "Lower Back Pain")])
    assert kinds(plan) == ["Create"]  # already archived: not again


def test_the_servers_own_limits_are_warned_about() -> None:
    guild = FakeGuild()
    for n in range(495):
        guild.add(f"chat-{n}")
    plan = guild.plan(FORUM_TREE)
    assert any("the server would have 502 channels; Discord allows 500" in w for w in plan.warnings)
    assert not any("server would have" in w for w in FakeGuild().plan(FORUM_TREE).warnings)

    many = FakeGuild()
    big = [heading(1, "H"), heading(2, "I")] + [cat(100 + n, f"C{n}", parent=1 + n % 2) for n in range(60)]
    many.sync(big)
    many.sync(big[:22])  # 40 archived: they fit
    assert not any("archive would hold" in w for w in many.plan(big[:22]).warnings)
    plan = many.plan(big[:2])  # 20 more would not
    assert any("the archive would hold 60 channels; Discord allows 50" in w for w in plan.warnings)
