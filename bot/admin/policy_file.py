"""A guild's policy as a TOML file: export it, and read an import back, validated as a whole.

Export writes the effective policy in one canonical form (every key, lists sorted), so
exporting, importing that file and exporting again gives the same bytes. An import is a
whole policy: keys it leaves out take the shipped defaults.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from bot.admin.words import HOLDS_NOTHING_IMPORT, holds_nothing
from bot.policy import (
    PolicyBundle,
    PolicyError,
    RaidSettings,
    merge_overrides,
    parse_policy,
    raid_settings,
    unscreened_channels,
)
from bot.rules import DomainArgumentError, Policy, domain_argument
from bot.rules.domains import Refusal, allow_refusal, canonical_host

MAX_IMPORT_BYTES = 256 * 1024
_SHIPPED_ONLY = ("medical_list", "shortener_list")


@dataclass(frozen=True, slots=True)
class PolicyImport:
    """A validated import: what to store for the guild, and the policy it makes."""

    overrides: dict[str, Any]
    allowed_domains: frozenset[str]  # the guild's own allowed list (beyond the policy document's)
    unscreened_channel_ids: frozenset[int]
    policy: Policy
    raid: RaidSettings


def policy_document(policy: Policy, unscreened: Collection[int], *, raid: RaidSettings) -> dict[str, Any]:
    """The guild-configurable part of a policy, canonical: every key, lists sorted."""
    document: dict[str, Any] = {
        "new_members": {"hold": policy.new_member_hold, "approved_posts_required": policy.new_member_posts},
        "links": {
            "internal_domains": sorted(policy.internal_domains),
            "allowed_domains": sorted(policy.allowed_domains),
        },
    }
    # Every action at the key the catalogue gives it (catalogue.ACTION_KEYS), in the file's order.
    for key, action in policy.actions.items():
        *path, last = key.split(".")
        table = document
        for part in path:
            table = table.setdefault(part, {})
        table[last] = action.value
    document["screening"] = {"unscreened_channels": sorted(unscreened)}
    document["raid"] = {
        "new_members": raid.new_members,
        "window_seconds": raid.window_seconds,
        "bulk_delete": raid.bulk_delete,
    }
    return document


def export_text(policy: Policy, unscreened: Collection[int], guild_name: str, *, raid: RaidSettings) -> str:
    """The policy as a TOML file an admin can edit and import again."""
    document = policy_document(policy, unscreened, raid=raid)
    # The name goes in a comment: one line, and no control characters (TOML refuses them there).
    name = " ".join("".join(char for char in guild_name if char.isprintable() or char.isspace()).split())
    lines = [
        f"# Forum Bridge policy for {name}. Change it and load it back with /policy-admin import.",
        "# Actions are allow, hold or block. Keys left out of an imported file take the shipped defaults.",
    ]
    for section, table in _tables(document):
        lines.append("")
        lines.append(f"[{section}]")
        if section == "screening":
            lines.append("# Channels, forums and categories whose messages are not screened, by id.")
        if section == "raid":
            lines.append("# A raid: more than new_members new members posting held links within window_seconds.")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in table.items())
    return "\n".join(lines) + "\n"


def _tables(document: Mapping[str, Any], prefix: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Each table of a document as TOML writes it: its own values, then its sub-tables as [section.sub]."""
    tables = []
    for section, table in document.items():
        name = f"{prefix}{section}"
        tables.append((name, {key: value for key, value in table.items() if not isinstance(value, Mapping)}))
        tables.extend(_tables({k: v for k, v in table.items() if isinstance(v, Mapping)}, f"{name}."))
    return tables


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        if len(value) <= 3:
            return "[" + ", ".join(_toml_value(item) for item in value) + "]"
        return "[\n" + "".join(f"    {_toml_value(item)},\n" for item in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def read_import(data: bytes, bundle: PolicyBundle, channel_ids: Collection[int]) -> PolicyImport:
    """Validate an uploaded policy file as a whole; raise PolicyError listing every problem by key."""
    if len(data) > MAX_IMPORT_BYTES:
        raise PolicyError(f"the file is {len(data):,} bytes; a policy file is at most {MAX_IMPORT_BYTES:,}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PolicyError("the file is not UTF-8 text") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"the file is not valid TOML: {exc}") from None
    errors: list[str] = []
    links = raw.get("links")
    if isinstance(links, Mapping):
        for key in _SHIPPED_ONLY:
            shipped = bundle.raw.get("links", {}).get(key)
            if key in links and links[key] != shipped:
                errors.append(f"links.{key} cannot be changed here: every server uses the shipped list ({shipped!r})")
    merged = merge_overrides(bundle.raw, raw)
    _check_allowed_domains(merged, bundle, errors)
    policy, raid = bundle.policy, RaidSettings()
    try:
        policy, _ = parse_policy(merged)
        raid = raid_settings(merged)  # parse_policy has checked [raid] too
    except PolicyError as exc:
        errors.extend(exc.errors)
    else:
        if holds_nothing(policy):
            errors.append(HOLDS_NOTHING_IMPORT)
    unscreened = frozenset[int]()
    if not any(error.startswith("screening.") for error in errors):
        unscreened = unscreened_channels(merged)
        errors.extend(
            f"screening.unscreened_channels: {channel_id} is not a channel, forum or category in this server"
            for channel_id in sorted(unscreened - set(channel_ids))
        )
    if errors:
        raise PolicyError("; ".join(errors), errors)
    return _to_store(policy, unscreened, raid, bundle)


def _check_allowed_domains(merged: dict[str, Any], bundle: PolicyBundle, errors: list[str]) -> None:
    """Allowed domains must each be one site's registrable domain that /links allow would accept.

    The same rule as /links allow (bot/rules/domains.py, allow_refusal): no medical site, no shortener (an allowed
    shortener would let every shortened link through), none of Discord's, none of the forum's own.
    """
    links = merged.get("links")
    if not isinstance(links, Mapping):
        return  # parse_policy reports the wrong type
    allowed = links.get("allowed_domains")
    if not isinstance(allowed, list):
        return  # parse_policy reports the wrong type
    internal = links.get("internal_domains")
    own = (
        frozenset(canonical_host(item) for item in internal if isinstance(item, str))
        if isinstance(internal, list)
        else bundle.policy.internal_domains  # parse_policy reports the wrong type
    )
    kept = []
    for item in allowed:
        if not isinstance(item, str):
            kept.append(item)
            continue
        try:
            domain = domain_argument(item)
        except DomainArgumentError as exc:
            errors.append(f"links.allowed_domains: {exc}")
            continue
        refusal = allow_refusal(domain, bundle.lists, own)
        if refusal is None:
            kept.append(item)
        else:
            errors.append(f"links.allowed_domains: {domain} {_REFUSED[refusal[0]]}")
    # Reported once: parse_policy sees only the entries not already refused here.
    merged["links"] = {**links, "allowed_domains": kept}


_REFUSED = {
    Refusal.MEDICAL: "is a medical web site: links to medical sites are not permitted",
    Refusal.SHORTENER: "is a link shortener: a shortened link hides where it goes",
    Refusal.DISCORD: "is Discord's: invites have their own rule (links.actions.invite)",
    Refusal.INTERNAL: "is one of the forum's own sites (links.internal_domains): its links are always allowed",
}


def _to_store(policy: Policy, unscreened: frozenset[int], raid: RaidSettings, bundle: PolicyBundle) -> PolicyImport:
    """What differs from the shipped policy goes in the overrides; allowed domains mostly in the guild's list."""
    shipped = bundle.policy
    wanted = policy_document(policy, (), raid=raid)
    default = policy_document(shipped, (), raid=raid_settings(bundle.raw))
    # What differs, key by key (every action at its catalogue key among them); the unscreened channels and the
    # allowed domains are stored apart.
    for document in (wanted, default):
        del document["screening"]
        del document["links"]["allowed_domains"]
    overrides = _differences(wanted, default)
    links: dict[str, Any] = overrides.pop("links", {})
    # The shipped allowed domains stay in the policy document (overridden only when some are
    # dropped); the rest go in the guild's own list, which /links allow and disallow edit.
    if not shipped.allowed_domains <= policy.allowed_domains:
        links["allowed_domains"] = sorted(shipped.allowed_domains & policy.allowed_domains)
    if links:
        overrides["links"] = links
    return PolicyImport(overrides, policy.allowed_domains - shipped.allowed_domains, unscreened, policy, raid)


def _differences(wanted: Mapping[str, Any], default: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of a document whose values differ from the default's, tables compared key by key."""
    changed: dict[str, Any] = {}
    for key, value in wanted.items():
        if isinstance(value, Mapping):
            inner = _differences(value, default[key])
            if inner:
                changed[key] = inner
        elif value != default[key]:
            changed[key] = value
    return changed
