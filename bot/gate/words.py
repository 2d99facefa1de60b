"""What members and moderators read: reasons and notices in plain words (pure, no Discord)."""

from __future__ import annotations

from collections.abc import Iterable

from bot.models import HeldItem, ItemState, StoredLink
from bot.rules import Action, LinkClass, Reason
from bot.rules.catalogue import RULES, Rule, worded
from bot.text import MESSAGE_LIMIT, clip, fit_lines
from bot.text import quote as text_quote

SPAM_REJECT_REASON = "This looks like spam or advertising."  # what "Reject all & time out" tells the authors
COMMON_REJECT_REASONS: tuple[str, ...] = (
    "Links to outside sites need a moderator's approval first.",
    "Links to medical web sites are not permitted here.",
    "Please keep your email address to yourself: anyone can read it here.",
    "No one here can give medical advice: please ask your own doctor.",
    SPAM_REJECT_REASON,
    "This is not on topic for this community.",
)
GENERIC_REJECT_REASON = "A moderator decided not to publish this message."

REACTION_APPROVE = "✅"
REACTION_REJECT = "❌"

_MAX_QUOTE = 1500


def reason_lines(reasons: Iterable[Reason], links: Iterable[StoredLink]) -> list[str]:
    """One line per reason, naming the domains involved."""
    by_class: dict[LinkClass, list[str]] = {}
    for link in links:
        domains = by_class.setdefault(link.link_class, [])
        if link.domain not in domains:
            domains.append(link.domain)
    return [worded(RULES[reason].card, _domains_of(RULES[reason], by_class)) for reason in reasons]


def _domains_of(rule: Rule, by_class: dict[LinkClass, list[str]]) -> list[str] | None:
    return by_class.get(rule.link_class) if rule.link_class is not None else None


def member_reason_lines(reasons: Iterable[Reason], links: Iterable[StoredLink]) -> list[str]:
    """The reasons as the author should read them: why, in the community's own words."""
    by_class: dict[LinkClass, list[str]] = {}
    for link in links:
        by_class.setdefault(link.link_class, []).append(link.domain)
    return [worded(RULES[reason].dm, _distinct(_domains_of(RULES[reason], by_class))) for reason in reasons]


def _distinct(domains: list[str] | None) -> list[str] | None:
    return list(dict.fromkeys(domains)) if domains else domains


def quote(text: str, limit: int = _MAX_QUOTE) -> str:
    """The text as a block quote of at most `limit` characters, its "> " marks included, cut with "…"."""
    return text_quote(text, limit)


DM_LIMIT = MESSAGE_LIMIT  # Discord's limit for a message's text


def _within_dm(head: str, content: str) -> str:
    """The head, then the member's text quoted in what room a DM leaves."""
    room = min(_MAX_QUOTE, DM_LIMIT - len(head) - 1)
    return (head + "\n" + quote(content, max(room, 3)))[:DM_LIMIT]


def inert(text: str) -> str:
    """Text with links that neither preview nor click: dots and schemes defused."""
    # A zero-width space after "://" and before each dot of a host keeps Discord from
    # turning the text into a link or an invite preview on the moderator card.
    defused = text.replace("://", ":\u200b//").replace("discord.gg", "discord\u200b.gg")
    out = []
    for index, char in enumerate(defused):
        if char == "." and 0 < index < len(defused) - 1 and defused[index + 1].isalnum():
            out.append("\u200b.")
        else:
            out.append(char)
    return "".join(out).replace("@", "@\u200b")


def held_notice(item: HeldItem) -> str:
    """The DM an author gets when a message is held or removed."""
    lines = member_reason_lines(item.reasons, item.links)
    if item.action is Action.BLOCK:
        head = "Your message was removed."
        nextline = "A moderator can see it; you do not need to do anything."
    else:
        head = "Your message is waiting for a moderator."
        nextline = (
            "A moderator will read it soon. If it is approved, it will appear under your name and I'll send you "
            "a link; if not, I'll tell you why."
        )
    return _within_dm(
        "\n".join([head, *("• " + line for line in lines), "", nextline, "", "Your message:"]), item.content
    )


def channel_notice(mention: str, item: HeldItem) -> str:
    """The short public notice used when the author's DMs are closed."""
    if item.action is Action.BLOCK:
        return f"{mention} your message was removed: links to medical web sites are not permitted here."
    return f"{mention} your message is waiting for a moderator. (Open your DMs to get the details.)"


