"""LocalDiscord against the real discord.py client: login, gateway, REST, files, interactions, webhooks, errors."""

from __future__ import annotations

import asyncio
import datetime
import gc
import io
import logging
import warnings
from dataclasses import dataclass

import discord
import pytest
import yarl
from discord.ext import commands

from tests.localdiscord import FORUM, PUBLIC_THREAD, Call, LocalDiscord, check_discord_hooks, pointed_at, running
from tests.localdiscord.fixtures import local_discord

MESSAGES = r"/channels/\d+/messages$"


@dataclass
class Place:
    """A small community: a category with a text channel, a forum with a post, three people and a mod role."""

    local: LocalDiscord
    guild: int
    category: int
    general: int
    forum: int
    post: int
    mods: int
    alice: int
    mod: int
    closed: int


@pytest.fixture
def place(local_discord: LocalDiscord) -> Place:
    """The community, built before any client connects."""
    local = local_discord
    guild = local.add_guild("Spine & Arthritis Community")
    mods = local.add_role(guild, "Moderators", discord.Permissions(manage_messages=True))
    category = local.add_channel(guild, "Community", type=4)
    general = local.add_channel(guild, "general", parent=category, topic="Say hello")
    forum = local.add_channel(guild, "introductions", type=FORUM, tags=["new", "question"])
    post = local.add_channel(guild, "Hello from Nora", type=PUBLIC_THREAD, parent=forum)
    alice = local.add_member(guild, local.add_user("alice", global_name="Alice"))
    mod = local.add_member(guild, local.add_user("maria_mod"), roles=[mods])
    closed = local.add_member(guild, local.add_user("private_pat", dms_closed=True))
    return Place(local, guild, category, general, forum, post, mods, alice, mod, closed)


def make_bot(*, message_content: bool = True) -> commands.Bot:
    """A plain commands.Bot (not ours) with the intents a moderation bot asks for."""
    intents = discord.Intents.default()
    intents.members = True
    intents.message_content = message_content
    return commands.Bot(command_prefix="!", intents=intents, help_command=None, guild_ready_timeout=0.01)


def text_channel(bot: discord.Client, channel_id: int) -> discord.TextChannel:
    """A cached text channel."""
    channel = bot.get_channel(channel_id)
    assert isinstance(channel, discord.TextChannel)
    return channel


def test_discord_hooks_canary() -> None:
    """LocalDiscord redirects discord.py through two class attributes; fail loudly if they move or change type."""
    from discord.gateway import DiscordWebSocket
    from discord.http import Route

    assert isinstance(Route.BASE, str)
    assert Route.BASE.startswith("https://discord.com/api/v")
    assert isinstance(DiscordWebSocket.DEFAULT_GATEWAY, yarl.URL)
    assert Route("GET", "/users/@me").url == Route.BASE + "/users/@me"
    check_discord_hooks()


async def test_pointed_at_restores_discord_hooks() -> None:
    from discord.gateway import DiscordWebSocket
    from discord.http import Route

    before = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    async with LocalDiscord() as local:
        with pointed_at(local):
            assert local.base_url == Route.BASE
            assert str(DiscordWebSocket.DEFAULT_GATEWAY) == local.gateway_url
    assert before == (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)


async def test_login_identify_ready_and_cache(place: Place) -> None:
    local = place.local
    bot = make_bot()
    async with running(bot, local):
        assert [i["intents"] for i in local.identifies] == [bot.intents.value]
        compress = discord.utils._ActiveDecompressionContext.COMPRESSION_TYPE
        assert local.gateway.connect_params == [{"v": "10", "encoding": "json", "compress": compress}]
        assert bot.user is not None
        assert bot.user.id == local.bot_user_id
        assert bot.application_id == local.world.application_id
        guild = bot.get_guild(place.guild)
        assert guild is not None
        assert guild.name == "Spine & Arthritis Community"
        assert {c.name for c in guild.channels} == {"Community", "general", "introductions"}
        general = text_channel(bot, place.general)
        assert general.category_id == place.category
        assert general.topic == "Say hello"
        forum = guild.get_channel(place.forum)
        assert isinstance(forum, discord.ForumChannel)
        assert [t.name for t in forum.available_tags] == ["new", "question"]
        post = guild.get_thread(place.post)
        assert post is not None
        assert post.parent_id == place.forum
        assert {m.name for m in guild.members} == {"Forum Bridge", "alice", "maria_mod", "private_pat"}
        assert guild.me.guild_permissions.manage_webhooks
        mod = guild.get_member(place.mod)
        assert mod is not None
        assert [r.name for r in mod.roles] == ["@everyone", "Moderators"]
    assert [r.path for r in local.requests] == ["/users/@me", "/oauth2/applications/@me"]


