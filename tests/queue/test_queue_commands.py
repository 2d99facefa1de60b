"""End to end in SimCord: /queue list (with paging buttons), /queue stats and /queue reminders."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import discord
import pytest

from bot.checks import NotAdmin, NotModerator
from bot.models import NewHeldItem
from bot.rules import Action, Reason
from tests.community import open_command_to
from tests.deadline import answered_before_the_database
from tests.queue.conftest import Server

NOT_A_MODERATOR = "Only moderators (the moderator role or Manage Messages) can use this command."
NOT_AN_ADMIN = "Only admins (Manage Server) can change Forum Bridge's configuration."


def list_message(server: Server, message_id: int) -> discord.Message:
    """A /queue list reply in the moderator channel, as it is now."""
    return next(m for m in server.modqueue.history() if m.id == message_id)


def assert_refused(server: Server, result: Any, error: type[Exception], text: str) -> None:
    """A private refusal with its words, the check's error the only one the bot raised."""
    assert result.ephemeral
    assert result.response is not None
    assert result.response.content == text
    assert not result.response.embeds
    [raised] = server.env.errors
    assert isinstance(raised, error)


def lines(embed: discord.Embed) -> list[str]:
    return (embed.description or "").splitlines()


async def hold_posts(server: Server, count: int) -> None:
    """The new member's posts, each held for review."""
    for number in range(count):
        await server.newbie.send(server.general, f"hello everyone, post {number}")


# --- /queue list ---------------------------------------------------------------------------------


async def test_list_shows_pending_items_oldest_first_with_jump_links_to_their_cards(server: Server) -> None:
    await server.newbie.send(server.general, "Hi all, I had an L4/5 fusion last month.")
    await server.env.advance_time(60)
    await server.alice.send(server.general, "this helped me: https://example.org/stretches")
    first, second = server.cards()
    result = await server.mod.slash(server.modqueue, "queue list")
    assert not result.ephemeral  # the moderator channel: the team sees it together
    assert result.response is not None
    [embed] = result.response.embeds
    assert embed.title == "Review queue: 2 waiting"
    newbie_line, alice_line = lines(embed)
    assert "**Nora New**" in newbie_line
    assert "new member's first post" in newbie_line
    assert f"[card]({first.jump_url})" in newbie_line
    assert "**Alice**" in alice_line
    assert "outside link" in alice_line
    assert f"[card]({second.jump_url})" in alice_line
    assert (embed.footer.text or "").startswith("Page 1 of 1")


async def test_list_leaves_out_decided_items(server: Server) -> None:
    await hold_posts(server, 2)
    await server.mod.click(server.cards()[0], label="Approve")
    result = await server.mod.slash(server.modqueue, "queue list")
    assert result.response is not None
    [embed] = result.response.embeds
    assert embed.title == "Review queue: 1 waiting"
    assert "post 1" not in (embed.description or "")  # never shows member text
    assert f"({server.cards()[1].jump_url})" in (embed.description or "")


async def test_list_elsewhere_is_private(server: Server) -> None:
    await hold_posts(server, 1)
    result = await server.mod.slash(server.general, "queue list")
    assert result.ephemeral
    assert result.response is not None
    assert result.response.embeds[0].title == "Review queue: 1 waiting"


async def test_an_empty_queue_says_so(server: Server) -> None:
    result = await server.mod.slash(server.modqueue, "queue list")
    assert result.response is not None
    [embed] = result.response.embeds
    assert embed.title == "Review queue: 0 waiting"
    assert "Nothing is waiting" in (embed.description or "")


async def test_list_is_refused_to_a_member_even_when_the_command_is_shown_to_everyone(server: Server) -> None:
    await hold_posts(server, 1)
    server.open_to_everyone("queue")
    result = await server.alice.slash(server.general, "queue list")
    assert_refused(server, result, NotModerator, NOT_A_MODERATOR)


