"""What real Discord refuses in a webhook message, checked on the requests the bot made in SimCord (which takes them).

SimCord accepts any webhook username and lets a message through that Discord would refuse; these checks stand in
for Discord's own, as its documentation states them.
"""

from __future__ import annotations

import re
from typing import Any

# discord-api-docs, Resources/User, "Usernames and Nicknames": names may contain most Unicode characters, but
# "we limit some zero-width and non-rendering characters", and names cannot be "everyone" or "here"; webhook names
# follow the same guidelines, 1–80 characters (Resources/Webhook, Create Webhook), and cannot contain "clyde" or
# "discord" (Resources/Webhook, Create Webhook; Execute Webhook's `username` overrides the webhook's name).
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u180b-\u180f\u200b-\u200f\u2060-\u206f\u3164\ufeff\uffa0]")


def username_problem(username: str) -> str | None:
    """Why Discord would refuse this webhook username, or None."""
    visible = " ".join(_INVISIBLE.sub("", username).split())
    if not 1 <= len(visible) <= 80:
        return "must be 1-80 visible characters"
    lowered = visible.lower()
    for word in ("discord", "clyde"):
        if word in lowered:
            return f"cannot contain {word!r}"
    if lowered in ("everyone", "here"):
        return f"cannot be {lowered!r}"
    return None


def message_problem(body: dict[str, Any]) -> str | None:
    """Why Discord would refuse this message body as empty, or None.

    discord-api-docs, Resources/Message, Create Message (and Resources/Webhook, Execute Webhook): at least one of
    content, embeds, sticker_ids, components, files[n] or poll is required; otherwise 400, code 50006.
    """
    if any(body.get(key) for key in ("content", "embeds", "sticker_ids", "components", "poll", "attachments")):
        return None
    return "Cannot send an empty message (50006)"


def webhook_executes(env: Any) -> list[Any]:
    """The webhook messages the bot sent, oldest first."""
    return [r for r in env.http_requests if r.method == "POST" and re.fullmatch(r"/webhooks/\d+/[^/]+", r.path)]


def assert_discord_would_accept_reposts(env: Any) -> None:
    """Fail if Discord would have refused any webhook message the bot sent in this SimCord world."""
    problems = []
    for request in webhook_executes(env):
        body = request.json if isinstance(request.json, dict) else {}
        if request.json is None:
            continue  # multipart: files were sent, which is never empty
        why = message_problem(body)
        if "username" in body:
            why = why or (
                f"username {body['username']!r}: {problem}" if (problem := username_problem(body["username"])) else None
            )
        if why:
            problems.append(why)
    assert not problems, problems