async def test_member_message_reaches_on_message_and_bot_replies(place: Place) -> None:
    local = place.local
    bot = make_bot()
    seen: list[discord.Message] = []

    @bot.event
    async def on_message(message: discord.Message) -> None:
        seen.append(message)
        if not message.author.bot:
            await message.reply(f"Thanks {message.author.display_name}")

    async with running(bot, local):
        own_echo = asyncio.create_task(bot.wait_for("message", check=lambda m: m.author == bot.user, timeout=2))
        said = await local.member_says(place.guild, place.general, place.alice, "My neck hurts after surgery")
        request = await local.wait_for_request("POST", MESSAGES)
        await own_echo
    incoming = seen[0]
    assert incoming.content == "My neck hurts after surgery"
    assert incoming.author.id == place.alice
    assert isinstance(incoming.author, discord.Member)
    assert incoming.guild is not None
    assert request.json["content"] == "Thanks Alice"
    assert request.json["message_reference"]["message_id"] == int(said["id"])
    reply = local.messages_in(place.general)[-1]
    assert reply.content == "Thanks Alice"
    assert reply.author_id == local.bot_user_id
    assert reply.payload["type"] == 19
    assert reply.payload["referenced_message"]["id"] == said["id"]
    assert request.at <= (request.answered_at or 0)


async def test_file_upload_round_trip_and_member_attachment(place: Place) -> None:
    local = place.local
    scan = bytes(range(256)) * 40
    async with running(make_bot(), local) as bot:
        general = text_channel(bot, place.general)
        sent = await general.send("the scan", file=discord.File(io.BytesIO(scan), "scan.bin"))
        upload = local.find_requests("POST", MESSAGES)[-1]
        assert upload.json["content"] == "the scan"
        assert [(f.field, f.filename, f.data) for f in upload.files] == [("files[0]", "scan.bin", scan)]
        [attachment] = sent.attachments
        assert attachment.filename == "scan.bin"
        assert attachment.size == len(scan)
        assert attachment.url.startswith(local.origin)
        assert await attachment.read() == scan
        fetched = await general.fetch_message(sent.id)
        assert await fetched.attachments[0].read() == scan

        arrived = asyncio.create_task(bot.wait_for("message", check=lambda m: m.author.id == place.alice, timeout=2))
        await local.member_says(place.guild, place.general, place.alice, "", attachments=[("notes.txt", b"pain 7/10")])
        message = await arrived
        assert await message.attachments[0].read() == b"pain 7/10"
    assert local.find_requests("GET", r"^/attachments/")


async def test_uploads_over_the_boost_tiers_limit_or_25_mib_are_refused_413_40005(place: Place) -> None:
    local = place.local
    mib = 1024 * 1024
    async with running(make_bot(), local) as bot:
        general = text_channel(bot, place.general)
        hook = await general.create_webhook(name="Forum Bridge reposts")
        for send in (general.send, hook.send):
            with pytest.raises(discord.HTTPException) as refused:
                await send(file=discord.File(io.BytesIO(bytes(10 * mib + 1)), "mri.dcm"))
            assert (refused.value.status, refused.value.code) == (413, 40005)
        three = [discord.File(io.BytesIO(bytes(9 * mib)), f"scan{n}.png") for n in range(3)]
        with pytest.raises(discord.HTTPException) as refused:
            await general.send(files=three)  # each is fine, together they are over 25 MiB
        assert (refused.value.status, refused.value.code) == (413, 40005)
        assert local.messages_in(place.general) == []
        sent = await general.send(file=discord.File(io.BytesIO(bytes(10 * mib)), "at-the-limit.bin"))
        assert sent.attachments[0].size == 10 * mib
        local.world.guilds[place.guild].premium_tier = 2  # 50 MiB a file (but still 25 MiB a request)
        sent = await general.send(file=discord.File(io.BytesIO(bytes(20 * mib)), "boosted.bin"))
        assert sent.attachments[0].size == 20 * mib