def decision_channel_notice(mention: str, items: list[HeldItem], jump_url: str | None) -> str:
    """The short public notice of a decision, when the author's DMs are closed: never their text, nor the reason."""
    many = len(items) > 1
    what = f"{len(items)} of your messages" if many else "your message"
    if items[0].state in (ItemState.APPROVED, ItemState.RESTORED):
        where = f" {jump_url}" if jump_url else ""
        return f"{mention} a moderator approved {what}: {'they are' if many else 'it is'} published now.{where}"
    return (
        f"{mention} a moderator decided not to publish {what}. Your DMs are closed, so I could not tell you why "
        "or give you your text back: open your DMs and ask a moderator."
    )


def approved_notice(item: HeldItem, jump_url: str | None) -> str:
    """The DM an author gets when a moderator publishes their message."""
    where = f"\n{jump_url}" if jump_url else ""
    return f"Good news: a moderator approved your message and it is now published.{where}"


def rejected_notice(item: HeldItem, *, attached: bool = False) -> str:
    """The DM an author gets when a moderator rejects their message, with their text to revise."""
    reason = item.decision_reason or GENERIC_REJECT_REASON
    lines = ["A moderator decided not to publish your message.", f"Reason: {reason}", ""]
    if attached:
        lines += [FULL_TEXT_ATTACHED]
    lines += ["Here is your text, so you can change it and post again:"]
    return _within_dm("\n".join(lines), item.content)


FULL_TEXT_FILENAME = "your-message.txt"
FULL_TEXT_ATTACHED = f"Your whole text is attached ({FULL_TEXT_FILENAME}): the quote below is cut short."
FULL_TEXTS_ATTACHED = f"Your whole texts are attached ({FULL_TEXT_FILENAME}): the quotes below are cut short."
# Far under the smallest upload limit Discord gives a bot (10 MiB); a text past it is cut, never refused.
FULL_TEXT_MAX_BYTES = 8 * 1024 * 1024


def quoted_whole(dm_text: str, items: Iterable[HeldItem]) -> bool:
    """True when every item's text appears whole in the DM (nothing was cut to fit Discord's limit)."""
    return all(quote(item.content, 1 << 30) in dm_text for item in items)


def full_texts(items: list[HeldItem]) -> str:
    """The authors' texts, whole, for the file a rejection DM carries when its quotes are cut."""
    if len(items) == 1:
        body = items[0].content
    else:
        body = "\n\n".join(f"--- Message {n} of {len(items)} ---\n{item.content}" for n, item in enumerate(items, 1))
    return body.encode("utf-8")[:FULL_TEXT_MAX_BYTES].decode("utf-8", errors="ignore")


def publish_problem(error: str | None) -> str:
    """Why an approved message is not published yet, from what its failed repost recorded (None: still going)."""
    if error is None:
        return "It is queued and will be published shortly."
    if error.startswith("403"):
        return "I could not publish it: check my Manage Webhooks permission there. I retry when I restart."
    if error == "the channel is gone" or error.startswith("404"):
        return "I could not publish it: its channel or thread is gone."
    return f"I could not publish it: Discord answered {clip(error, 300)}. I retry when I restart."


def outcome_line(item: HeldItem) -> str:
    """How a decided card reads: what happened, by whom, when."""
    who = item.decided_by_name or (f"<@{item.decided_by}>" if item.decided_by else "a moderator")
    when = f" <t:{int(item.decided_at.timestamp())}:f>" if item.decided_at else ""
    verb = {
        "approve": "Approved",
        "approve_trust": "Approved, member trusted",
        "approve_domain": "Approved, domain allowed",
        "reject": "Rejected",
        "restore": "Restored",
    }.get(item.decision.value if item.decision else "", item.state.value.capitalize())
    reason = f" — {item.decision_reason}" if item.decision_reason else ""
    return f"{verb} by {who}{when}{reason}"


def webhook_author_line(webhook_name: str | None, webhook_id: int, shown_as: str) -> str:
    """Who a webhook's message is from, on its card: the webhook, and the name it posted under."""
    name = f"**{inert(webhook_name)}**" if webhook_name else "(name unknown)"
    line = f"Posted through webhook {name} (`{webhook_id}`)"
    if shown_as and shown_as != webhook_name:
        line += f" as “{inert(shown_as)}”"
    return line + "\nA webhook, not a member: no account to check, and I cannot DM it."


