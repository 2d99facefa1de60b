"""The mirror's desired tree: the forum's categories in, names, topics, parents and order out, as tables."""

from __future__ import annotations

import pytest

from bot.mirror.model import ChannelKind, DisplayAs
from bot.mirror.tree import (
    CHANNEL_NAME_LIMIT,
    TOPIC_LIMIT,
    MirrorOptions,
    channel_slug,
    channel_topic,
    desired_tree,
    plain_text,
)
from tests.mirror.fake import BASE, FORUM_TREE, cat, heading

CATEGORY, TEXT, FORUM = ChannelKind.CATEGORY, ChannelKind.TEXT, ChannelKind.FORUM


# --- the desired tree ---------------------------------------------------------------------------


def test_headings_become_categories_and_discussions_channels_in_forum_order() -> None:
    tree = desired_tree(FORUM_TREE)
    assert [(d.forum_id, d.kind, d.name, d.parent_forum_id) for d in tree.channels] == [
        (1, CATEGORY, "Back Pain and Neck Pain", None),
        (10, TEXT, "lower-back-pain", 1),
        (11, TEXT, "neck-pain", 1),
        (2, CATEGORY, "Treatment", None),
        (20, TEXT, "back-surgery-and-neck-surgery", 2),
        (21, TEXT, "injections", 2),
        (50, TEXT, "introductions", None),
    ]
    assert tree.warnings == ()
    surgery = tree.channels[4]
    assert surgery.topic == f"Fusion, discectomy and recovery.\n{BASE}back-surgery-and-neck-surgery"
    assert tree.channels[0].topic == ""


def test_order_follows_the_forum_not_the_ids() -> None:
    tree = desired_tree([heading(1, "A"), cat(11, "Second", parent=1, order=2), cat(12, "First", parent=1, order=1)])
    assert [d.name for d in tree.channels] == ["A", "first", "second"]


def test_deeper_trees_flatten_to_two_levels_with_the_path_in_the_topic() -> None:
    tree = desired_tree(
        [
            heading(3, "Arthritis"),
            cat(30, "Types of Arthritis", parent=3, display=DisplayAs.CATEGORIES),
            cat(31, "Rheumatoid Arthritis", parent=30, description="RA."),
            cat(36, "Fibromyalgia", parent=3),
        ]
    )
    assert [(d.forum_id, d.kind, d.parent_forum_id) for d in tree.channels] == [
        (3, CATEGORY, None),
        (31, TEXT, 3),
        (36, TEXT, 3),
    ]
    ra = tree.channels[1]
    assert ra.topic == f"RA.\nForum: Arthritis › Types of Arthritis › Rheumatoid Arthritis\n{BASE}rheumatoid-arthritis"
    assert "Forum:" not in tree.channels[2].topic  # directly under its Discord category: no path needed


@pytest.mark.parametrize(
    ("display", "children", "kind"),
    [
        (DisplayAs.HEADING, False, CATEGORY),
        (DisplayAs.CATEGORIES, False, CATEGORY),
        (DisplayAs.DISCUSSIONS, False, TEXT),
        (DisplayAs.FLAT, True, CATEGORY),
        (DisplayAs.FLAT, False, TEXT),
    ],
)
def test_display_as_decides_category_or_channel(display: DisplayAs, children: bool, kind: ChannelKind) -> None:
    categories = [cat(1, "Top", display=display)] + ([cat(2, "Child", parent=1)] if children else [])
    assert desired_tree(categories).channels[0].kind is kind


def test_a_discussion_category_with_children_keeps_them_beside_it() -> None:
    tree = desired_tree([heading(1, "H"), cat(10, "Parent", parent=1), cat(11, "Child", parent=10)])
    assert [(d.name, d.parent_forum_id) for d in tree.channels] == [("H", None), ("parent", 1), ("child", 1)]
    assert "Forum: H › Parent › Child" in tree.channels[2].topic


def test_forum_channels_when_configured() -> None:
    tree = desired_tree(FORUM_TREE, MirrorOptions(channel_kind=FORUM))
    assert {d.kind for d in tree.channels} == {CATEGORY, FORUM}


