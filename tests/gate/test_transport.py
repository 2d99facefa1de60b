"""The real connection path: our bot logs in over HTTP and a websocket to a local Discord, then moderates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import discord
import pytest

from bot.app import build_bot
from bot.client import ForumBridge, default_intents
from bot.policy import PolicyBundle
from bot.store import Store
from tests.localdiscord import FORUM, PUBLIC_THREAD, LocalDiscord, StoredMessage, running
from tests.localdiscord import payloads as local_payloads
from tests.localdiscord.fixtures import local_discord

__all__ = ["local_discord"]

MANAGE = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    read_message_history=True,
    embed_links=True,
    attach_files=True,
    add_reactions=True,
    manage_messages=True,
    manage_webhooks=True,
    manage_threads=True,
)


@dataclass
class Community_:
    """The guild as the local Discord holds it."""

    local: LocalDiscord
    guild: int
    general: int
    modqueue: int
    forum: int
    mods: int
    mod: int
    newbie: int
    post: int


@pytest.fixture
def place(local_discord: LocalDiscord) -> Community_:
    """A guild with a private moderator channel, a forum post by a new member, a moderator and a new member."""
    local = local_discord
    guild = local.add_guild("Spine & Arthritis Community", bot_permissions=MANAGE.value)
    mods = local.add_role(guild, "Moderators", discord.Permissions(manage_messages=True))
    general = local.add_channel(guild, "back-surgery-and-neck-surgery")
    everyone = guild  # @everyone's role id is the guild id
    modqueue = local.add_channel(
        guild,
        "mod-queue",
        permission_overwrites={
            everyone: discord.PermissionOverwrite(view_channel=False),
            mods: discord.PermissionOverwrite(view_channel=True),
            local.bot_user_id: discord.PermissionOverwrite(view_channel=True),
        },
    )
    forum = local.add_channel(guild, "introductions", type=FORUM)
    mod = local.add_member(guild, local.add_user("maria_mod", global_name="Maria"), roles=[mods])
    newbie = local.add_member(guild, local.add_user("newbie", global_name="Nora New"))
    post = local.add_channel(guild, "Newly diagnosed with RA", type=PUBLIC_THREAD, parent=forum, owner=newbie)
    return Community_(local, guild, general, modqueue, forum, mods, mod, newbie, post)


@pytest.fixture
async def bot(place: Community_, tmp_path: Path, shipped: PolicyBundle) -> AsyncIterator[ForumBridge]:
    """Our bot, connected to the local Discord, with the moderator channel configured."""
    store = await Store.open(tmp_path / "bridge.db")
    client = build_bot(store, shipped, guild_ready_timeout=0.01)
    await client.community.set_moderation(place.guild, channel_id=place.modqueue, role_id=place.mods)
    try:
        async with running(client, place.local):
            yield client
    finally:
        await store.close()


async def test_login_identifies_with_the_intents_screening_needs(place: Community_, bot: ForumBridge) -> None:
    [identify] = place.local.identifies
    assert identify["intents"] == default_intents().value
    intents = discord.Intents._from_value(identify["intents"])
    assert intents.message_content
    assert intents.members
    assert intents.guild_reactions
    guild = bot.get_guild(place.guild)
    assert guild is not None
    assert guild.me.guild_permissions.manage_webhooks


async def test_a_held_message_travels_the_whole_way(place: Community_, bot: ForumBridge) -> None:
    local = place.local
    start = len(local.requests)
    sent = await local.member_says(place.guild, place.general, place.newbie, "Hi all, first post here")
    card_post = await local.wait_for_request("POST", rf"/channels/{place.modqueue}/messages$", start=start)
    delete = local.find_requests("DELETE", rf"/channels/{place.general}/messages/{sent['id']}$")
    assert len(delete) == 1
    assert delete[0].at < card_post.at  # removed before the card goes up
    assert card_post.json is not None
    [embed] = card_post.json["embeds"]
    assert embed["footer"]["text"].startswith("Item #")
    [card] = [m for m in local.messages_in(place.modqueue) if m.author_id == local.bot_user_id]
    buttons = [c["custom_id"] for row in card.payload["components"] for c in row["components"]]
    assert buttons[0].startswith("fb:approve:")

    start = len(local.requests)
    interaction = await local.click_button(place.mod, card.id, buttons[0])
    callback = await local.wait_for_request("POST", rf"/interactions/{interaction}/[^/]+/callback$", start=start)
    assert callback.json == {"type": 6}  # acknowledged at once, before the work
    execute = await local.wait_for_request("POST", r"/webhooks/\d+/[^/]+$", start=start)
    assert execute.json is not None
    assert execute.json["username"] == "Nora New"
    assert execute.json["allowed_mentions"]["parse"] == ["users"]
    # The card is updated once the repost is recorded.
    await local.wait_for_request("PATCH", rf"/channels/{place.modqueue}/messages/{card.id}$", start=start)
    [repost] = local.messages_in(place.general)
    assert repost.content == "Hi all, first post here"
    item = await bot.store.items.by_message(int(sent["id"]))
    assert item is not None
    assert item.repost_message_id == repost.id


async def test_a_forum_post_is_held_whole_and_recreated_with_its_title(place: Community_, bot: ForumBridge) -> None:
    local = place.local
    world = local.world
    thread = world.channel(place.post)
    author = local_payloads.user(world.user(place.newbie))
    # A post's starter message has the thread's own id, as on Discord.
    starter = local_payloads.message(world, thread, author, {"content": "Where do I start?"}, [], message_id=thread.id)
    start = len(local.requests)
    await local.post_message(starter, dispatch=True)
    await local.wait_for_request("POST", rf"/channels/{place.modqueue}/messages$", start=start)
    assert local.find_requests("DELETE", rf"/channels/{place.post}$")  # the whole post went
    [card] = [m for m in local.messages_in(place.modqueue) if m.author_id == local.bot_user_id]

    start = len(local.requests)
    await local.click_button(place.mod, card.id, f"fb:approve:{card.payload['embeds'][0]['footer']['text'][6:]}")
    execute = await local.wait_for_request("POST", r"/webhooks/\d+/[^/]+$", start=start)
    assert execute.json is not None
    assert execute.json["thread_name"] == "Newly diagnosed with RA"
    await local.wait_until(lambda: any(c.name == "Newly diagnosed with RA" for c in world.channels.values()))
    recreated = [c for c in world.channels.values() if c.parent_id == place.forum and c.id != place.post]
    assert [c.name for c in recreated] == ["Newly diagnosed with RA"]
    assert [m.content for m in local.messages_in(recreated[0].id)] == ["Where do I start?"]


async def test_a_message_through_our_own_webhook_is_known_as_ours_after_a_restart(
    place: Community_, bot: ForumBridge
) -> None:
    local = place.local
    general = bot.get_channel(place.general)
    assert isinstance(general, discord.TextChannel)
    hook = await bot.gate.publisher.webhook_for(general)
    bot.gate.publisher.forget(place.general)  # a restart: the cache of our webhooks is empty
    start = len(local.requests)
    async with aiohttp.ClientSession() as session:
        url = f"{local.base_url}/webhooks/{hook.id}/{hook.token}?wait=true"
        async with session.post(url, json={"content": "see https://www.mayoclinic.org/x", "username": "Nora"}) as r:
            posted = await r.json()
    # A member's held message after it: once its card is up, the bot has long judged the webhook's message.
    await local.member_says(place.guild, place.general, place.newbie, "Hi all, first post here")
    await local.wait_for_request("POST", rf"/channels/{place.modqueue}/messages$", start=start)
    # The message carries our application's id: ours, with no lookup and not removed.
    assert posted["application_id"] == str(local.world.application_id)
    assert int(posted["id"]) in [m.id for m in local.messages_in(place.general)]
    assert not [r for r in local.requests[start:] if r.method == "GET" and "/webhooks/" in r.path]
    assert not local.find_requests("DELETE", rf"/messages/{posted['id']}$")


def _card_of(place: Community_) -> StoredMessage:
    [card] = [m for m in place.local.messages_in(place.modqueue) if m.author_id == place.local.bot_user_id]
    return card


def _approve_button(card: StoredMessage) -> str:
    return next(c["custom_id"] for row in card.payload["components"] for c in row["components"])


async def test_a_nitro_length_message_comes_whole_with_its_card(place: Community_, bot: ForumBridge) -> None:
    local = place.local
    start = len(local.requests)
    text = " ".join(f"vertebra{n}" for n in range(481))  # 481 words, ~4,400 characters
    await local.member_says(place.guild, place.general, place.newbie, text)
    await local.wait_for_request("POST", rf"/channels/{place.modqueue}/messages$", start=start)
    card = _card_of(place)
    assert "vertebra480" not in card.payload["embeds"][0]["description"]  # the card quotes part of it
    [whole] = card.attachments
    assert whole["filename"].endswith("-full-text.txt")
    assert local.world.files[int(whole["id"])].decode() == text


async def test_files_too_large_for_discord_still_leave_a_card_and_a_repost(place: Community_, bot: ForumBridge) -> None:
    local = place.local
    mib = 1024 * 1024
    notes = b"L4/5 " * 1000
    files = [("notes.txt", notes), ("mri.dcm", bytes(11 * mib))] + [(f"scan{n}.png", bytes(9 * mib)) for n in range(3)]
    start = len(local.requests)
    await local.member_says(place.guild, place.general, place.newbie, "my scans", attachments=files)
    post = await local.wait_for_request("POST", rf"/channels/{place.modqueue}/messages$", start=start)
    assert post.status == 200  # the first try fits: Discord (413 / 40005) is never asked for more
    card = _card_of(place)
    assert [a["filename"] for a in card.attachments] == ["notes.txt", "scan0.png", "scan1.png"]
    fields = {f["name"]: f["value"].replace("\u200b", "") for f in card.payload["embeds"][0]["fields"]}
    assert fields["⚠️ Will not be reposted"].splitlines() == [
        "mri.dcm — not kept: too large (11.0 MiB)",
        "scan2.png — not kept: too large (9.0 MiB)",
    ]
    # What the bot downloaded is bounded too: the files it does not keep it never fetched.
    fetched = [r.path.rsplit("/", 1)[-1] for r in local.find_requests("GET", r"^/attachments/")]
    assert sorted(fetched) == ["notes.txt", "scan0.png", "scan1.png"]

    start = len(local.requests)
    await local.click_button(place.mod, card.id, _approve_button(card))
    execute = await local.wait_for_request("POST", r"/webhooks/\d+/[^/]+$", start=start)
    assert execute.status == 200
    [repost] = local.messages_in(place.general)
    assert [a["filename"] for a in repost.attachments] == ["notes.txt", "scan0.png", "scan1.png"]
    assert local.world.files[int(repost.attachments[0]["id"])] == notes


async def test_a_card_whose_files_discord_refuses_is_sent_with_fewer(place: Community_, bot: ForumBridge) -> None:
    local = place.local
    guild = bot.get_guild(place.guild)
    assert guild is not None
    # The bot believes in 50 MiB a file (boost tier 2) that Discord no longer grants: its answer is the last word.
    guild.premium_tier = 2
    start = len(local.requests)
    files = [("scan.png", bytes(12 * 1024 * 1024)), ("notes.txt", b"pain 7/10")]
    await local.member_says(place.guild, place.general, place.newbie, "my scan", attachments=files)
    refused = await local.wait_for_request("POST", rf"/channels/{place.modqueue}/messages$", start=start)
    assert refused.status == 413
    after = local.requests.index(refused) + 1
    sent = await local.wait_for_request("POST", rf"/channels/{place.modqueue}/messages$", start=after)
    assert sent.status == 200
    card = _card_of(place)
    assert [a["filename"] for a in card.attachments] == ["notes.txt"]
    fields = {f["name"]: f["value"].replace("\u200b", "") for f in card.payload["embeds"][0]["fields"]}
    assert "scan.png — not kept: too large (12.0 MiB)" in fields["⚠️ Will not be reposted"]
