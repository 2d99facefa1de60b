"""The demo's channel map: reading data/forum.toml's categories, or falling back to the built-in list."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.demo.forum import (
    FALLBACK_CATEGORIES,
    ForumCategory,
    ForumFileError,
    channel_name,
    layout,
    load_categories,
    parse_categories,
)

MIRROR_FORMAT = """
[forum]
name = "Spine-health"
base_url = "https://www.spine-health.com/forum"

[[category]]
id = 1
name = "Back Pain"
urlcode = "back-pain"
display_as = "heading"
order = 1

[[category]]
id = 10
name = "Lower Back Pain"
urlcode = "lower-back-pain"
parent = 1
description = "Anything about the lower back"
url = "https://www.spine-health.com/forum/categories/lower-back-pain"

[[category]]
id = 11
name = "Sciatica"
urlcode = "sciatica"
parent = 1
display_as = "discussions"
"""


def test_the_mirrors_file_format_is_read_with_only_the_keys_the_demo_needs() -> None:
    assert parse_categories(MIRROR_FORMAT) == (
        ForumCategory(1, "Back Pain", "back-pain", None, holds_discussions=False, order=1),
        ForumCategory(10, "Lower Back Pain", "lower-back-pain", 1, holds_discussions=True, order=2),
        ForumCategory(11, "Sciatica", "sciatica", 1, holds_discussions=True, order=3),
    )


def test_without_a_kind_a_category_with_children_is_a_heading() -> None:
    text = """
[[categories]]
id = "3"
name = "Arthritis"
[[categories]]
id = 30
name = "Rheumatoid Arthritis"
urlcode = "ra"
parent = 3
[[categories]]
id = 31
name = "Gout"
parent = "arthritis-typo"
"""
    assert parse_categories(text) == (
        ForumCategory(3, "Arthritis", "Arthritis", None, holds_discussions=False, order=1),
        ForumCategory(30, "Rheumatoid Arthritis", "ra", 3, holds_discussions=True, order=2),
        ForumCategory(31, "Gout", "Gout", None, holds_discussions=True, order=3),  # an unknown parent: top level
    )


def test_a_flat_category_is_a_heading_only_when_it_holds_categories() -> None:
    text = """
[[category]]
id = 1
name = "Arthritis"
display_as = "flat"
[[category]]
id = 2
name = "Gout"
parent = 1
display_as = "flat"
"""
    assert [c.holds_discussions for c in parse_categories(text)] == [False, True]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[[category]\nid = 1", "not valid TOML"),
        ("title = 'forum'", "no [[categories]] entries"),
        ("[[category]]\nname = 'No id'", "no category has both an id and a name"),
        ("[[category]]\nid = 1\nname = 'Top'\ndisplay_as = 'heading'", "no category holds discussions"),
    ],
)
def test_an_unusable_file_says_why(text: str, problem: str) -> None:
    with pytest.raises(ForumFileError, match=problem.replace("[", r"\[")):
        parse_categories(text)


def test_a_missing_or_unusable_file_falls_back_to_the_built_in_list(tmp_path: Path) -> None:
    missing = load_categories(tmp_path / "forum.toml")
    assert missing.categories == FALLBACK_CATEGORIES
    assert "not found" in missing.description
    broken = tmp_path / "broken.toml"
    broken.write_text("[[category]\n", encoding="utf-8")
    fallback = load_categories(broken)
    assert fallback.categories == FALLBACK_CATEGORIES
    assert "not valid TOML" in fallback.description
    good = tmp_path / "good.toml"
    good.write_text(MIRROR_FORMAT, encoding="utf-8")
    assert [c.id for c in load_categories(good).categories] == [1, 10, 11]


def test_channel_names_are_valid_and_unique() -> None:
    assert channel_name("Back-Surgery-and-Neck-Surgery") == "back-surgery-and-neck-surgery"
    assert channel_name("Kyphoplasty & Vertebroplasty!") == "kyphoplasty-vertebroplasty"
    assert channel_name("???") == "category"
    assert channel_name("moderators", taken={"moderators"}) == "moderators-2"
    long = channel_name("x" * 150, taken={"x" * 100})
    assert (len(long), long[-2:]) == (100, "-2")


def test_channels_sit_under_their_top_level_heading_in_the_forums_order() -> None:
    categories = (
        ForumCategory(1, "Arthritis", "arthritis", None, holds_discussions=False, order=1),
        ForumCategory(2, "Types of Arthritis", "types", 1, holds_discussions=False, order=2),
        ForumCategory(3, "Gout", "gout", 2, holds_discussions=True, order=2),
        ForumCategory(4, "Osteoarthritis", "osteoarthritis", 2, holds_discussions=True, order=1),
        ForumCategory(5, "Fibromyalgia", "fibromyalgia", 1, holds_discussions=True, order=3),
        ForumCategory(6, "Moderators", "moderators", None, holds_discussions=True, order=0),
    )
    assert [
        (heading, [(c.id, name) for c, name in members]) for heading, members in layout(categories, {"moderators"})
    ] == [
        (None, [(6, "moderators-2")]),
        # A heading below the top has no Discord category of its own (Discord has two levels).
        ("Arthritis", [(4, "osteoarthritis"), (3, "gout"), (5, "fibromyalgia")]),
    ]


def test_the_built_in_list_has_the_scenes_channel() -> None:
    names = [name for _, members in layout(FALLBACK_CATEGORIES) for _, name in members]
    assert "lumbar-fusion" in names
    assert "back-surgery-and-neck-surgery" in names
