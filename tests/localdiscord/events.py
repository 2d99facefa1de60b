"""What other people do on Discord, pushed to the bot as gateway events: messages, edits, reactions, clicks."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord

from . import payloads
from .world import DM, Channel, Interaction, Member, StoredMessage, World, snowflake_time

Attachment = tuple[str, bytes]  # (filename, bytes)


class Events:
    """Event helpers mixed into LocalDiscord; each updates the world first, then dispatches."""

    world: World

    if TYPE_CHECKING:  # provided by LocalDiscord

        async def dispatch(self, event: str, payload: dict[str, Any]) -> int: ...
        async def post_message(self, stored: StoredMessage, *, dispatch: bool | None = None) -> StoredMessage: ...
        def message_event(self, stored: StoredMessage) -> dict[str, Any]: ...
        def store_file(
            self, channel_id: int, filename: str, data: bytes, content_type: str | None = None
        ) -> dict[str, Any]: ...

    async def member_says(
        self,
        guild: int,
        channel: int,
        user: int,
        content: str,
        attachments: Sequence[Attachment] = (),
        embeds: Sequence[dict[str, Any]] = (),
        message_reference: int | None = None,
    ) -> dict[str, Any]:
        """A member posts in a guild channel or thread; returns the MESSAGE_CREATE payload."""
        world = self.world
        ch = world.channel(channel)
        if ch.guild_id != guild:
            raise ValueError(f"channel {channel} is not in guild {guild}")
        world.member(guild, user)
        return await self._says(ch, user, content, attachments, embeds, message_reference)

    async def dm_says(self, user: int, content: str, attachments: Sequence[Attachment] = ()) -> dict[str, Any]:
        """A user writes to the bot in DMs; returns the MESSAGE_CREATE payload."""
        return await self._says(self.dm_channel(user), user, content, attachments, (), None)

    async def _says(
        self,
        ch: Channel,
        user: int,
        content: str,
        attachments: Sequence[Attachment],
        embeds: Sequence[dict[str, Any]],
        message_reference: int | None,
    ) -> dict[str, Any]:
        world = self.world
        message_id = world.next_id()
        body: dict[str, Any] = {"content": content, "embeds": list(embeds)}
        if message_reference is not None:
            body["message_reference"] = {"message_id": message_reference, "channel_id": ch.id}
        files = [self.store_file(ch.id, name, data) for name, data in attachments]
        author = payloads.user(world.user(user))
        stored = payloads.message(world, ch, author, body, files, message_id=message_id)
        await self.post_message(stored, dispatch=True)
        return self.message_event(stored)

    async def member_joins(self, guild: int, user: int) -> dict[str, Any]:
        """A user joins a guild: GUILD_MEMBER_ADD (needs the members intent); returns its payload."""
        world = self.world
        joined = discord.utils.utcnow().isoformat()
        member = Member(guild, user, [], joined_at=joined)
        world.guild(guild).members[user] = member
        payload = {**payloads.member(world, member), "guild_id": str(guild)}
        await self.dispatch("GUILD_MEMBER_ADD", payload)
        return payload

    def dm_channel(self, user: int) -> Channel:
        """The DM channel between the bot and a user, opened on first use."""
        world = self.world
        world.user(user)
        channel_id = world.dm_channels.get(user)
        if channel_id is None:
            ch = Channel(world.next_id(), DM, None, None, recipient_id=user)
            world.channels[ch.id] = ch
            world.dm_channels[user] = channel_id = ch.id
        return world.channels[channel_id]

    async def edit_message(
        self, message: int, content: str, embeds: Sequence[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """Its author edits a message; returns the MESSAGE_UPDATE payload."""
        stored = self.world.find_message(message)
        stored.payload.update(content=content, **payloads.mentions(self.world, content))
        if embeds is not None:
            stored.payload["embeds"] = [{"type": "rich", **e} for e in embeds]
        stored.payload["edited_timestamp"] = snowflake_time(self.world.next_id())
        event = self.message_event(stored)
        await self.dispatch("MESSAGE_UPDATE", event)
        return event

    async def delete_message(self, message: int) -> None:
        """Its author deletes a message (MESSAGE_DELETE)."""
        stored = self.world.find_message(message)
        self.world.drop_message(stored.channel_id, stored.id)
        await self.dispatch("MESSAGE_DELETE", payloads.deleted(stored.payload))

    async def react(self, user: int, message: int, emoji: str) -> dict[str, Any]:
        """A user reacts (emoji: a unicode emoji or name:id); returns the MESSAGE_REACTION_ADD payload."""
        world = self.world
        stored = world.find_message(message)
        users = world.reactions.setdefault(stored.id, {}).setdefault(emoji, [])
        if user not in users:
            users.append(user)
        event = payloads.reaction_event(world, stored, user, emoji, added=True)
        await self.dispatch("MESSAGE_REACTION_ADD", event)
        return event

    async def click_button(
        self, user: int, message: int, custom_id: str, *, values: Sequence[str] | None = None
    ) -> int:
        """A user clicks a button (or, with `values`, picks from a select) on a message; returns the interaction id."""
        stored = self.world.find_message(message)
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": 2}
        if values is not None:
            data.update(component_type=3, values=list(values))
        return await self._interact(user, self.world.channel(stored.channel_id), 3, data, stored.id)

    async def submit_modal(
        self,
        user: int,
        channel: int,
        custom_id: str,
        fields: dict[str, str],
        *,
        message: int | None = None,
    ) -> int:
        """A user submits a modal the bot opened (fields: text input custom_id -> value); returns the interaction id."""
        rows = [{"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]} for k, v in fields.items()]
        data = {"custom_id": custom_id, "components": rows}
        return await self._interact(user, self.world.channel(channel), 5, data, message)

    async def _interact(self, user: int, ch: Channel, kind: int, data: dict[str, Any], message_id: int | None) -> int:
        world = self.world
        interaction = Interaction(world.next_id(), secrets.token_urlsafe(48), kind, user, ch.id, ch.guild_id, data)
        interaction.message_id = message_id
        world.interactions[interaction.id] = interaction
        event: dict[str, Any] = {
            "id": str(interaction.id),
            "application_id": str(world.application_id),
            "type": kind,
            "data": data,
            "channel_id": str(ch.id),
            "channel": payloads.channel(world, ch),
            "token": interaction.token,
            "version": 1,
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "context": 0 if ch.guild_id is not None else 1,
            "authorizing_integration_owners": {"0": str(ch.guild_id or world.owner.id)},
        }
        if ch.guild_id is not None:
            perms = world.permissions(ch.guild_id, user, ch.id)
            event.update(
                guild_id=str(ch.guild_id),
                guild_locale="en-US",
                guild={"id": str(ch.guild_id), "locale": "en-US", "features": []},
                member=payloads.member(world, world.member(ch.guild_id, user), permissions=perms),
                app_permissions=str(world.permissions(ch.guild_id, world.bot.id, ch.id)),
            )
        else:
            event["user"] = payloads.user(world.user(user))
        if message_id is not None:
            event["message"] = payloads.rendered(world, world.message(ch.id, message_id))
        await self.dispatch("INTERACTION_CREATE", event)
        return interaction.id
