"""How the mirror describes its actions, plans and reports."""

from __future__ import annotations

from bot.mirror.model import ChannelKind, GuildView
from bot.mirror.plan import (
    ActionResult,
    Adopt,
    AdoptArchive,
    ApplyReport,
    Archive,
    Create,
    CreateArchive,
    Placement,
    Plan,
    Reorder,
    Retire,
    Update,
    desired_tree,
    plan_mirror,
)
from bot.mirror.words import describe, describe_bookkeeping, plan_text, report_text
from bot.text import fit
from tests.mirror.fake import cat

CATEGORY, TEXT, FORUM = ChannelKind.CATEGORY, ChannelKind.TEXT, ChannelKind.FORUM
NAMES = {2: "Treatment"}


def test_each_action_on_one_line() -> None:
    assert describe(CreateArchive("Archived", 3), NAMES) == 'create category "Archived" for archived channels'
    assert describe(Create(2, CATEGORY, "Treatment", "", None, 0), NAMES) == 'create category "Treatment"'
    assert describe(Create(20, FORUM, "surgery", "t", 2, 0), NAMES) == 'create forum #surgery in "Treatment"'
    assert (
        describe(Create(20, TEXT, "surgery", "t", 2, 0, replaces=5), NAMES)
        == 'recreate (deleted by hand) #surgery in "Treatment"'
    )
    update = Update(20, 7, TEXT, "old", new_name="new", new_topic="t", move=True, parent_forum_id=None, restore=True)
    assert describe(update, NAMES) == (
        "#old: bring back from the archive, rename to #new, move at the top (no category), set topic"
    )
    assert describe(Update(2, 8, CATEGORY, "Treatmnt", new_name="Treatment"), NAMES) == (
        '"Treatmnt": rename to "Treatment"'
    )
    reorder = Reorder(2, False, (Placement(20, 7, "a", 0), Placement(21, 8, "b", 1)))
    assert describe(reorder, NAMES) == 'reorder channels in "Treatment": #a, #b'
    assert describe(Reorder(None, True, (Placement(2, 8, "Treatment", 0),)), NAMES) == 'reorder categories: "Treatment"'
    assert describe(Archive(21, 9, TEXT, "injections"), NAMES) == (
        "archive #injections: move to the archive, read-only for members"
    )
    assert (
        describe(Archive(2, 8, CATEGORY, "Treatment"), NAMES) == 'archive category "Treatment": read-only for members'
    )
    assert describe_bookkeeping(Adopt(20, 7, TEXT, "surgery")) == "adopt the existing #surgery (no change on Discord)"
    assert describe_bookkeeping(AdoptArchive(9, "ARCHIVED")) == 'use the existing category "ARCHIVED" as the archive'
    assert "forget forum category 21" in describe_bookkeeping(Retire(21, 9, TEXT))


def test_plans_and_reports_read_as_sentences() -> None:
    plan = Plan((Adopt(20, 7, TEXT, "surgery"),), (CreateArchive("Archived", 0),), ("odd parent",))
    text = plan_text(plan, "data/forum.toml")
    assert text.splitlines() == [
        "Forum categories from data/forum.toml: 0 categories, 0 text channels.",
        "⚠️ odd parent",
        "1 change (1 Discord call):",
        '1. create category "Archived" for archived channels',
        "Recorded without a Discord call:",
        "• adopt the existing #surgery (no change on Discord)",
    ]
    report = ApplyReport((ActionResult(plan.actions[0], False, "missing permission: I need Manage Channels"),))
    assert report_text(plan, report).splitlines() == [
        "Applied 1 change: 0 done, 1 failed.",
        "⚠️ odd parent",
        '✗ create category "Archived" for archived channels: missing permission: I need Manage Channels',
        "Recorded 1 existing channel without a Discord call:",
        "• adopt the existing #surgery (no change on Discord)",
    ]
    assert plan_text(Plan((), ()), "x").endswith("Discord already matches the forum: nothing to change.")


def test_long_text_is_cut_at_a_line() -> None:
    text = "\n".join(f"line {n}" for n in range(400))
    shown, cut = fit(text, 100)
    assert cut
    assert len(shown) <= 100
    assert shown == "\n".join(f"line {n}" for n in range(10)) + "\n… (the full text is attached)"
    assert fit("short", 100) == ("short", False)


def test_the_preview_says_what_the_source_left_out_and_why() -> None:
    left_out = ("«Staff Room» (forum 3): it has its own permissions on the forum",)
    tree = desired_tree([cat(50, "Introductions")], left_out=left_out)
    text = plan_text(plan_mirror(tree, [], GuildView(())), "https://forum.example/api/v2/categories")
    assert "⚠️ not mirrored: «Staff Room» (forum 3): it has its own permissions on the forum" in text.splitlines()
