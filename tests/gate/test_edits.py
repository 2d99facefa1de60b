"""Edits and restarts: what an edit is judged against, what a held edit removes, what the bot catches up on."""

from __future__ import annotations

from typing import Any

import discord

from tests.gate.conftest import World, cards, forum_post, item_id_of


def posts(world: World, channel: Any | None = None) -> list[discord.Message]:
    """What members see in a channel (the general one by default)."""
    return list((channel or world.general).history())


async def test_a_held_edit_of_a_forum_posts_first_message_leaves_the_thread_and_its_replies(world: World) -> None:
    thread, post_id = await forum_post(world, world.alice, "Knee pain after fusion", "What helped you?")
    reply = await world.bob.send(thread, "Swimming helped me a lot")
    assert cards(world) == []
    [starter] = [m for m in posts(world, thread) if m.id == post_id]
    await world.alice.edit(starter, "What helped you? I buy mine at cheap-pills.net/knee")
    [card] = cards(world)
    assert card.embeds[0].title == "Held: an edited message"
    # Only the edited message went: the post, its title and Bob's reply stay (Discord keeps a thread whose
    # starter message is deleted: discord-api-docs, Topics/Threads, "Public & Private Threads").
    assert thread.id in world.env.backend.channels
    assert [m.id for m in posts(world, thread)] == [reply.id]
    item = await world.bot.store.item(item_id_of(card))
    assert item is not None
    assert (item.is_forum_post, item.thread_id, item.channel_id) == (False, thread.id, world.forum.id)
    # Approved, it goes back into the same post (not a new post with the same title). SimCord files every
    # webhook message in the webhook's channel, so the request is what shows it.
    await world.mod.click(card, label="Approve")
    [execute] = [r for r in world.env.http_requests if r.method == "POST" and "/webhooks/" in r.path]
    assert execute.params.get("thread_id") == thread.id
    assert execute.json is not None
    assert "thread_name" not in execute.json
    assert execute.json["content"] == "What helped you? I buy mine at cheap-pills.net/knee"