class Card(discord.ui.View):
    """A moderator card with a persistent approve button."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Approve", custom_id="card:approve", style=discord.ButtonStyle.success)
    async def approve(self, interaction: discord.Interaction, button: discord.ui.Button[Card]) -> None:
        await interaction.response.send_message(f"Approved by {interaction.user.name}", ephemeral=True)


async def test_button_click_is_answered_through_the_callback_route(place: Place) -> None:
    local = place.local
    async with running(make_bot(), local) as bot:
        bot.add_view(Card())
        card = await text_channel(bot, place.general).send("Held message from alice", view=Card())
        assert (
            local.messages_in(place.general)[-1].payload["components"][0]["components"][0]["custom_id"]
            == "card:approve"
        )
        interaction_id = await local.click_button(place.mod, card.id, "card:approve")
        callback = await local.wait_for_request("POST", rf"^/interactions/{interaction_id}/[^/]+/callback$")
    assert callback.status == 200
    assert callback.param("with_response") == "1"
    interaction = local.world.interactions[interaction_id]
    assert interaction.callbacks == [callback.json]
    assert callback.json["type"] == 4
    assert callback.json["data"]["content"] == "Approved by maria_mod"
    assert callback.json["data"]["flags"] == 64
    assert interaction.original_message_id is not None


class Reason(discord.ui.Modal, title="Reason"):
    """The modal a moderator fills in to reject."""

    why: discord.ui.TextInput[Reason] = discord.ui.TextInput(label="Why", custom_id="why")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"Rejected: {self.why.value}")


class Queue(discord.ui.View):
    """A card exercising deferrals, @original edits, followups, message updates and modals."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Hold", custom_id="q:hold")
    async def hold(self, interaction: discord.Interaction, button: discord.ui.Button[Queue]) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content="Held")
        await interaction.followup.send("Noted", ephemeral=True)

    @discord.ui.button(label="Check", custom_id="q:check")
    async def check(self, interaction: discord.Interaction, button: discord.ui.Button[Queue]) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send("Checked")

    @discord.ui.button(label="Close", custom_id="q:close")
    async def close(self, interaction: discord.Interaction, button: discord.ui.Button[Queue]) -> None:
        await interaction.response.edit_message(content="Closed", view=None)

    @discord.ui.button(label="Reject", custom_id="q:reject")
    async def reject(self, interaction: discord.Interaction, button: discord.ui.Button[Queue]) -> None:
        await interaction.response.send_modal(Reason())


async def test_deferrals_original_followups_updates_and_modals(place: Place) -> None:
    local = place.local
    followup = r"^/webhooks/\d+/[^/]+$"
    async with running(make_bot(), local) as bot:
        bot.add_view(Queue())
        card = await text_channel(bot, place.general).send("Held message", view=Queue())
        start = len(local.requests)
        await local.click_button(place.mod, card.id, "q:hold")
        await local.wait_for_request("POST", followup, start=start)
        routes = [r.route for r in local.requests[start:]]
        assert routes[1] == "/webhooks/{webhook_id}/{webhook_token}/messages/@original"
        assert [(m.content, m.ephemeral) for m in local.messages_in(place.general)] == [
            ("Held", False),
            ("Noted", True),
        ]

        start = len(local.requests)
        check = await local.click_button(place.mod, card.id, "q:check")
        await local.wait_for_request("POST", followup, start=start)
        thinking = local.world.interactions[check].original_message_id
        assert thinking is not None
        assert local.world.find_message(thinking).content == "Checked"
        assert local.world.find_message(thinking).payload["flags"] == 0

        start = len(local.requests)
        reject = await local.click_button(place.mod, card.id, "q:reject")
        await local.wait_for_request("POST", r"/callback$", start=start)
        modal = local.world.interactions[reject].callbacks[0]
        assert modal["type"] == 9
        submitted = await local.submit_modal(place.mod, place.general, modal["data"]["custom_id"], {"why": "spam"})
        await local.wait_until(lambda: local.world.interactions[submitted].acknowledged)
        assert local.messages_in(place.general)[-1].content == "Rejected: spam"

        start = len(local.requests)
        await local.click_button(place.mod, card.id, "q:close")
        await local.wait_for_request("POST", r"/callback$", start=start)
    closed = local.world.find_message(card.id)
    assert closed.content == "Closed"
    assert closed.payload["components"] == []


