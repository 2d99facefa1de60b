"""Token routes: executing webhooks, interaction callbacks, @original and followup messages."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .. import limits, payloads
from ..api import ApiError, Call, Router
from ..world import FORUM, REQUIRE_TAG, Channel, Interaction, StoredMessage, Webhook
from .channels import announce_thread, new_thread
from .messages import apply_edit, require_content, require_fits

if TYPE_CHECKING:
    from ..server import LocalDiscord

router = Router()
EPHEMERAL = 64
LOADING = 128


def _unknown_message() -> ApiError:
    return ApiError(404, 10008, "Unknown Message")


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true")


# Webhooks (the application's id with an interaction token addresses that interaction's messages instead).


def _interaction_for(local: LocalDiscord, call: Call) -> Interaction | None:
    if call.id("webhook_id") != local.world.application_id:
        return None
    return local.world.interaction_by_token(call.params["webhook_token"])


# discord-api-docs, Resources/User, "Usernames and Nicknames": "We limit some zero-width and non-rendering
# characters" (they are dropped before a name is judged); names cannot be "everyone" or "here". Resources/Webhook,
# Create Webhook: a webhook name cannot contain "clyde" or "discord" and follows the nickname guidelines, with up
# to 80 characters; Execute Webhook's `username` "override[s] the default username of the webhook" under the same
# rules. A refused name is 400 / 50035 Invalid Form Body, with the error on `username`.
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u180b-\u180f\u200b-\u200f\u2060-\u206f\u3164\ufeff\uffa0]")


def _check_username(local: LocalDiscord, username: Any) -> None:
    if username is None:
        return
    visible = " ".join(_INVISIBLE.sub("", str(username)).split())
    lowered = visible.lower()
    refused = {"discord", "clyde"} | local.world.refused_webhook_words
    if not 1 <= len(visible) <= 80 or any(word in lowered for word in refused) or lowered in ("everyone", "here"):
        message = "Username cannot contain that word" if visible else "Must be between 1 and 80 in length."
        errors = {"username": {"_errors": [{"code": "USERNAME_INVALID", "message": message}]}}
        raise ApiError(400, 50035, "Invalid Form Body", errors)


async def _execute_webhook(local: LocalDiscord, call: Call, hook: Webhook) -> Any:
    world = local.world
    body, query = call.body, call.request.query
    target = world.channel(hook.channel_id)
    if query.get("thread_id"):
        target = world.channel(int(query["thread_id"]))
        if target.parent_id != hook.channel_id:
            raise ApiError(400, 10003, "Unknown Channel")
    require_content(body, call.files)
    _check_username(local, body.get("username"))
    require_fits(local, target.id, body, call.files)
    limits.check_message(body)
    limits.check_thread_name(body.get("thread_name"), field="thread_name")
    message_id = None
    if target.type == FORUM:
        if not body.get("thread_name"):
            raise ApiError(400, 220001, "Webhooks posted to forum channels must have a thread_name or thread_id")
        if target.flags & REQUIRE_TAG and not body.get("applied_tags"):
            # discord-api-docs, Topics/Opcodes and Status Codes, JSON Error Codes: 40067 "A tag is required to
            # create a forum post in this channel" (the forum has the REQUIRE_TAG flag).
            raise ApiError(400, 40067, "A tag is required to create a forum post in this channel")
        message_id = world.next_id()
        target = new_thread(local, target, {**body, "name": body["thread_name"]}, hook.id, thread_id=message_id)
        await announce_thread(local, target)
    elif body.get("thread_name"):
        raise ApiError(400, 220003, "Webhooks can only create threads in forum channels")
    author = {
        "id": str(hook.id),
        "username": body.get("username") or hook.name,
        "global_name": None,
        "avatar": hook.avatar,
        "discriminator": "0000",
        "bot": True,
    }
    attachments = local.store_uploads(target.id, body, call.files)
    stored = payloads.message(world, target, author, body, attachments, message_id=message_id, webhook_id=hook.id)
    if hook.application_id is not None:
        # discord-api-docs, Resources/Message, Message Object: "application_id? — if the message is an Interaction
        # or application-owned webhook, this is the id of the application" (a webhook a bot creates is owned by
        # its application: Resources/Webhook, Webhook Object, "application_id").
        stored.payload["application_id"] = str(hook.application_id)
    stored.avatar_url = body.get("avatar_url")
    await local.post_message(stored)
    return payloads.rendered(world, stored) if _truthy(query.get("wait")) else None


@router.route("POST", "/webhooks/{webhook_id}/{webhook_token}", auth=False)
async def execute(local: LocalDiscord, call: Call) -> Any:
    """Execute a webhook (username, avatar_url, thread_id, thread_name, wait, files) or send an interaction followup."""
    interaction = _interaction_for(local, call)
    if interaction is None:
        hook = local.world.webhook(call.id("webhook_id"), call.params["webhook_token"])
        return await _execute_webhook(local, call, hook)
    if not interaction.acknowledged:
        raise ApiError(404, 10015, "Unknown Webhook")
    original = local.world.messages.get(interaction.channel_id, {}).get(interaction.original_message_id or 0)
    if original is not None and int(original.payload["flags"]) & LOADING:
        # The first followup after a "thinking" deferral becomes that message, keeping its ephemeral flag.
        require_content(call.body, call.files)
        apply_edit(local, original, {k: v for k, v in call.body.items() if k != "flags"}, call.files)
        original.payload["flags"] = int(original.payload["flags"]) & ~LOADING
        if not original.ephemeral:
            await local.echo("MESSAGE_UPDATE", local.message_event(original))
        stored = original
    else:
        stored = await _interaction_message(local, interaction, call.body, call)
    interaction.followup_ids.append(stored.id)
    return payloads.rendered(local.world, stored)


def _webhook_message(local: LocalDiscord, call: Call) -> StoredMessage:
    world = local.world
    interaction = _interaction_for(local, call)
    raw_id = call.params.get("message_id")
    if interaction is not None:
        message_id = interaction.original_message_id if raw_id is None else int(raw_id)
        if message_id is None or (raw_id is not None and message_id not in interaction.followup_ids):
            raise _unknown_message()
        return world.find_message(message_id)
    hook = world.webhook(call.id("webhook_id"), call.params["webhook_token"])
    if raw_id is None:
        raise _unknown_message()
    stored = world.find_message(int(raw_id))
    if stored.payload.get("webhook_id") != str(hook.id):
        raise _unknown_message()
    return stored


_MESSAGE = "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"
_ORIGINAL = "/webhooks/{webhook_id}/{webhook_token}/messages/@original"


@router.route("GET", _ORIGINAL, auth=False)
@router.route("GET", _MESSAGE, auth=False)
async def get_webhook_message(local: LocalDiscord, call: Call) -> Any:
    """A message this webhook (or interaction) sent."""
    return payloads.rendered(local.world, _webhook_message(local, call))


@router.route("PATCH", _ORIGINAL, auth=False)
@router.route("PATCH", _MESSAGE, auth=False)
async def edit_webhook_message(local: LocalDiscord, call: Call) -> Any:
    """Edit a webhook message, an interaction's @original or a followup."""
    stored = _webhook_message(local, call)
    apply_edit(local, stored, call.body, call.files)
    stored.payload["flags"] = int(stored.payload.get("flags") or 0) & ~LOADING
    if not stored.ephemeral:
        await local.echo("MESSAGE_UPDATE", local.message_event(stored))
    return payloads.rendered(local.world, stored)


