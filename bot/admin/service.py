"""The admin and moderator commands' work: plain ids and values in, the reply's text out.

Every refused command and bad argument raises AdminError with the reply to show; nothing is
written until every argument has been checked.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.admin import words
from bot.admin.policy_file import export_text, policy_document, read_import
from bot.community import Community
from bot.gate.facts import author_facts_of
from bot.policy import PolicyError, merge_overrides, parse_policy
from bot.rules import (
    Action,
    AuthorFacts,
    DomainArgumentError,
    Engine,
    LinkClass,
    MessageFacts,
    Policy,
    domain_argument,
)
from bot.rules.catalogue import ACTION_KEYS
from bot.rules.domains import Refusal, allow_refusal

log = logging.getLogger(__name__)

MAX_USES = 1000


class AdminError(ValueError):
    """A refused command or a bad argument; the message is the private reply."""


@dataclass(frozen=True, slots=True)
class PolicyChange:
    """What /policy-admin set was given (None: leave as it is)."""

    hold: bool | None = None
    posts: int | None = None
    # An action for each policy key given (catalogue.ACTION_KEYS: "links.actions.medical", "emails.action", ...).
    actions: Mapping[str, Action] = field(default_factory=dict)
    channel_id: int | None = None
    screened: bool | None = None
    raid_members: int | None = None
    raid_window: int | None = None
    raid_bulk_delete: bool | None = None


@dataclass(frozen=True, slots=True)
class Person:
    """Whom a command is about, as the cog saw them in Discord."""

    user_id: int
    mention: str
    is_bot: bool = False
    is_moderator: bool = False
    in_guild: bool = True


class AdminService:
    """Policy, links and members, over the community cache and the engine."""

    def __init__(self, community: Community, engine: Engine) -> None:
        self.community = community
        self.engine = engine

    # --- /policy -----------------------------------------------------------------------

    async def policy_show(self, guild_id: int) -> str:
        """The guild's effective policy in words."""
        policy = await self.community.policy(guild_id)
        settings = await self.community.settings(guild_id)
        guild_allowed = await self.community.store.guilds.allowed_domains(guild_id)
        raid = await self.community.raid(guild_id)
        return words.policy_text(policy, settings.unscreened_channel_ids, len(guild_allowed), raid)

    async def policy_set(
        self, guild_id: int, change: PolicyChange, *, actor_id: int, moderator_channel_id: int | None = None
    ) -> str:
        """Apply /policy-admin set's options, all or nothing; say what changed."""
        if (change.channel_id is None) != (change.screened is None):
            raise AdminError("Give `channel` and `screened` together: which channel, and whether to screen it.")
        table: dict[str, Any] = {}
        if change.hold is not None:
            table.setdefault("new_members", {})["hold"] = change.hold
        if change.posts is not None:
            table.setdefault("new_members", {})["approved_posts_required"] = change.posts
        for key, action in change.actions.items():
            if key not in ACTION_KEYS:
                raise AdminError(f"No rule's action is set at {key}.")
            *path, last = key.split(".")
            section = table
            for part in path:
                section = section.setdefault(part, {})
            section[last] = action.value
        raid_table = {
            key: value
            for key, value in (
                ("new_members", change.raid_members),
                ("window_seconds", change.raid_window),
                ("bulk_delete", change.raid_bulk_delete),
            )
            if value is not None
        }
        if raid_table:
            table["raid"] = raid_table
        if not table and change.channel_id is None:
            raise AdminError("Nothing to change: give at least one option (see /policy show for the current policy).")
        if change.channel_id is not None and change.channel_id == moderator_channel_id:
            raise AdminError("The moderator channel is never screened; choose another channel.")
        before = await self.community.policy(guild_id)
        before_raid = await self.community.raid(guild_id)
        settings = await self.community.settings(guild_id)
        if table:
            overrides = merge_overrides(await self.community.store.guilds.policy_overrides(guild_id), table)
            try:
                candidate, _ = parse_policy(merge_overrides(self.community.bundle.raw, overrides))
            except PolicyError as exc:
                raise AdminError("Nothing was changed:\n" + "\n".join(f"• {e}" for e in exc.errors)) from None
            if "new_members" in table and words.holds_nothing(candidate):
                raise AdminError(words.HOLDS_NOTHING_SET)
            await self.community.set_policy_overrides(guild_id, overrides)
        if change.channel_id is not None and change.screened is not None:
            await self.community.set_channel_screened(guild_id, change.channel_id, change.screened)
        screening = {} if change.channel_id is None else {"channel": change.channel_id, "screened": change.screened}
        log.info("guild=%s: policy set by %s: %s %s", guild_id, actor_id, sorted(table), screening or "")
        await self.community.store.decisions.audit(
            guild_id, "policy_set", actor_id=actor_id, detail=json.dumps({**table, **screening}, sort_keys=True)
        )
        after = await self.community.policy(guild_id)
        unscreened = (await self.community.settings(guild_id)).unscreened_channel_ids
        changed = _differences(
            policy_document(before, settings.unscreened_channel_ids, raid=before_raid),
            policy_document(after, unscreened, raid=await self.community.raid(guild_id)),
        )
        if not changed:
            return "That is already the policy: nothing changed."
        off = words.rules_turned_off(before, after, settings.unscreened_channel_ids, unscreened)
        return words.changes_text("Policy changed:", changed, off)

    async def policy_test(self, guild_id: int, text: str, member: Person | None) -> str:
        """The verdict for a text as a member (or a new member) would get it; nothing is stored."""
        if not text.strip():
            raise AdminError("Give some text to test.")
        policy = await self.community.policy(guild_id)
        if member is None:
            author = AuthorFacts(user_id=0)
            who = "a new member"
        else:
            if member.is_bot:
                raise AdminError(f"{member.mention} is a bot: bots' messages are never screened.")
            record = await self.community.member(guild_id, member.user_id)
            author = author_facts_of(member.user_id, record, member.is_moderator)
            who = member.mention
        verdict = self.engine.evaluate(author, MessageFacts(text, guild_id=guild_id), policy)
        return words.verdict_text(verdict, who, exempt=author.is_moderator)

    async def policy_export(self, guild_id: int, guild_name: str) -> str:
        """The guild's policy as a TOML file."""
        policy = await self.community.policy(guild_id)
        settings = await self.community.settings(guild_id)
        return export_text(
            policy, settings.unscreened_channel_ids, guild_name, raid=await self.community.raid(guild_id)
        )

    async def policy_import(self, guild_id: int, data: bytes, channel_ids: Collection[int], *, actor_id: int) -> str:
        """Replace the guild's policy with a file's, only if all of it is valid."""
        settings = await self.community.settings(guild_id)
        # A channel deleted after it was unscreened is still in the export: it must import back.
        known = set(channel_ids) | settings.unscreened_channel_ids
        try:
            imported = read_import(data, self.community.bundle, known)
        except PolicyError as exc:
            listed = "\n".join(f"• {error}" for error in exc.errors)
            raise AdminError(f"Nothing was imported: the file has {len(exc.errors)} problem(s).\n{listed}") from None
        before = await self.community.policy(guild_id)
        before_raid = await self.community.raid(guild_id)
        after = await self.community.replace_policy(
            guild_id,
            overrides=imported.overrides,
            allowed_domains=imported.allowed_domains,
            unscreened_channel_ids=imported.unscreened_channel_ids,
            actor_id=actor_id,
        )
        changed = _differences(
            policy_document(before, settings.unscreened_channel_ids, raid=before_raid),
            policy_document(after, imported.unscreened_channel_ids, raid=await self.community.raid(guild_id)),
        )
        log.info("guild=%s: policy imported by %s (%d changes)", guild_id, actor_id, len(changed))
        if not changed:
            return "Imported: the file matches the current policy, so nothing changed."
        off = words.rules_turned_off(before, after, settings.unscreened_channel_ids, imported.unscreened_channel_ids)
        return words.changes_text("Imported. Changes:", changed, off)

    # --- /links ------------------------------------------------------------------------

    def _domain(self, raw: str) -> str:
        try:
            return domain_argument(raw)
        except DomainArgumentError as exc:
            raise AdminError(f"Not a domain I can use: {exc}.") from None

    def _refuse_special(self, domain: str, policy: Policy, *, verb: str) -> None:
        """Refuse domains no allow or pre-approval may cover: medical sites, shorteners, Discord, the forum's own."""
        refusal = allow_refusal(domain, self.engine.lists, policy.internal_domains)
        if refusal is None:
            return
        why, kind = refusal
        if why is Refusal.MEDICAL:
            raise AdminError(
                f"{domain} is a medical web site ({kind}): links to medical sites are not permitted, "
                f"so it cannot be {verb}."
            )
        if why is Refusal.SHORTENER:
            raise AdminError(
                f"{domain} is a link shortener: a shortened link hides where it goes, so it cannot be {verb}. "
                "Use the address it leads to."
            )
        if why is Refusal.DISCORD:
            raise AdminError(f"{domain} is Discord's: invites have their own rule (/policy-admin set invite_links).")
        raise AdminError(f"{domain} is one of the forum's own sites: its links are always allowed.")

    async def allow(self, guild_id: int, raw_domain: str, *, actor_id: int) -> str:
        """Allow a domain for everyone in the guild."""
        domain = self._domain(raw_domain)
        policy = await self.community.policy(guild_id)
        self._refuse_special(domain, policy, verb="allowed")
        if domain in policy.allowed_domains:
            return f"{domain} is already allowed: everyone's links to it pass."
        await self.community.allow_domains(guild_id, [domain], actor_id)
        await self.community.store.decisions.audit(guild_id, "allow_domain", actor_id=actor_id, detail=domain)
        log.info("guild=%s: domain %s allowed by %s", guild_id, domain, actor_id)
        return f"Allowed {domain}: everyone's links to it (and its subdomains) now pass."

    async def disallow(self, guild_id: int, raw_domain: str, *, actor_id: int) -> str:
        """Take a domain off the allowed list (the guild's own, and the policy document's)."""
        domain = self._domain(raw_domain)
        listed = domain in await self.community.store.guilds.allowed_domains(guild_id)
        overrides = await self.community.store.guilds.policy_overrides(guild_id)
        try:
            document, _ = parse_policy(merge_overrides(self.community.bundle.raw, overrides))
        except PolicyError:  # hand-edited overrides: the community runs on the shipped policy
            document = self.community.bundle.policy
        in_document = domain in document.allowed_domains
        if not listed and not in_document:
            return f"{domain} was not on the allowed list: nothing changed."
        if listed:
            await self.community.disallow_domain(guild_id, domain)
        if in_document:
            remaining = sorted(document.allowed_domains - {domain})
            await self.community.set_policy_overrides(
                guild_id, merge_overrides(overrides, {"links": {"allowed_domains": remaining}})
            )
        await self.community.store.decisions.audit(guild_id, "disallow_domain", actor_id=actor_id, detail=domain)
        log.info("guild=%s: domain %s disallowed by %s", guild_id, domain, actor_id)
        return f"Disallowed {domain}: links to it are screened as outside links again."

    async def list_domains(self, guild_id: int) -> str:
        """The internal and allowed domains."""
        policy = await self.community.policy(guild_id)
        guild_allowed = await self.community.store.guilds.allowed_domains(guild_id)
        lines = [f"**Internal** (always allowed): {', '.join(sorted(policy.internal_domains))}"]
        if policy.allowed_domains:
            lines.append(f"**Allowed** ({len(policy.allowed_domains)}):")
            lines.extend(
                f"• {domain}" + ("" if domain in guild_allowed else " (shipped policy)")
                for domain in sorted(policy.allowed_domains)
            )
        else:
            lines.append("**Allowed**: none yet (/links allow adds one).")
        return "\n".join(lines)

    async def check(self, guild_id: int, url: str) -> str:
        """A link's class and what would happen to it, for an established member."""
        policy = await self.community.policy(guild_id)
        established = AuthorFacts(user_id=0, approved_posts=policy.new_member_posts)
        verdict = self.engine.evaluate(established, MessageFacts(url, guild_id=guild_id), policy)
        if not verdict.links:
            raise AdminError(f"I found no link in {url!r}: give an address such as https://example.org/page.")
        lines = []
        for link in verdict.links:
            kind = self.engine.lists.medical_kind(link.host) if link.link_class is LinkClass.MEDICAL else None
            label = f"{link.link_class.value} ({kind or words.CLASS_WORDS[link.link_class]})"
            lines.append(f"{link.url} → {link.domain}: {label}, action {policy.link_actions[link.link_class].value}")
        lines.append(f"An established member's message with it would be **{words.ACTION_WORDS[verdict.action]}**.")
        return "\n".join(lines)

    async def preapprove(
        self, guild_id: int, member: Person, raw_domain: str | None, uses: int | None, *, actor_id: int
    ) -> str:
        """Pre-approve a member's links: one domain or any non-medical site, standing or counted."""
        if member.is_bot:
            raise AdminError(f"{member.mention} is a bot: bots' messages are never screened.")
        if member.is_moderator:
            raise AdminError(f"{member.mention} is a moderator: moderators' links are never screened.")
        if uses is not None and not 1 <= uses <= MAX_USES:
            raise AdminError(
                f"`uses` must be between 1 and {MAX_USES} (leave it out for a standing pre-approval), not {uses}."
            )
        domain = None
        if raw_domain is not None:
            domain = self._domain(raw_domain)
            self._refuse_special(domain, await self.community.policy(guild_id), verb="pre-approved")
        record = await self.community.add_preapproval(
            guild_id, member.user_id, domain=domain, uses=uses, granted_by=actor_id
        )
        log.info(
            "guild=%s: links of %s pre-approved by %s (domain=%s uses=%s)",
            guild_id,
            member.user_id,
            actor_id,
            domain,
            uses,
        )
        what = f"links to {domain}" if domain else "links to any non-medical outside site"
        how = "until revoked" if uses is None else f"for their next {uses} message(s) with such links"
        active = "; ".join(words.grant_text(grant) for grant in record.preapprovals)
        return f"Pre-approved {member.mention}'s {what}, {how}.\nTheir pre-approvals now: {active}"

    async def revoke(self, guild_id: int, member: Person, raw_domain: str | None, *, actor_id: int) -> str:
        """End a member's link pre-approvals: one domain's, or all of them."""
        domain = self._domain(raw_domain) if raw_domain is not None else None
        revoked, record = await self.community.revoke_preapprovals(
            guild_id, member.user_id, domain=domain, revoked_by=actor_id
        )
        log.info("guild=%s: %d pre-approvals of %s revoked by %s", guild_id, revoked, member.user_id, actor_id)
        scope = f" for {domain}" if domain else ""
        if not revoked:
            return f"{member.mention} had no active pre-approval{scope}: nothing changed."
        remaining = "; ".join(words.grant_text(grant) for grant in record.preapprovals) or "none"
        return (
            f"Revoked {revoked} pre-approval(s){scope} for {member.mention}: their outside links are screened again."
            f"\nTheir pre-approvals now: {remaining}"
        )

    # --- /member -----------------------------------------------------------------------

    async def member_info(self, guild_id: int, member: Person) -> str:
        """A member's record, trust, pre-approvals and latest held messages."""
        record = await self.community.member(guild_id, member.user_id)
        items = await self.community.store.items.of_member(guild_id, member.user_id)
        return words.member_text(
            member.mention,
            record,
            items,
            is_moderator=member.is_moderator,
            grants_all=record.links_preapproved,
            in_guild=member.in_guild,
        )

    async def set_trusted(self, guild_id: int, member: Person, trusted: bool, *, actor_id: int) -> str:
        """Trust or stop trusting a member: trust skips the new-member review (links are still screened)."""
        if member.is_bot:
            raise AdminError(f"{member.mention} is a bot: bots' messages are never screened.")
        if member.is_moderator:
            raise AdminError(
                f"{member.mention} is a moderator: moderators' posts are never screened, so trust changes nothing."
            )
        record = await self.community.member(guild_id, member.user_id)
        if record.trusted == trusted:
            state = "already trusted" if trusted else "not trusted"
            return f"{member.mention} is {state}: nothing changed."
        await self.community.update_member(guild_id, member.user_id, trusted=trusted)
        log.info(
            "guild=%s: member %s %s by %s", guild_id, member.user_id, "trusted" if trusted else "untrusted", actor_id
        )
        await self.community.store.decisions.audit(
            guild_id, "trust" if trusted else "untrust", actor_id=actor_id, detail=f"user={member.user_id}"
        )
        if trusted:
            return (
                f"{member.mention} is now trusted: their posts skip the new-member review (links are still screened)."
            )
        return (
            f"{member.mention} is no longer trusted: until they have enough approved posts, their posts are reviewed."
        )


def _differences(before: Mapping[str, Any], after: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Each key whose value differs, as "key: old → new"."""
    lines = []
    for key, new in after.items():
        old = before.get(key)
        name = f"{prefix}{key}"
        if isinstance(new, Mapping) and isinstance(old, Mapping):
            lines.extend(_differences(old, new, f"{name}."))
        elif old != new:
            lines.append(f"{name}: {_shown(old)} → {_shown(new)}")
    return lines


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(item) for item in value) + "]" if value else "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)