async def test_the_buttons_page_through_the_list_and_only_moderators_may_use_them(server: Server) -> None:
    await hold_posts(server, 12)
    result = await server.mod.slash(server.modqueue, "queue list")
    assert result.response is not None
    listing = list_message(server, result.response.id)
    assert listing.embeds[0].title == "Review queue: 12 waiting"
    assert len(lines(listing.embeds[0])) == 10
    assert (listing.embeds[0].footer.text or "").startswith("Page 1 of 2")
    buttons = {c.label: c for row in listing.components for c in row.children}  # type: ignore[attr-defined]
    assert buttons["◀ Previous"].disabled
    assert not buttons["Next ▶"].disabled
    assert buttons["Next ▶"].custom_id == "fb:queue:next:1"  # keys only: the page

    refused = await server.helper.click(listing, label="Next ▶")
    assert refused.ephemeral
    assert refused.response is not None
    assert refused.response.content == "Only moderators can page through the review queue."
    assert (list_message(server, listing.id).embeds[0].footer.text or "").startswith("Page 1 of 2")

    await server.mod.click(listing, label="Next ▶")
    paged = list_message(server, listing.id)
    assert (paged.embeds[0].footer.text or "").startswith("Page 2 of 2")
    assert len(lines(paged.embeds[0])) == 2
    assert f"({server.cards()[11].jump_url})" in (paged.embeds[0].description or "")

    await server.mod.click(paged, label="◀ Previous")
    back = list_message(server, listing.id)
    assert (back.embeds[0].footer.text or "").startswith("Page 1 of 2")
    assert f"({server.cards()[0].jump_url})" in (back.embeds[0].description or "")


async def test_paging_buttons_keep_working_after_a_restart(server: Server) -> None:
    await hold_posts(server, 11)
    result = await server.mod.slash(server.modqueue, "queue list")
    assert result.response is not None
    await server.env.restart_bot(server.bot)
    await server.mod.click(list_message(server, result.response.id), label="Next ▶")
    assert (list_message(server, result.response.id).embeds[0].footer.text or "").startswith("Page 2 of 2")


# --- /queue stats --------------------------------------------------------------------------------


async def test_stats_count_reasons_domains_times_and_moderators_with_a_chart(server: Server) -> None:
    await server.newbie.send(server.general, "Hi all, I had an L4/5 fusion last month.")
    await server.alice.send(server.general, "this helped me: https://example.org/stretches")
    await server.alice.send(server.general, "and this: https://example.org/walking")
    newbie_card, alice_card, alice_card2 = server.cards()
    await server.env.advance_time(3600)
    await server.mod.click(newbie_card, label="Approve")
    await server.env.advance_time(3600)
    await server.mod.react(alice_card, "❌")
    result = await server.mod.slash(server.modqueue, "queue stats")
    assert result.response is not None
    [embed] = result.response.embeds
    text = embed.description or ""
    assert "**Held in the last 30 days:** 3 (2 decided, 1 still open)" in text
    assert "median 1 h 30 min, 90% within 2 h" in text
    assert "new member's first post: held 1 · approved 1 · rejected 0 · approval 100%" in text
    assert "outside link: held 2 · approved 0 · rejected 1 · approval 0%" in text
    assert "`example.org`: held 2 · approved 0 · rejected 1 · approval 0%" in text
    assert "Maria (mod): 2 decisions" in text
    [chart] = result.response.attachments
    assert chart.filename == "queue-stats.png"
    assert (await chart.read()).startswith(b"\x89PNG\r\n\x1a\n")
    assert embed.image.url == "attachment://queue-stats.png"  # the chart shows inside the embed
    assert alice_card2.id  # the third item is still open


async def test_stats_count_only_the_days_asked_for(server: Server) -> None:
    now = server.env.now()
    for days_ago, message_id in ((40, 1), (3, 2)):
        await server.bot.store.items.add(
            NewHeldItem(
                guild_id=server.guild.id,
                channel_id=server.general.id,
                message_id=message_id,
                author_id=server.newbie.id,
                author_name="Nora New",
                author_avatar_url=None,
                content="x",
                action=Action.HOLD,
                reasons=(Reason.EMAIL,),
                links=(),
                created_at=now - timedelta(days=days_ago),
            )
        )
    recent = await server.mod.slash(server.general, "queue stats", days=7)
    assert recent.ephemeral  # outside the moderator channel
    assert recent.response is not None
    assert "**Held in the last 7 days:** 1 (0 decided, 1 still open)" in (recent.response.embeds[0].description or "")
    everything = await server.mod.slash(server.general, "queue stats", days=60)
    assert everything.response is not None
    assert "**Held in the last 60 days:** 2" in (everything.response.embeds[0].description or "")


async def test_stats_with_nothing_held(server: Server) -> None:
    result = await server.mod.slash(server.modqueue, "queue stats", days=1)
    assert result.response is not None
    assert result.response.embeds[0].description == "No messages were held in the last day."
    assert result.response.attachments == []


@pytest.mark.parametrize("days", [0, -3, 366])
async def test_stats_refuse_days_out_of_range(server: Server, days: int) -> None:
    result = await server.mod.slash(server.modqueue, "queue stats", days=days)
    assert result.ephemeral
    assert result.response is not None
    assert result.response.content == f"`days` must be between 1 and 365; you gave {days}."