@router.route("DELETE", _ORIGINAL, auth=False)
@router.route("DELETE", _MESSAGE, auth=False)
async def delete_webhook_message(local: LocalDiscord, call: Call) -> Any:
    """Delete a webhook message, an interaction's @original or a followup."""
    stored = _webhook_message(local, call)
    local.world.drop_message(stored.channel_id, stored.id)
    if not stored.ephemeral:
        await local.echo("MESSAGE_DELETE", payloads.deleted(stored.payload))
    return None


# Interactions.


async def _interaction_message(
    local: LocalDiscord, interaction: Interaction, data: dict[str, Any], call: Call, *, loading: bool = False
) -> StoredMessage:
    world = local.world
    ch: Channel = world.channel(interaction.channel_id)
    if not loading:
        require_content(data, call.files)
    require_fits(local, ch.id, data, call.files)
    limits.check_message(data)
    attachments = local.store_uploads(ch.id, data, call.files)
    flags = int(data.get("flags") or 0) | (LOADING if loading else 0)
    stored = payloads.message(world, ch, payloads.user(world.bot), {**data, "flags": flags}, attachments)
    metadata: dict[str, Any] = {
        "id": str(interaction.id),
        "type": interaction.type,
        "user": payloads.user(world.user(interaction.user_id)),
        "authorizing_integration_owners": {"0": str(interaction.guild_id or world.owner.id)},
    }
    if interaction.message_id is not None:
        metadata["interacted_message_id"] = str(interaction.message_id)
    stored.payload.update(
        webhook_id=str(world.application_id), application_id=str(world.application_id), interaction_metadata=metadata
    )
    stored.payload["type"] = 20 if interaction.type == 2 else 0
    stored.ephemeral = bool(flags & EPHEMERAL)
    return await local.post_message(stored)


@router.route("POST", "/interactions/{interaction_id}/{interaction_token}/callback", auth=False)
async def callback(local: LocalDiscord, call: Call) -> Any:
    """Answer an interaction: 4 message, 5 deferred message, 6 deferred update, 7 update message, 9 modal."""
    world = local.world
    interaction = world.interactions.get(call.id("interaction_id"))
    if interaction is None or interaction.token != call.params["interaction_token"]:
        raise ApiError(404, 10062, "Unknown interaction")
    if interaction.acknowledged:
        raise ApiError(400, 40060, "Interaction has already been acknowledged.")
    body = call.body
    kind = int(body.get("type") or 0)
    data = body.get("data") or {}
    interaction.callbacks.append(body)
    message: StoredMessage | None = None
    if kind in (4, 5):
        message = await _interaction_message(local, interaction, data, call, loading=kind == 5)
        interaction.original_message_id = message.id
    elif kind in (6, 7):
        interaction.original_message_id = interaction.message_id
        if kind == 7 and interaction.message_id is not None:
            message = world.find_message(interaction.message_id)
            apply_edit(local, message, data, call.files)
            await local.echo("MESSAGE_UPDATE", local.message_event(message))
    if not _truthy(call.request.query.get("with_response")):
        return None
    answer: dict[str, Any] = {
        "interaction": {
            "id": str(interaction.id),
            "type": interaction.type,
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool(message and message.ephemeral),
        },
        "resource": {"type": kind},
    }
    if message is not None:
        answer["interaction"]["response_message_id"] = str(message.id)
        answer["resource"]["message"] = payloads.rendered(world, message)
    return answer