async def test_webhook_execute_with_username_and_avatar(place: Place) -> None:
    local = place.local
    avatar = "https://forum.example/avatars/alice.png"
    async with running(make_bot(), local) as bot:
        hook = await text_channel(bot, place.general).create_webhook(name="Forum Bridge reposts")
        sent = await hook.send("Reposted after review", username="Alice", avatar_url=avatar, wait=True)
        assert sent.author.name == "Alice"
        assert sent.webhook_id == hook.id
        await sent.edit(content="Reposted after review (edited)")
    execute = local.find_requests("POST", rf"^/webhooks/{hook.id}/")[0]
    assert execute.json["username"] == "Alice"
    assert execute.json["avatar_url"] == avatar
    assert execute.param("wait") == "1"
    stored = local.messages_in(place.general)[-1]
    assert stored.avatar_url == avatar
    assert stored.content == "Reposted after review (edited)"
    assert stored.payload["webhook_id"] == str(hook.id)


async def test_forum_posts_by_bot_and_by_webhook(place: Place) -> None:
    local = place.local
    async with running(make_bot(), local) as bot:
        forum = bot.get_channel(place.forum)
        assert isinstance(forum, discord.ForumChannel)
        created = await forum.create_thread(
            name="Welcome Nora", content="Say hi", file=discord.File(io.BytesIO(b"x"), "a.txt")
        )
        assert created.thread.parent_id == place.forum
        assert created.message.id == created.thread.id
        hook = await forum.create_webhook(name="Reposts")
        sent = await hook.send("Hello everyone", thread_name="New here", wait=True)
        assert sent.channel.id != place.forum
    assert [m.content for m in local.messages_in(created.thread.id)] == ["Say hi"]
    thread = local.world.channels[sent.channel.id]
    assert thread.name == "New here"
    assert thread.parent_id == place.forum
    assert thread.owner_id == hook.id


async def test_dm_to_a_user_with_closed_dms_is_forbidden_50007(place: Place) -> None:
    async with running(make_bot(), place.local) as bot:
        user = await bot.fetch_user(place.closed)
        with pytest.raises(discord.Forbidden) as failure:
            await user.send("Your post is held for review")
    assert failure.value.status == 403
    assert failure.value.code == 50007


async def test_missing_manage_messages_and_manage_webhooks_are_forbidden_50013(place: Place) -> None:
    local = place.local
    local.set_bot_permissions(place.guild, 0)
    async with running(make_bot(), local) as bot:
        said = await local.member_says(place.guild, place.general, place.alice, "spam spam")
        message = await text_channel(bot, place.general).fetch_message(int(said["id"]))
        with pytest.raises(discord.Forbidden) as deleting:
            await message.delete()
        with pytest.raises(discord.Forbidden) as hooking:
            await text_channel(bot, place.general).create_webhook(name="Reposts")
    assert (deleting.value.code, deleting.value.text) == (50013, "Missing Permissions")
    assert hooking.value.code == 50013
    assert [m.content for m in local.messages_in(place.general)] == ["spam spam"]


async def test_delete_with_manage_messages_dispatches_message_delete(place: Place) -> None:
    local = place.local
    async with running(make_bot(), local) as bot:
        said = await local.member_says(place.guild, place.general, place.alice, "phone 555 0100")
        gone = asyncio.create_task(bot.wait_for("raw_message_delete", timeout=2))
        await text_channel(bot, place.general).get_partial_message(int(said["id"])).delete()
        assert (await gone).message_id == int(said["id"])
    assert local.messages_in(place.general) == []
    assert local.world.deleted_message_ids == [int(said["id"])]