async def test_stats_are_refused_to_a_member(server: Server) -> None:
    server.open_to_everyone("queue")
    result = await server.alice.slash(server.general, "queue stats")
    assert_refused(server, result, NotModerator, NOT_A_MODERATOR)


# --- /queue reminders ----------------------------------------------------------------------------


async def test_reminders_show_the_default_then_set_then_turn_off(server: Server) -> None:
    shown = await server.admin.slash(server.general, "queue-admin reminders")
    assert shown.ephemeral
    assert shown.response is not None
    assert "waiting more than 12 hours" in shown.response.content
    changed = await server.admin.slash(server.general, "queue-admin reminders", hours=4)
    assert changed.response is not None
    assert "waiting more than 4 hours" in changed.response.content
    assert await server.bot.store.guilds.reminder_after(server.guild.id) == 4 * 3600
    off = await server.admin.slash(server.general, "queue-admin reminders", hours=0)
    assert off.response is not None
    assert off.response.content == "Queue reminders are now off."
    assert await server.bot.store.guilds.reminder_after(server.guild.id) == 0
    again = await server.admin.slash(server.general, "queue-admin reminders")
    assert again.response is not None
    assert again.response.content.startswith("Queue reminders are off.")
    audit = await server.bot.store.decisions.audit_entries(server.guild.id)
    assert [(e["action"], e["actor_id"], e["detail"]) for e in audit[:2]] == [
        ("queue_reminders", server.admin.id, "0s"),
        ("queue_reminders", server.admin.id, "14400s"),
    ]


@pytest.mark.parametrize("hours", [-1, 721])
async def test_reminders_refuse_hours_out_of_range(server: Server, hours: int) -> None:
    result = await server.admin.slash(server.general, "queue-admin reminders", hours=hours)
    assert result.ephemeral
    assert result.response is not None
    assert result.response.content == f"`hours` must be between 0 (off) and 720; you gave {hours}."
    assert await server.bot.store.guilds.reminder_after(server.guild.id) == 12 * 3600


async def test_reminders_are_for_admins_not_moderators(server: Server) -> None:
    assert "queue-admin reminders" not in server.mod.available_commands(server.modqueue)
    # Shown to them anyway (an admin's override in Integrations): the server still refuses.
    await open_command_to(server, "queue-admin", server.mod)
    result = await server.mod.slash(server.modqueue, "queue-admin reminders", hours=1)
    assert_refused(server, result, NotAdmin, NOT_AN_ADMIN)
    assert await server.bot.store.guilds.reminder_after(server.guild.id) == 12 * 3600


# --- Discord's 3-second deadline: the first response comes before the store is read -------------------------


@pytest.mark.parametrize(("channel_name", "ephemeral"), [("modqueue", False), ("general", True)])
@pytest.mark.parametrize(("command", "options"), [("queue list", {}), ("queue stats", {"days": 30})])
async def test_list_and_stats_answer_discord_before_reading_the_store(
    server: Server, command: str, options: dict[str, object], channel_name: str, ephemeral: bool
) -> None:
    assert not await server.posted(server.newbie, "Hello, my first post")
    await server.bot.gate.outbox.idle()  # the card is out: no other work touches the store meanwhile
    channel = getattr(server, channel_name)
    result = await answered_before_the_database(
        server.env, server.store, lambda: server.mod.slash(channel, command, **options), ephemeral=ephemeral
    )
    assert result.ephemeral is ephemeral
    assert result.response.embeds


async def test_paging_answers_discord_before_reading_the_store(server: Server) -> None:
    for number in range(11):
        assert not await server.posted(server.newbie, f"post number {number}")
    await server.bot.gate.outbox.idle()
    result = await server.mod.slash(server.modqueue, "queue list")
    listing = list_message(server, result.response.id)
    await answered_before_the_database(server.env, server.store, lambda: server.mod.click(listing, label="Next ▶"))
    assert (list_message(server, result.response.id).embeds[0].footer.text or "").startswith("Page 2 of 2")


@pytest.mark.parametrize("options", [{}, {"hours": 6}])
async def test_reminders_answer_privately_before_reading_the_store(server: Server, options: dict[str, int]) -> None:
    result = await answered_before_the_database(
        server.env,
        server.store,
        lambda: server.admin.slash(server.general, "queue-admin reminders", **options),
        ephemeral=True,
    )
    assert "reminded" in result.response.content
