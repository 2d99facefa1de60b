"""Every action the catalogue names is read, written, imported, set and shown at exactly its policy key.

The tests walk the catalogue (bot/rules/catalogue.py, ACTION_KEYS), so a rule added there whose action one of the
loader, the export, the import, /policy-admin set or /policy show forgets fails here.
"""

from __future__ import annotations

import inspect
import tomllib
from typing import Any

import pytest

from bot.admin.policy_file import export_text, read_import
from bot.admin.words import policy_text, rules_turned_off
from bot.policy import PolicyBundle, PolicyError, RaidSettings, parse_policy, raid_settings
from bot.rules import Action, Policy
from bot.rules.catalogue import ACTION_KEYS, CATALOGUE, LINK_KEYS
from cogs.policy import ACTION_OPTIONS, PolicyCommands
from tests.admin.conftest import Server


def _other(action: Action) -> Action:
    """An action that is not this one."""
    return Action.BLOCK if action is Action.ALLOW else Action.ALLOW


def _nested(key: str, value: Any) -> dict[str, Any]:
    """A document holding one value at a dotted key."""
    *path, last = key.split(".")
    document: dict[str, Any] = {last: value}
    for part in reversed(path):
        document = {part: document}
    return document


def _at(document: Any, key: str) -> Any:
    for part in key.split("."):
        document = document[part]
    return document


def test_every_rule_with_an_action_key_is_an_action_key_and_every_link_class_has_one() -> None:
    keys = {rule.policy_key for rule in CATALOGUE if not rule.switch}
    assert keys <= set(ACTION_KEYS)
    assert set(ACTION_KEYS) == keys | set(LINK_KEYS.values())
    for rule in CATALOGUE:
        if rule.link_class is not None:
            assert rule.policy_key == LINK_KEYS[rule.link_class] == f"links.actions.{rule.link_class.value}"
        if not rule.switch:
            assert ACTION_KEYS[rule.policy_key] is rule.default_action


def test_the_policy_holds_an_action_at_every_key_and_changes_only_the_one_given() -> None:
    default = Policy()
    assert default.actions == dict(ACTION_KEYS)
    for key, action in ACTION_KEYS.items():
        changed = default.with_actions({key: _other(action)})
        assert changed.actions == {**ACTION_KEYS, key: _other(action)}
    with pytest.raises(ValueError, match=r"no action is set at: emails\.hold"):
        default.with_actions({"emails.hold": Action.ALLOW})


@pytest.mark.parametrize("key", list(ACTION_KEYS))
def test_the_loader_reads_each_action_at_its_key_with_its_default(key: str) -> None:
    default = ACTION_KEYS[key]
    assert parse_policy({})[0].actions[key] is default
    policy, _ = parse_policy(_nested(key, _other(default).value))
    assert policy.actions == {**ACTION_KEYS, key: _other(default)}
    with pytest.raises(PolicyError) as error:
        parse_policy(_nested(key, "maybe"))
    assert error.value.errors == (f"{key} must be one of allow, hold, block, not 'maybe'",)


@pytest.mark.parametrize("key", list(ACTION_KEYS))
def test_export_writes_each_action_at_its_key_and_import_stores_it_there(key: str, shipped: PolicyBundle) -> None:
    policy = shipped.policy.with_actions({key: _other(shipped.policy.actions[key])})
    text = export_text(policy, (), "x", raid=raid_settings(shipped.raw))
    assert _at(tomllib.loads(text), key) == _other(shipped.policy.actions[key]).value
    imported = read_import(text.encode(), shipped, ())
    assert imported.policy.actions == policy.actions
    assert imported.overrides == _nested(key, _other(shipped.policy.actions[key]).value)


@pytest.mark.parametrize("key", list(ACTION_KEYS))
def test_policy_show_and_the_rules_turned_off_name_each_action(key: str) -> None:
    on = Policy().with_actions({key: Action.BLOCK})
    off = on.with_actions({key: Action.ALLOW})
    shown_on = policy_text(on, (), 0, RaidSettings()).splitlines()
    shown_off = policy_text(off, (), 0, RaidSettings()).splitlines()
    [(line_on, line_off)] = [pair for pair in zip(shown_on, shown_off, strict=True) if pair[0] != pair[1]]
    assert line_on.endswith(": block")
    assert line_off == line_on.removesuffix("block") + "allow"
    [turned_off] = rules_turned_off(on, off, (), ())
    assert turned_off.endswith("they are published at once")


def test_every_action_key_has_its_slash_option() -> None:
    assert sorted(ACTION_OPTIONS.values()) == sorted(ACTION_KEYS)
    parameters = inspect.signature(PolicyCommands.set_policy.callback).parameters
    assert set(ACTION_OPTIONS) <= set(parameters)


@pytest.mark.parametrize("option", list(ACTION_OPTIONS))
async def test_policy_admin_set_applies_each_action_option_at_its_key(server: Server, option: str) -> None:
    key = ACTION_OPTIONS[option]
    before = (await server.community.policy(server.guild.id)).actions[key]
    result = await server.admin.slash(server.general, "policy-admin set", **{option: _other(before).value})
    assert result.response.content.splitlines()[:2] == ["Policy changed:", f"• {key}: {before} → {_other(before)}"]
    after = await server.community.policy(server.guild.id)
    assert after.actions == {**server.community.bundle.policy.actions, key: _other(before)}
