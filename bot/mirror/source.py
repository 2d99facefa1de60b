"""Where the category tree comes from: the shipped file (`data/forum.toml`) or the forum's API."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bot.mirror.model import DisplayAs, ForumCategory, ForumTree
from bot.tomlfile import read_toml

_FORUM_KEYS = frozenset({"name", "base_url"})
_CATEGORY_KEYS = frozenset({"id", "name", "urlcode", "description", "url", "parent", "display_as", "order"})


class ForumSourceError(RuntimeError):
    """The category tree could not be read; the message names the file or URL and why."""


def load_forum_file(path: Path) -> ForumTree:
    """Read and check a forum.toml; raise ForumSourceError naming the file and the problem."""
    raw = read_toml(path, ForumSourceError)
    try:
        categories = parse_forum_document(raw)
    except ForumSourceError as exc:
        raise ForumSourceError(f"{path}: {exc}") from None
    return ForumTree(categories, str(path))


def parse_forum_document(raw: Mapping[str, Any]) -> tuple[ForumCategory, ...]:
    """The categories of a parsed forum.toml document, checked."""
    unknown = sorted(set(raw) - {"forum", "category"})
    if unknown:
        raise ForumSourceError(f"unknown top-level keys {', '.join(unknown)} (expected [forum] and [[category]])")
    forum = raw.get("forum", {})
    if not isinstance(forum, Mapping):
        raise ForumSourceError("[forum] must be a table")
    _no_unknown(forum, _FORUM_KEYS, "[forum]")
    base_url = _text(forum, "base_url", "[forum]").rstrip("/")
    entries = raw.get("category", [])
    if not isinstance(entries, list):
        raise ForumSourceError("categories must be written as [[category]] tables")
    categories = []
    seen: set[int] = set()
    for index, entry in enumerate(entries, start=1):
        where = f"[[category]] #{index}"
        if not isinstance(entry, Mapping):
            raise ForumSourceError(f"{where} must be a table")
        _no_unknown(entry, _CATEGORY_KEYS, where)
        category_id = _int(entry, "id", where, required=True)
        where = f"{where} (id {category_id})"
        if category_id <= 0:
            raise ForumSourceError(f"{where}: id must be a positive number")
        if category_id in seen:
            raise ForumSourceError(f"{where}: another category already has this id")
        seen.add(category_id)
        name = _text(entry, "name", where, required=True)
        urlcode = _text(entry, "urlcode", where, required=True)
        parent = _int(entry, "parent", where)
        display = _text(entry, "display_as", where) or DisplayAs.DISCUSSIONS.value
        try:
            display_as = DisplayAs(display)
        except ValueError:
            choices = ", ".join(d.value for d in DisplayAs)
            raise ForumSourceError(f"{where}: display_as must be one of {choices}, not {display!r}") from None
        url = _text(entry, "url", where) or (f"{base_url}/categories/{urlcode}" if base_url else "")
        order = _int(entry, "order", where) if "order" in entry else index
        categories.append(
            ForumCategory(
                id=category_id,
                name=name,
                urlcode=urlcode,
                description=_text(entry, "description", where),
                url=url,
                parent_id=parent or None,
                display_as=display_as,
                order=order,
            )
        )
    for category in categories:
        if category.parent_id is not None and category.parent_id not in seen:
            raise ForumSourceError(
                f"category {category.id} names parent {category.parent_id}, which is not in the file"
            )
    check_parents(categories)
    return tuple(categories)


def check_parents(categories: Sequence[ForumCategory]) -> None:
    """Raise ForumSourceError when a category is its own parent or parents form a loop.

    A loop has no top, so its categories would drop out of the desired tree and the apply
    would archive their channels: it is a mistake in the source, never a plan.
    """
    parent_of = {c.id: c.parent_id for c in categories}
    names = {c.id: c.name for c in categories}
    cleared: set[int] = set()
    for start in parent_of:
        chain: list[int] = []
        node: int | None = start
        while node is not None and node in parent_of and node not in cleared:
            if node in chain:
                loop = chain[chain.index(node) :]
                if len(loop) == 1:
                    raise ForumSourceError(f"category {node} «{names[node]}» names itself as its parent")
                steps = " → ".join(f"{i} «{names[i]}»" for i in [*loop, node])
                raise ForumSourceError(
                    f"categories {', '.join(map(str, sorted(loop)))} are each other's parents ({steps}):"
                    " a category cannot sit under its own child"
                )
            chain.append(node)
            node = parent_of[node]
        cleared.update(chain)


def _no_unknown(table: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ForumSourceError(f"{where}: unknown keys {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})")


def _text(table: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> str:
    value = table.get(key)
    if value is None:
        if required:
            raise ForumSourceError(f"{where}: '{key}' is missing")
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ForumSourceError(f"{where}: '{key}' must be {'non-empty ' if required else ''}text")
    return value.strip()


def _int(table: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> int:
    value = table.get(key)
    if value is None:
        if required:
            raise ForumSourceError(f"{where}: '{key}' is missing")
        return 0
    if not isinstance(value, int) or isinstance(value, bool):
        raise ForumSourceError(f"{where}: '{key}' must be a whole number")
    return value


# --- storing the last tree -----------------------------------------------------------------


def tree_to_json(categories: Sequence[ForumCategory]) -> str:
    """The categories as JSON, for the store."""
    return json.dumps(
        [
            {
                "id": c.id,
                "name": c.name,
                "urlcode": c.urlcode,
                "description": c.description,
                "url": c.url,
                "parent_id": c.parent_id,
                "display_as": c.display_as.value,
                "order": c.order,
            }
            for c in categories
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def tree_from_json(text: str) -> tuple[ForumCategory, ...]:
    """Categories stored by tree_to_json."""
    return tuple(
        ForumCategory(
            id=int(item["id"]),
            name=str(item["name"]),
            urlcode=str(item["urlcode"]),
            description=str(item["description"]),
            url=str(item["url"]),
            parent_id=None if item["parent_id"] is None else int(item["parent_id"]),
            display_as=DisplayAs(item["display_as"]),
            order=int(item["order"]),
        )
        for item in json.loads(text)
    )