async def test_injected_500_is_retried_by_discord_py(place: Place) -> None:
    local = place.local
    local.fail_next("POST", MESSAGES, 500)
    async with running(make_bot(), local) as bot:
        sent = await text_channel(bot, place.general).send("after a hiccup")
    posts = local.find_requests("POST", MESSAGES)
    assert [(p.status, p.injected) for p in posts] == [(500, True), (200, False)]
    assert sent.content == "after a hiccup"
    assert len(local.messages_in(place.general)) == 1


async def test_injected_error_body_reaches_the_exception(place: Place) -> None:
    local = place.local
    local.fail_next("*", r"/channels/\d+$", 403, {"message": "Missing Access", "code": 50001})
    async with running(make_bot(), local) as bot:
        with pytest.raises(discord.Forbidden) as failure:
            await bot.fetch_channel(place.general)
        assert isinstance(await bot.fetch_channel(place.general), discord.TextChannel)
    assert failure.value.code == 50001


async def test_unknown_routes_answer_404_and_are_recorded(place: Place) -> None:
    local = place.local
    async with running(make_bot(), local) as bot:
        guild = bot.get_guild(place.guild)
        assert guild is not None
        with pytest.raises(discord.NotFound) as failure:
            await guild.fetch_emojis()
    assert (failure.value.text, failure.value.code) == ("404: Not Found", 0)
    assert [(r.method, r.path, r.route) for r in local.unknown_routes] == [
        ("GET", f"/guilds/{place.guild}/emojis", None)
    ]


async def test_a_bug_in_a_route_fails_fast_and_is_recorded(place: Place) -> None:
    local = place.local

    @local.router.route("GET", "/guilds/{guild_id}/emojis")
    async def broken(local: LocalDiscord, call: Call) -> object:
        raise KeyError("oops")

    async with running(make_bot(), local) as bot:
        guild = bot.get_guild(place.guild)
        assert guild is not None
        with pytest.raises(discord.HTTPException) as failure:
            await guild.fetch_emojis()
    assert failure.value.status == 400
    assert "LocalDiscord bug" in failure.value.text
    [(request, error)] = local.server_errors
    assert request.route == "/guilds/{guild_id}/emojis"
    assert isinstance(error, KeyError)
    local.server_errors.clear()  # expected here; the fixture fails a test that leaves any


async def test_edits_reactions_and_content_intent(place: Place) -> None:
    local = place.local
    async with running(make_bot(message_content=False), local) as bot:
        arrived = asyncio.create_task(bot.wait_for("message", timeout=2))
        said = await local.member_says(place.guild, place.general, place.alice, "hidden without the intent")
        assert (await arrived).content == ""
        edited = asyncio.create_task(bot.wait_for("raw_message_edit", timeout=2))
        await local.edit_message(int(said["id"]), f"now mentioning <@{local.bot_user_id}>")
        assert (await edited).data["content"] == f"now mentioning <@{local.bot_user_id}>"
        reacted = asyncio.create_task(bot.wait_for("raw_reaction_add", timeout=2))
        await local.react(place.mod, int(said["id"]), "👍")
        reaction = await reacted
        assert (reaction.user_id, str(reaction.emoji)) == (place.mod, "👍")
        await text_channel(bot, place.general).get_partial_message(int(said["id"])).add_reaction("✅")
    assert local.world.reactions[int(said["id"])] == {"👍": [place.mod], "✅": [local.bot_user_id]}


async def test_reconnect_resumes_the_session(place: Place) -> None:
    local = place.local
    async with running(make_bot(), local) as bot:
        resumed = asyncio.create_task(bot.wait_for("resumed", timeout=2))
        await local.gateway.send_reconnect()
        await resumed
        arrived = asyncio.create_task(bot.wait_for("message", timeout=2))
        await local.member_says(place.guild, place.general, place.alice, "still here")
        assert (await arrived).content == "still here"
    assert len(local.identifies) == 1
    assert len(local.gateway.connect_params) == 2


async def test_wrong_token_fails_login() -> None:
    async with LocalDiscord(token="right") as local:
        with pointed_at(local):
            client = discord.Client(intents=discord.Intents.none())
            with pytest.raises(discord.LoginFailure):
                await client.login("wrong")
            await client.close()
    assert local.requests[0].status == 401


async def test_clean_shutdown_leaves_nothing_unclosed(place: Place, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="asyncio")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        async with running(make_bot(), place.local):
            pass
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert "Unclosed" not in caplog.text
    assert place.local.gateway.connections == set()