def test_odd_sources_are_warned_about_not_fatal() -> None:
    tree = desired_tree(
        [
            cat(10, "Orphan", parent=99),
            cat(11, "Twice"),
            cat(11, "Twice again"),
            cat(12, "Loop A", parent=13),
            cat(13, "Loop B", parent=12),
        ]
    )
    assert [d.name for d in tree.channels] == ["orphan", "twice"]
    assert len(tree.warnings) == 3
    assert "listed twice" in tree.warnings[0]
    assert "parent 99" in tree.warnings[1]
    assert "12, 13" in tree.warnings[2]


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("back-surgery-and-neck-surgery", "back-surgery-and-neck-surgery"),
        ("Back Surgery & Neck Surgery", "back-surgery-neck-surgery"),
        ("Spondylolisthésis", "spondylolisthesis"),
        ("  --RA  (rheumatoid)--  ", "ra-rheumatoid"),
        ("under_score", "under_score"),
        ("Work, Disability and Insurance", "work-disability-and-insurance"),
        ("脊椎", ""),
        ("a" * 150, "a" * CHANNEL_NAME_LIMIT),
        ("b" * 99 + "-c", "b" * 99),
    ],
)
def test_channel_names_are_valid_for_discord(text: str, slug: str) -> None:
    assert channel_slug(text) == slug


def test_a_name_falls_back_to_the_forum_name_then_the_id() -> None:
    tree = desired_tree([cat(10, "Neck Pain", urlcode="!!!"), cat(11, "脊椎", urlcode="")])
    assert [d.name for d in tree.channels] == ["neck-pain", "category-11"]


def test_clashing_names_are_made_unique_and_the_oldest_keeps_the_plain_one() -> None:
    tree = desired_tree(
        [
            cat(12, "Sciatica!", urlcode="Sciatica"),
            cat(11, "sciatica", urlcode="sciatica"),
            cat(13, "Sciatica", urlcode="sciatica-11"),  # already the name a suffix would make
            cat(14, "Long", urlcode="x" * 120),
            cat(15, "Long too", urlcode="x" * 110),
        ]
    )
    names = {d.forum_id: d.name for d in tree.channels}
    assert names[11] == "sciatica"
    assert names[13] == "sciatica-11"
    assert names[12] == "sciatica-12"
    assert names[14] == "x" * CHANNEL_NAME_LIMIT
    assert names[15] == "x" * (CHANNEL_NAME_LIMIT - 3) + "-15"
    assert all(len(name) <= CHANNEL_NAME_LIMIT for name in names.values())
    assert len(set(names.values())) == len(names)


def test_a_mirrored_channel_never_takes_the_moderator_channels_name() -> None:
    tree = desired_tree([cat(10, "Mod Queue", urlcode="mod-queue")], reserved_names=["mod-queue"])
    assert tree.channels[0].name == "mod-queue-10"


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("Before and after <b>surgery</b>.", "Before and after surgery."),
        ("One<br>two<p>three</p>", "One two three"),
        ("Q&amp;A   about\n\tRA", "Q&A about RA"),
    ],
)
def test_descriptions_lose_their_markup(description: str, expected: str) -> None:
    assert plain_text(description) == expected


def test_over_long_topics_are_cut_to_discords_limit_keeping_the_link() -> None:
    url = BASE + "lower-back-pain"
    topic = channel_topic("word " * 400, url, ("Back", "Lower Back Pain"))
    assert len(topic) == TOPIC_LIMIT
    assert topic.endswith(f"…\nForum: Back › Lower Back Pain\n{url}")
    assert channel_topic("", url) == url
    assert channel_topic("short", "") == "short"
    huge = "https://forum.example/" + "x" * 1100
    assert channel_topic("desc", huge) == huge[:TOPIC_LIMIT]
    long_path = ("p" * 600, "q" * 600)
    assert channel_topic("desc", url, long_path) == url


def test_discord_limits_are_warned_about() -> None:
    crowded = [heading(1, "Crowded")] + [cat(100 + n, f"C{n}", parent=1) for n in range(51)]
    assert any("Discord allows 50" in w for w in desired_tree(crowded).warnings)
    huge = [cat(1000 + n, f"C{n}") for n in range(501)]
    assert any("Discord allows 500" in w for w in desired_tree(huge).warnings)
