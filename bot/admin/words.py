"""What the admin and moderator commands say (pure: plain values in, text out)."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from bot.gate.words import reason_lines
from bot.models import HeldItem, LinkPreapproval, MemberRecord, StoredLink
from bot.policy import RaidSettings
from bot.rules import Action, LinkClass, Policy, Verdict
from bot.rules.catalogue import CATALOGUE

ACTION_WORDS = {
    Action.ALLOW: "allowed: published at once",
    Action.HOLD: "held: it waits for a moderator",
    Action.BLOCK: "blocked: removed (moderators see it and may restore it)",
}
_NOT_RULES = {LinkClass.INTERNAL: "the forum's own sites", LinkClass.ALLOWED: "domains allowed here"}
# The other classes are rules': the catalogue words them.
CLASS_WORDS = {
    link_class: _NOT_RULES.get(link_class) or next(rule.setting for rule in CATALOGUE if rule.link_class is link_class)
    for link_class in LinkClass
}

# The rules whose action the policy file sets outside [links.actions] (emails.action, ...), in the catalogue's order.
_OTHER_ACTION_RULES = tuple(rule for rule in CATALOGUE if rule.link_class is None and not rule.switch)


def channel_list(channel_ids: Collection[int]) -> str:
    """Channels as mentions, or "none"."""
    return ", ".join(f"<#{channel_id}>" for channel_id in sorted(channel_ids)) or "none"


def policy_text(policy: Policy, unscreened: Collection[int], guild_allowed: int, raid: RaidSettings) -> str:
    """The policy as /policy show reads it."""
    if not policy.new_member_hold:
        members = "hold off: new members' posts are not held for being new"
    elif not policy.new_member_posts:
        members = "hold on, but 0 approved posts are required, so no post is held for being new"
    else:
        members = (
            f"hold on: a member's posts wait for a moderator until they have {policy.new_member_posts} approved post(s)"
        )
    lines = ["**Policy for this server**", f"New members: {members}", "Links:"]
    for link_class in LinkClass:
        lines.append(f"• {link_class.value} ({CLASS_WORDS[link_class]}): {policy.link_actions[link_class].value}")
    actions = policy.actions
    lines.extend(f"{rule.setting.capitalize()}: {actions[rule.policy_key].value}" for rule in _OTHER_ACTION_RULES)
    lines.append(f"Internal domains: {', '.join(sorted(policy.internal_domains))}")
    lines.append(
        f"Allowed domains: {len(policy.allowed_domains)} ({guild_allowed} added in this server; /links list shows them)"
    )
    lines.append(f"Not screened: {channel_list(unscreened)} (every other channel is screened)")
    lines.append(raid_line(raid))
    return "\n".join(lines)


HOLDS_NOTHING_SET = (
    "Nothing was changed: 0 approved posts with the new-member hold on would hold nothing while the rule reads "
    "as on. To turn the new-member rule off, use hold_new_members:False."
)
HOLDS_NOTHING_IMPORT = (
    "new_members: approved_posts_required = 0 with hold = true holds nothing while the rule reads as on; "
    "to turn the new-member rule off, set hold = false"
)


def holds_nothing(policy: Policy) -> bool:
    """The new-member hold is on but requires no approved post: it reads as on and holds nobody."""
    return policy.new_member_hold and policy.new_member_posts == 0


def rules_turned_off(
    before: Policy, after: Policy, before_unscreened: Collection[int], after_unscreened: Collection[int]
) -> list[str]:
    """Each rule a change switches off, in plain words (an admin must not miss one)."""
    lines = []
    if before.new_member_hold and before.new_member_posts > 0 and not after.new_member_hold:
        lines.append("the new-member rule: new members' posts are no longer held for a moderator")
    for link_class in LinkClass:
        if before.link_actions[link_class] is not Action.ALLOW and after.link_actions[link_class] is Action.ALLOW:
            lines.append(f"the review of links to {CLASS_WORDS[link_class]}: they are published at once")
    was, now = before.actions, after.actions
    lines.extend(
        f"the review of {rule.setting}: they are published at once"
        for rule in _OTHER_ACTION_RULES
        if was[rule.policy_key] is not Action.ALLOW and now[rule.policy_key] is Action.ALLOW
    )
    lines.extend(
        f"screening in <#{channel_id}>: nothing posted there is checked"
        for channel_id in sorted(set(after_unscreened) - set(before_unscreened))
    )
    return lines


def changes_text(heading: str, changed: Iterable[str], turned_off: Iterable[str]) -> str:
    """A change list, then the rules it turns off, if any."""
    lines = [heading, *(f"• {line}" for line in changed)]
    off = [f"• {line}" for line in turned_off]
    if off:
        lines.append("Rules this turns off:")
        lines.extend(off)
    return "\n".join(lines)


def raid_line(raid: RaidSettings) -> str:
    """Raid mode's settings in one line."""
    bulk = "on" if raid.bulk_delete else "off"
    return (
        f"Raid mode: more than {raid.new_members} new member(s) posting held links within {raid.window_seconds} s; "
        f"bulk deletes {bulk}"
    )


def verdict_text(verdict: Verdict, who: str, *, exempt: bool) -> str:
    """What /policy test says: the action, its reasons and each link's class."""
    lines = [f"As {who} would get it, this message would be **{ACTION_WORDS[verdict.action]}**."]
    if exempt:
        lines.append("Moderators are exempt from every rule.")
    stored = [StoredLink.from_link(link) for link in verdict.links]
    reasons = reason_lines(verdict.reasons, stored)
    if reasons:
        lines.append("Reasons:")
        lines.extend(f"• {reason}" for reason in reasons)
    if verdict.links:
        lines.append("Links found:")
        lines.extend(f"• {link.domain}: {link.link_class.value}" for link in verdict.links)
    if verdict.emails:
        lines.append("Email addresses found: " + ", ".join(verdict.emails))
    lines.append("(A test: nothing was posted or stored.)")
    return "\n".join(lines)


def grant_text(grant: LinkPreapproval) -> str:
    """One pre-approval in words."""
    what = grant.domain or "any non-medical site"
    uses = "standing" if grant.uses_left is None else f"{grant.uses_left} message(s) left"
    return f"{what} ({uses})"


def member_text(
    mention: str,
    record: MemberRecord,
    items: Iterable[HeldItem],
    *,
    is_moderator: bool,
    grants_all: bool,
    in_guild: bool = True,
) -> str:
    """What /member info says."""
    status = " (moderator: never screened)" if is_moderator else "" if in_guild else " (not in this server now)"
    lines = [
        f"**{mention}**" + status,
        f"Approved posts: {record.approved_posts} · held: {record.held_posts} · rejected: {record.rejected_posts}",
        f"Trusted: {'yes (skips the new-member review)' if record.trusted else 'no'}",
    ]
    grants = [grant_text(grant) for grant in record.preapprovals]
    if grants_all:
        grants.insert(0, "any non-medical site (standing, from an earlier approval)")
    lines.append("Link pre-approvals: " + ("; ".join(grants) if grants else "none"))
    recent = list(items)
    if recent:
        lines.append("Latest held messages:")
        for item in reversed(recent):
            reasons = ", ".join(reason_lines(item.reasons, item.links)) or "no reason recorded"
            if item.decision is not None:
                who = item.decided_by_name or "a moderator"
                when = f" <t:{int(item.decided_at.timestamp())}:d>" if item.decided_at else ""
                state = f"{item.state.value} by {who}{when}"
            else:
                state = item.state.value
            lines.append(f"• #{item.id} {state} ({reasons})")
    else:
        lines.append("Latest held messages: none")
    return "\n".join(lines)