# The fixture is imported for pytest to find; listing it here tells linters the import is used.
__all__ = ["local_discord"]


async def test_a_repeated_nonce_returns_the_first_message(place: Place) -> None:
    local = place.local
    async with running(make_bot(), local) as bot:
        channel = text_channel(bot, place.general)
        first = await channel.send("card for item 7", nonce="fbc7")
        again = await channel.send("card for item 7", nonce="fbc7")  # discord.py sends enforce_nonce with it
        other = await channel.send("card for item 8", nonce="fbc8")
    assert again.id == first.id
    assert other.id != first.id
    assert [m.content for m in local.messages_in(place.general)] == ["card for item 7", "card for item 8"]
    assert local.nonce_repeats == 1


async def test_a_nonce_is_remembered_only_for_a_few_minutes(place: Place) -> None:
    local = place.local
    async with running(make_bot(), local) as bot:
        channel = text_channel(bot, place.general)
        first = await channel.send("card for item 7", nonce="fbc7")
        local.advance_clock(local.nonce_window_s - 5)
        within = await channel.send("card for item 7", nonce="fbc7")
        local.advance_clock(10)  # past "the past few minutes": Discord makes the message again
        after = await channel.send("card for item 7", nonce="fbc7")
    assert within.id == first.id
    assert after.id != first.id
    assert after.created_at - first.created_at > datetime.timedelta(seconds=local.nonce_window_s)
    assert [m.content for m in local.messages_in(place.general)] == ["card for item 7"] * 2


# --- what Discord refuses (tests/localdiscord/limits.py) -------------------------------------------------------


def _embed(**fields: object) -> dict[str, object]:
    return {"type": "rich", **fields}


def _row(*children: dict[str, object]) -> dict[str, object]:
    return {"type": 1, "components": list(children)}


def _button(custom_id: str = "b", label: str = "Approve") -> dict[str, object]:
    return {"type": 2, "style": 1, "custom_id": custom_id, "label": label}


def _select(options: int, custom_id: str = "s") -> dict[str, object]:
    return {
        "type": 3,
        "custom_id": custom_id,
        "options": [{"label": f"item {n}", "value": str(n)} for n in range(options)],
    }


REFUSED = {
    "content over 2000": {"content": "x" * 2001},
    "nonce over 25": {"content": "hi", "nonce": "n" * 26},
    "11 embeds": {"embeds": [_embed(title="t")] * 11},
    "title over 256": {"embeds": [_embed(title="t" * 257)]},
    "description over 4096": {"embeds": [_embed(description="d" * 4097)]},
    "26 fields": {"embeds": [_embed(fields=[{"name": "n", "value": "v"}] * 26)]},
    "field value over 1024": {"embeds": [_embed(fields=[{"name": "n", "value": "v" * 1025}])]},
    "footer over 2048": {"embeds": [_embed(footer={"text": "f" * 2049})]},
    "author over 256": {"embeds": [_embed(author={"name": "a" * 257})]},
    "embeds over 6000 in all": {"embeds": [_embed(description="d" * 4000), _embed(description="d" * 2001)]},
    "parse users with users": {"content": "hi", "allowed_mentions": {"parse": ["users"], "users": ["1"]}},
    "101 users": {"content": "hi", "allowed_mentions": {"users": [str(n) for n in range(101)]}},
    "6 rows": {"components": [_row(_button(f"b{n}")) for n in range(6)]},
    "6 buttons in a row": {"components": [_row(*[_button(f"b{n}") for n in range(6)])]},
    "label over 80": {"components": [_row(_button(label="l" * 81))]},
    "custom_id over 100": {"components": [_row(_button(custom_id="c" * 101))]},
    "duplicate custom_id": {"components": [_row(_button("same"), _button("same"))]},
    "26 options": {"components": [_row(_select(26))]},
    "a select beside a button": {"components": [_row(_select(2), _button())]},
}


@pytest.mark.parametrize("body", list(REFUSED.values()), ids=list(REFUSED))
def test_discords_documented_limits_are_refused(body: dict[str, object]) -> None:
    from tests.localdiscord.limits import Refused, check_request

    with pytest.raises(Refused):
        check_request("POST", "/channels/1/messages", body, 0)
    with pytest.raises(Refused):
        check_request("POST", "/webhooks/1/token", body, 0)


