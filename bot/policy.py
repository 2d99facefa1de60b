"""Reading the community's policy file (TOML) into the engine's types, with readable errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.rules import (
    Action,
    DomainListError,
    DomainLists,
    LinkClass,
    Policy,
    Reason,
    canonical_host,
    registrable_domain,
)
from bot.rules.catalogue import ACTION_KEYS, RULES
from bot.tomlfile import read_toml

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEFAULT_POLICY_FILE = DATA_DIR / "policy.toml"

# A rule's action key "section.key" (e.g. emails.action) makes its section, after [links] as the export writes it.
_ACTION_SECTIONS = {
    section: frozenset(key.partition(".")[2] for key in ACTION_KEYS if key.partition(".")[0] == section)
    for section in dict.fromkeys(key.partition(".")[0] for key in ACTION_KEYS if key.count(".") == 1)
}
_SCHEMA: Mapping[str, frozenset[str]] = {
    "new_members": frozenset({"hold", "approved_posts_required"}),
    "links": frozenset({"internal_domains", "allowed_domains", "medical_list", "shortener_list", "actions"}),
    **_ACTION_SECTIONS,
    # Per-guild only (an export carries it): channels whose messages are not screened, by id.
    "screening": frozenset({"unscreened_channels"}),
    "raid": frozenset({"new_members", "window_seconds", "bulk_delete"}),
}


class PolicyError(ValueError):
    """The policy file (or a list it names) is missing or invalid; the message says where and why."""

    def __init__(self, message: str, errors: Sequence[str] = ()) -> None:
        super().__init__(message)
        # Every problem found, each naming its key (the message joins them).
        self.errors: tuple[str, ...] = tuple(errors) or (message,)


@dataclass(frozen=True, slots=True)
class PolicyBundle:
    """A policy and the domain lists it names, loaded together."""

    policy: Policy
    lists: DomainLists
    source: Path
    raw: Mapping[str, Any]


def load_policy_file(path: Path = DEFAULT_POLICY_FILE) -> PolicyBundle:
    """Load and validate a policy file and its lists; raise PolicyError naming the problem."""
    raw = read_toml(path, PolicyError)
    try:
        policy, lists_paths = parse_policy(raw)
        lists = load_lists(path.parent / lists_paths[0], path.parent / lists_paths[1])
    except PolicyError as exc:
        raise PolicyError(f"{path}: {exc}") from None
    return PolicyBundle(policy, lists, path, raw)


def merge_overrides(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A policy document with a guild's overrides laid over the shipped one, table by table."""
    merged: dict[str, Any] = dict(base)
    for key, value in overrides.items():
        current = merged.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            merged[key] = merge_overrides(current, value)
        else:
            merged[key] = value
    return merged