RACE_NOTICE_SECONDS = 30  # how long the notice to a moderator whose reaction lost a race stays up


def group_already_decided(group_id: int, items: list[HeldItem]) -> str:
    """What a moderator whose reaction on a grouped card lost a race is told: who decided first."""
    deciders = list(dict.fromkeys(outcome_line(item).partition(" <t:")[0] for item in items if not item.is_open))
    first = "; ".join(deciders[:3]) + ("; …" if len(deciders) > 3 else "")
    return f"Grouped card #{group_id} was already decided: {first or 'nothing is left open'}."


# --- several messages at once (a wave, a grouped card) -------------------------------------


def _fit(lines: list[str]) -> str:
    """Lines joined, cut at a line so the text stays under Discord's message limit."""
    return fit_lines(lines)


def top_domains(items: Iterable[HeldItem]) -> list[tuple[str, int]]:
    """The outside domains of these items, with how many items link to each, most first."""
    counts: dict[str, int] = {}
    for item in items:
        for domain in dict.fromkeys(link.domain for link in item.links if link.link_class is not LinkClass.INTERNAL):
            counts[domain] = counts.get(domain, 0) + 1
    return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))


def group_summary(items: list[HeldItem], *, author_mention: str | None) -> str:
    """One line for a grouped card: "12 messages from @x in 40 s: 11 links to cheap-pills.net"."""
    span = int((max(i.created_at for i in items) - min(i.created_at for i in items)).total_seconds())
    who = author_mention or f"{len({i.author_id for i in items})} members"
    line = f"{len(items)} messages from {who} in {span} s"
    domains = top_domains(items)
    if domains:
        domain, count = domains[0]
        line += f": {count} link{'s' if count != 1 else ''} to {domain}"
        if len(domains) > 1:
            line += f" (and {len(domains) - 1} other domain{'s' if len(domains) > 2 else ''})"
    return line


def held_notice_many(items: list[HeldItem]) -> str:
    """One DM for several held messages of one author."""
    reasons: list[str] = []
    for item in items:
        for line in member_reason_lines(item.reasons, item.links):
            if line not in reasons:
                reasons.append(line)
    lines = [
        f"{len(items)} of your messages are waiting for a moderator.",
        *("• " + line for line in reasons),
        "",
        "A moderator will read them soon; I'll tell you what they decide.",
        "",
        "Your messages:",
    ]
    lines += [quote(item.content, 200) for item in items]
    return _fit(lines)


def approved_notice_many(items: list[HeldItem], jumps: list[str | None]) -> str:
    """One DM for several approved messages of one author, with links to them."""
    lines = [f"Good news: a moderator approved {len(items)} of your messages and they are now published."]
    lines += [jump for jump in jumps if jump]
    return _fit(lines)


def rejected_notice_many(items: list[HeldItem], *, attached: bool = False) -> str:
    """One DM for several rejected messages of one author, with their texts to revise."""
    reasons = [item.decision_reason or GENERIC_REJECT_REASON for item in items]
    note = [FULL_TEXTS_ATTACHED] if attached else []
    if len(set(reasons)) > 1:
        # Decisions made apart (by different moderators, say) share a DM: each text keeps its own reason.
        lines = [f"A moderator decided not to publish {len(items)} of your messages. Here are your texts and why:"]
        lines += note
        for item, reason in zip(items, reasons, strict=True):
            lines += ["", quote(item.content, 300), f"Reason: {reason}"]
        return _fit(lines)
    lines = [
        f"A moderator decided not to publish {len(items)} of your messages.",
        f"Reason: {reasons[0]}",
        "",
        *note,
        "Here are your texts, so you can change them and post again:",
    ]
    lines += [quote(item.content, 300) for item in items]
    return _fit(lines)


def raid_notice(members: int, threshold: int, window_seconds: int, domains: list[tuple[str, int]]) -> str:
    """What the moderators read when a raid starts."""
    text = (
        f"{members} new members posted held links within {window_seconds} s (more than {threshold}): "
        "this looks like a raid. "
        "Their messages were removed (with bulk deletes where Discord allows it) and are grouped on cards below, "
        "with Approve all, Reject all, and Reject all & time out."
    )
    if domains:
        text += "\nMost linked: " + ", ".join(f"{inert(domain)} ({count})" for domain, count in domains[:5])
    return text