def test_what_is_within_the_limits_passes() -> None:
    from tests.localdiscord.limits import Refused, check_request

    body = {
        "content": "x" * 2000,
        "nonce": "n" * 25,
        "embeds": [_embed(title="t" * 256, description="d" * 4096, footer={"text": " " * 5000 + "f"})],
        "allowed_mentions": {"parse": ["users"], "users": []},
        "components": [_row(*[_button(f"b{n}", "l" * 80) for n in range(5)]), _row(_select(25))],
    }
    check_request("POST", "/channels/1/messages", body, 0)
    check_request("POST", "/channels/1/threads", {"name": "n" * 100, "message": body}, 0)
    with pytest.raises(Refused, match="name"):
        check_request("POST", "/channels/1/threads", {"name": "n" * 101, "message": body}, 0)


async def test_the_routes_refuse_over_long_messages_old_bulk_deletes_and_long_timeouts(place: Place) -> None:
    local, world = place.local, place.local.world
    async with running(make_bot(), local) as bot:
        channel = text_channel(bot, place.general)
        with pytest.raises(discord.HTTPException) as refused:
            await channel.send("x" * 2001)
        assert (refused.value.status, refused.value.code) == (400, 50035)
        guild = bot.get_guild(place.guild)
        assert guild is not None
        member = await guild.fetch_member(place.alice)
        with pytest.raises(discord.HTTPException) as refused:
            await member.timeout(datetime.timedelta(days=29))
        assert refused.value.status == 400
        await member.timeout(datetime.timedelta(days=28) - datetime.timedelta(minutes=1))

        fresh = [await channel.send(f"fresh {n}") for n in range(2)]
        with pytest.raises(discord.HTTPException) as refused:
            await channel.delete_messages([fresh[0], fresh[0]])
        assert refused.value.status == 400  # a duplicate id
        local.advance_clock(15 * 24 * 3600)  # two weeks and a day later
        newer = await channel.send("newer")
        with pytest.raises(discord.HTTPException) as refused:
            await channel.delete_messages([fresh[0], newer])
        assert (refused.value.status, refused.value.code) == (400, 50034)
        await channel.delete_messages([await channel.send("a"), await channel.send("b")])  # young ones go

    assert world.member(place.guild, place.alice).communication_disabled_until is not None


async def test_history_after_pages_forward_and_limit_is_1_to_100(place: Place) -> None:
    local = place.local
    said = [await local.member_says(place.guild, place.general, place.alice, f"message {n}") for n in range(150)]
    async with running(make_bot(), local) as bot:
        channel = text_channel(bot, place.general)
        after = discord.Object(int(said[9]["id"]))
        read = [m.content async for m in channel.history(limit=None, after=after, oldest_first=True)]
        assert read == [f"message {n}" for n in range(10, 150)]  # two pages, in order, none skipped
        for limit in (0, 101):
            with pytest.raises(discord.HTTPException) as refused:
                await bot.http.logs_from(place.general, limit)
            assert (refused.value.status, refused.value.code) == (400, 50035)


async def test_a_forgotten_session_is_not_resumed_and_misses_what_was_said_meanwhile(place: Place) -> None:
    local = place.local
    async with running(make_bot(), local) as bot:
        readies = asyncio.Queue[None]()

        async def on_ready() -> None:
            readies.put_nowait(None)

        bot.add_listener(on_ready)
        heard: list[str] = []
        arrived = asyncio.Event()

        async def on_message(message: discord.Message) -> None:
            heard.append(message.content)
            arrived.set()

        bot.add_listener(on_message)
        local.gateway.forget_sessions()
        await local.member_says(place.guild, place.general, place.alice, "said while the session was gone")
        await local.gateway.send_reconnect()
        await asyncio.wait_for(readies.get(), 10)  # RESUME refused: a fresh IDENTIFY and READY
        await local.member_says(place.guild, place.general, place.alice, "said after")
        await asyncio.wait_for(arrived.wait(), 5)
    assert heard == ["said after"]
    assert len(local.identifies) == 2