def load_lists(medical: Path, shorteners: Path) -> DomainLists:
    """Read the medical and shortener list files."""
    texts = []
    for path in (medical, shorteners):
        try:
            texts.append(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise PolicyError(f"cannot read list {path}: {exc.strerror or exc}") from None
    try:
        return DomainLists.from_text(texts[0], texts[1])
    except DomainListError as exc:
        # Which of the two failed is worth naming: parse them apart to find out.
        which = medical
        try:
            DomainLists.from_text(texts[0], "")
        except DomainListError:
            pass
        else:
            which = shorteners
        raise PolicyError(f"list {which}: {exc}") from None


def parse_policy(raw: Mapping[str, Any]) -> tuple[Policy, tuple[str, str]]:
    """Validate a parsed policy document; return the Policy and the two list file names."""
    errors: list[str] = []
    for key in raw:
        if key not in _SCHEMA:
            errors.append(f"unknown section [{key}]")
    tables: dict[str, Mapping[str, Any]] = {}
    for section, allowed in _SCHEMA.items():
        value = raw.get(section, {})
        if not isinstance(value, Mapping):
            errors.append(f"[{section}] must be a table")
            value = {}
        tables[section] = value
        errors.extend(f"unknown key {section}.{key}" for key in value if key not in allowed)
    # Carry on past unknown keys: every problem is reported at once.

    members = tables["new_members"]
    links = tables["links"]
    unscreened = tables["screening"].get("unscreened_channels", [])
    if not isinstance(unscreened, list) or not all(
        isinstance(item, int) and not isinstance(item, bool) and item > 0 for item in unscreened
    ):
        errors.append("screening.unscreened_channels must be a list of channel ids (whole numbers)")
    hold = _typed(members, "new_members.hold", "hold", bool, _NEW_MEMBER.default_action is not Action.ALLOW, errors)
    count = _typed(members, "new_members.approved_posts_required", "approved_posts_required", int, 1, errors)
    if isinstance(count, int) and not isinstance(count, bool) and not 0 <= count <= 1000:
        errors.append("new_members.approved_posts_required must be between 0 and 1000")
    internal = _domains(links, "internal_domains", errors, default=("spine-health.com",))
    allowed = _domains(links, "allowed_domains", errors, default=())
    medical_list = _typed(links, "links.medical_list", "medical_list", str, "medical_domains.txt", errors)
    shortener_list = _typed(links, "links.shortener_list", "shortener_list", str, "shorteners.txt", errors)
    raw_actions = links.get("actions", {})
    if not isinstance(raw_actions, Mapping):
        errors.append("links.actions must be a table")
        raw_actions = {}
    for key in raw_actions:
        if key not in LinkClass.__members__.values():
            errors.append(f"unknown link class links.actions.{key} (one of: {', '.join(LinkClass)})")
    # Every action the catalogue says the file sets, each at its dotted key, with its default.
    nested = {**tables, "links": {**links, "actions": raw_actions}}
    actions = {
        key: _action(_table_at(nested, key), key, key.rpartition(".")[2], default, errors)
        for key, default in ACTION_KEYS.items()
    }
    _raid(raw.get("raid", {}), errors)
    if errors:
        raise PolicyError("; ".join(errors), errors)
    policy = Policy(
        new_member_hold=bool(hold), new_member_posts=int(count), internal_domains=internal, allowed_domains=allowed
    ).with_actions(actions)
    return policy, (str(medical_list), str(shortener_list))


# Defaults for keys a document leaves out come from the rule catalogue (data/policy.toml states the same).
_NEW_MEMBER = RULES[Reason.NEW_MEMBER]


def _table_at(tables: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """The table holding a dotted key's last part ({} where a table on the way is missing or is no table)."""
    table: Any = tables
    for part in key.split(".")[:-1]:
        table = table.get(part, {}) if isinstance(table, Mapping) else {}
    return table if isinstance(table, Mapping) else {}


def unscreened_channels(raw: Mapping[str, Any]) -> frozenset[int]:
    """The channel ids a validated policy document's [screening] table lists."""
    screening = raw.get("screening", {})
    return frozenset(screening.get("unscreened_channels", [])) if isinstance(screening, Mapping) else frozenset()


def _typed(table: Mapping[str, Any], name: str, key: str, kind: type, default: Any, errors: list[str]) -> Any:
    value = table.get(key, default)
    # bool is a subclass of int: "approved_posts_required = true" is a mistake, not 1.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        errors.append(f"{name} must be {_KIND_NAMES[kind]}, not {value!r}")
        return default
    return value


_KIND_NAMES = {bool: "true or false", int: "a whole number", str: "a string"}


def _action(table: Mapping[str, Any], name: str, key: str, default: Action, errors: list[str]) -> Action:
    value = table.get(key, default.value)
    try:
        return Action(value)
    except ValueError:
        errors.append(f"{name} must be one of allow, hold, block, not {value!r}")
        return default


def _domains(table: Mapping[str, Any], key: str, errors: list[str], *, default: tuple[str, ...]) -> frozenset[str]:
    value = table.get(key, list(default))
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        errors.append(f"links.{key} must be a list of domain names")
        return frozenset(default)
    domains = set()
    for item in value:
        domain = canonical_host(item.strip())
        if not registrable_domain(domain):
            errors.append(f"links.{key}: {item!r} is not a domain under the Public Suffix List")
        domains.add(domain)
    return frozenset(domains)


# --- raid mode ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RaidSettings:
    """When a burst of new members posting held links counts as a raid, and what the gate does then."""

    new_members: int = 5  # a raid is more than this many new members...
    window_seconds: int = 60  # ...posting held links within this many seconds
    bulk_delete: bool = True  # remove their messages with bulk deletes where Discord allows it


def raid_settings(raw: Mapping[str, Any]) -> RaidSettings:
    """The [raid] section of a policy document (already validated by parse_policy)."""
    errors: list[str] = []
    settings = _raid(raw.get("raid", {}), errors)
    if errors:
        raise PolicyError("; ".join(errors))
    return settings


def _raid(table: Any, errors: list[str]) -> RaidSettings:
    if not isinstance(table, Mapping):
        return RaidSettings()  # parse_policy has already said "[raid] must be a table"
    default = RaidSettings()
    members = _typed(table, "raid.new_members", "new_members", int, default.new_members, errors)
    window = _typed(table, "raid.window_seconds", "window_seconds", int, default.window_seconds, errors)
    bulk = _typed(table, "raid.bulk_delete", "bulk_delete", bool, default.bulk_delete, errors)
    if not 1 <= members <= 10_000:
        errors.append(f"raid.new_members must be between 1 and 10000, not {members}")
        members = default.new_members
    if not 5 <= window <= 86_400:
        errors.append(f"raid.window_seconds must be between 5 and 86400 (a day), not {window}")
        window = default.window_seconds
    return RaidSettings(new_members=members, window_seconds=window, bulk_delete=bulk)
