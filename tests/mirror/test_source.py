"""The forum.toml reader, the shipped tree, and storing a tree as JSON."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.mirror.model import ChannelKind, DisplayAs
from bot.mirror.plan import desired_tree
from bot.mirror.source import ForumSourceError, load_forum_file, parse_forum_document, tree_from_json, tree_to_json
from bot.settings import DEFAULT_FORUM_FILE


def test_the_shipped_tree_is_representative_and_valid() -> None:
    tree = load_forum_file(DEFAULT_FORUM_FILE)
    by_name = {c.name: c for c in tree.categories}
    surgery = by_name["Back Surgery and Neck Surgery"]
    assert surgery.urlcode == "back-surgery-and-neck-surgery"
    assert surgery.url == "https://forum.spine-health.com/categories/back-surgery-and-neck-surgery"
    assert surgery.description
    assert by_name[surgery.name].parent_id == by_name["Treatment"].id
    assert {c.display_as for c in tree.categories} == {DisplayAs.HEADING, DisplayAs.CATEGORIES, DisplayAs.DISCUSSIONS}
    desired = desired_tree(tree.categories)
    assert desired.warnings == ()
    kinds = [d.kind for d in desired.channels]
    assert kinds.count(ChannelKind.CATEGORY) == 5
    assert kinds.count(ChannelKind.TEXT) == 29
    ra = next(d for d in desired.channels if d.name == "rheumatoid-arthritis")
    assert "Forum: Arthritis › Types of Arthritis › Rheumatoid Arthritis" in ra.topic


def test_defaults_url_from_base_order_from_the_file() -> None:
    categories = parse_forum_document(
        {
            "forum": {"base_url": "https://forum.example/"},
            "category": [
                {"id": 2, "name": "B", "urlcode": "b", "parent": 1},
                {"id": 1, "name": "A", "urlcode": "a", "display_as": "heading", "url": "https://elsewhere/a"},
                {"id": 3, "name": "C", "urlcode": "c", "parent": 0, "order": 7},
            ],
        }
    )
    assert [(c.id, c.url, c.order, c.parent_id) for c in categories] == [
        (2, "https://forum.example/categories/b", 1, 1),
        (1, "https://elsewhere/a", 2, None),
        (3, "https://forum.example/categories/c", 7, None),
    ]
    assert parse_forum_document({}) == ()


@pytest.mark.parametrize(
    ("document", "words"),
    [
        ({"forums": {}}, "unknown top-level keys forums"),
        ({"forum": {"url": "x"}}, r"\[forum\]: unknown keys url"),
        ({"category": {"id": 1}}, r"written as \[\[category\]\] tables"),
        ({"category": [{"id": 1, "name": "A", "urlcode": "a", "colour": "red"}]}, "unknown keys colour"),
        ({"category": [{"name": "A", "urlcode": "a"}]}, r"#1: 'id' is missing"),
        ({"category": [{"id": True, "name": "A", "urlcode": "a"}]}, "'id' must be a whole number"),
        ({"category": [{"id": -3, "name": "A", "urlcode": "a"}]}, "id must be a positive number"),
        ({"category": [{"id": 1, "urlcode": "a"}]}, r"\(id 1\): 'name' is missing"),
        ({"category": [{"id": 1, "name": " ", "urlcode": "a"}]}, "'name' must be non-empty text"),
        ({"category": [{"id": 1, "name": "A", "urlcode": 5}]}, "'urlcode' must be non-empty text"),
        (
            {"category": [{"id": 1, "name": "A", "urlcode": "a"}, {"id": 1, "name": "B", "urlcode": "b"}]},
            "another category already has this id",
        ),
        ({"category": [{"id": 1, "name": "A", "urlcode": "a", "parent": 9}]}, "names parent 9, which is not in"),
        ({"category": [{"id": 1, "name": "A", "urlcode": "a", "display_as": "list"}]}, "display_as must be one of"),
        (
            {"category": [{"id": 4, "name": "A", "urlcode": "a", "parent": 4}]},
            "category 4 «A» names itself as its parent",
        ),
        (
            {
                "category": [
                    {"id": 1, "name": "Top", "urlcode": "t"},
                    {"id": 2, "name": "H", "urlcode": "h", "display_as": "heading", "parent": 3},
                    {"id": 3, "name": "C", "urlcode": "c", "parent": 2},
                ]
            },
            r"categories 2, 3 are each other's parents \(2 «H» → 3 «C» → 2 «H»\)",
        ),
    ],
)
def test_mistakes_are_named(document: dict[str, object], words: str) -> None:
    with pytest.raises(ForumSourceError, match=words):
        parse_forum_document(document)


def test_file_problems_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ForumSourceError, match=r"missing\.toml: no such file"):
        load_forum_file(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[[category]\nid = 1", encoding="utf-8")
    with pytest.raises(ForumSourceError, match=r"broken\.toml: not valid TOML"):
        load_forum_file(broken)
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('[[category]]\nid = 1\nname = "A"\n', encoding="utf-8")
    with pytest.raises(ForumSourceError, match=r"wrong\.toml: \[\[category\]\] #1 \(id 1\): 'urlcode' is missing"):
        load_forum_file(wrong)


def test_a_tree_survives_the_store_as_json() -> None:
    categories = load_forum_file(DEFAULT_FORUM_FILE).categories
    assert tree_from_json(tree_to_json(categories)) == categories


def test_the_readme_example_is_a_valid_forum_file() -> None:
    import tomllib

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    example = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    categories = parse_forum_document(tomllib.loads(example))
    assert [(c.id, c.parent_id, c.display_as) for c in categories] == [
        (2, None, DisplayAs.HEADING),
        (20, 2, DisplayAs.DISCUSSIONS),
    ]
