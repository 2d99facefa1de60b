"""What Discord refuses in a request body, rule by rule, each with the page and section of its documentation.

Pure functions over JSON bodies (as discord.py sends them), raising `Refused` with Discord's "Invalid Form
Body" shape; the routes turn it into a 400. The SimCord tests run the same rules over what the bot sent there
(tests/gate/conftest.py), so both worlds refuse what Discord would.
Pages are discord-api-docs' (github.com/discord/discord-api-docs, developers/...).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from .api import ApiError

DISCORD_EPOCH_MS = 1_420_070_400_000

# Resources/Message, Create Message, JSON/Form Params: content "up to 2000 characters"; the same in
# Resources/Webhook, Execute Webhook, and Edit Message.
CONTENT_MAX = 2000
# Resources/Message, Create Message, JSON/Form Params: nonce "(up to 25 characters)".
NONCE_MAX = 25
# Resources/Message, Create Message, JSON/Form Params: embeds "Up to 10 rich embeds (up to 6000 characters)".
EMBEDS_MAX = 10
# Resources/Message, Embed Object, Embed Limits (measured after trimming leading and trailing whitespace).
EMBED_TOTAL_MAX = 6000
EMBED_FIELDS_MAX = 25
EMBED_TEXT_MAX = {"title": 256, "description": 4096}
EMBED_FIELD_MAX = {"name": 256, "value": 1024}
EMBED_PART_MAX = {("footer", "text"): 2048, ("author", "name"): 256}
# Resources/Message, Allowed Mentions Object: roles and users "max 100"; `parse` is "mutually exclusive" with
# them (Allowed Mentions Examples: parse ["users"] with users [...] is "an invalid configuration").
MENTION_IDS_MAX = 100
# Components/Reference, Legacy Message Component Behavior: "Legacy messages allow up to 5 action rows".
ACTION_ROWS_MAX = 5
# Components/Reference, Action Row: "Up to 5 ... buttons" or "A single select component".
ROW_BUTTONS_MAX = 5
# Components/Reference, Anatomy of a Component / Button / String Select: custom_id "1-100 characters", button
# label "max 80 characters", url "max 512 characters", options "max 25", option label, value and description
# "max 100 characters", placeholder "max 150 characters", min_values and max_values "max 25"; custom_ids
# "must not share the same custom_id" on one message.
CUSTOM_ID_MAX = 100
BUTTON_LABEL_MAX = 80
BUTTON_URL_MAX = 512
SELECT_OPTIONS_MAX = 25
OPTION_TEXT_MAX = 100
PLACEHOLDER_MAX = 150
SELECT_VALUES_MAX = 25
# Resources/Channel, Start Thread in Forum or Media Channel, JSON/Form Params: name "1-100 character channel
# name" (Execute Webhook's thread_name makes the same thread).
THREAD_NAME_MAX = 100
# Resources/Message, Bulk Delete Messages: 2-100 ids; "will fail with a 400 BAD REQUEST if any message provided
# is older than [2 weeks] or if any duplicate message IDs are provided."
BULK_MIN, BULK_MAX = 2, 100
BULK_MAX_AGE = timedelta(weeks=2)
# Resources/Guild, Modify Guild Member, JSON Params: communication_disabled_until "(up to 28 days in the future)".
TIMEOUT_MAX = timedelta(days=28)

BUTTON, ACTION_ROW, STRING_SELECT = 2, 1, 3
SELECT_TYPES = frozenset({3, 5, 6, 7, 8})
LINK_STYLE, PREMIUM_STYLE = 5, 6


class Refused(ApiError):
    """Discord's 400 Invalid Form Body, naming the field and the rule it broke."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(400, 50035, f"Invalid Form Body: {field}: {rule}")
        self.field = field
        self.rule = rule


def _length(text: Any) -> int:
    return len(text.strip()) if isinstance(text, str) else 0


def check_message(body: Mapping[str, Any], *, where: str = "") -> None:
    """Raise Refused when a create/edit/execute message body breaks one of Discord's documented limits."""
    content = body.get("content")
    if isinstance(content, str) and len(content) > CONTENT_MAX:
        raise Refused(f"{where}content", f"Must be {CONTENT_MAX} or fewer in length (got {len(content)})")
    nonce = body.get("nonce")
    if isinstance(nonce, str) and len(nonce) > NONCE_MAX:
        raise Refused(f"{where}nonce", f"Must be {NONCE_MAX} or fewer in length (got {len(nonce)})")
    check_embeds(body.get("embeds") or [], where=where)
    check_allowed_mentions(body.get("allowed_mentions"), where=where)
    check_components(body.get("components") or [], where=where)


def check_embeds(embeds: list[Mapping[str, Any]], *, where: str = "") -> None:
    """Resources/Message, Embed Limits and Create Message's "Up to 10 rich embeds"."""
    if len(embeds) > EMBEDS_MAX:
        raise Refused(f"{where}embeds", f"Must be {EMBEDS_MAX} or fewer in length (got {len(embeds)})")
    total = 0
    for n, embed in enumerate(embeds):
        at = f"{where}embeds[{n}]"
        for key, limit in EMBED_TEXT_MAX.items():
            size = _length(embed.get(key))
            if size > limit:
                raise Refused(f"{at}.{key}", f"Must be {limit} or fewer in length (got {size})")
            total += size
        fields = embed.get("fields") or []
        if len(fields) > EMBED_FIELDS_MAX:
            raise Refused(f"{at}.fields", f"Must be {EMBED_FIELDS_MAX} or fewer in length (got {len(fields)})")
        for i, embed_field in enumerate(fields):
            for key, limit in EMBED_FIELD_MAX.items():
                size = _length(embed_field.get(key))
                if size > limit:
                    raise Refused(f"{at}.fields[{i}].{key}", f"Must be {limit} or fewer in length (got {size})")
                total += size
        for (part, key), limit in EMBED_PART_MAX.items():
            size = _length((embed.get(part) or {}).get(key))
            if size > limit:
                raise Refused(f"{at}.{part}.{key}", f"Must be {limit} or fewer in length (got {size})")
            total += size
    if total > EMBED_TOTAL_MAX:
        raise Refused(f"{where}embeds", f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX} (got {total})")


def check_allowed_mentions(allowed: Mapping[str, Any] | None, *, where: str = "") -> None:
    """Resources/Message, Allowed Mentions Object: parse excludes explicit ids of the same kind; at most 100 ids."""
    if not allowed:
        return
    parse = allowed.get("parse") or []
    for kind in ("users", "roles"):
        ids = allowed.get(kind) or []  # "a falsy value such as null or an empty array ... does not trigger" it
        if ids and kind in parse:
            raise Refused(f"{where}allowed_mentions", f'parse: ["{kind}"] and {kind}: [...] are mutually exclusive')
        if len(ids) > MENTION_IDS_MAX:
            raise Refused(f"{where}allowed_mentions.{kind}", f"Must be {MENTION_IDS_MAX} or fewer in length")


def check_components(rows: list[Mapping[str, Any]], *, where: str = "") -> None:
    """Components/Reference: legacy action rows, buttons and select menus within their documented limits."""
    if len(rows) > ACTION_ROWS_MAX:
        raise Refused(f"{where}components", f"Must be {ACTION_ROWS_MAX} or fewer in length (got {len(rows)})")
    custom_ids: set[str] = set()
    for r, row in enumerate(rows):
        at = f"{where}components[{r}]"
        if row.get("type") != ACTION_ROW:
            continue  # components v2 layouts: the bot sends none
        children = row.get("components") or []
        selects = [c for c in children if c.get("type") in SELECT_TYPES]
        if selects and len(children) > 1:
            raise Refused(f"{at}.components", "An action row holds a single select menu, alone")
        if len(children) > ROW_BUTTONS_MAX:
            raise Refused(f"{at}.components", f"Must be {ROW_BUTTONS_MAX} or fewer in length (got {len(children)})")
        for c, child in enumerate(children):
            _check_child(child, f"{at}.components[{c}]", custom_ids)


def _check_child(child: Mapping[str, Any], at: str, custom_ids: set[str]) -> None:
    custom_id = child.get("custom_id")
    needs_id = not (child.get("type") == BUTTON and child.get("style") in (LINK_STYLE, PREMIUM_STYLE))
    if needs_id:
        if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= CUSTOM_ID_MAX:
            raise Refused(f"{at}.custom_id", f"Must be between 1 and {CUSTOM_ID_MAX} in length")
        if custom_id in custom_ids:
            raise Refused(f"{at}.custom_id", "Component custom id cannot be duplicated")
        custom_ids.add(custom_id)
    if child.get("type") == BUTTON:
        label = child.get("label")
        if isinstance(label, str) and len(label) > BUTTON_LABEL_MAX:
            raise Refused(f"{at}.label", f"Must be {BUTTON_LABEL_MAX} or fewer in length (got {len(label)})")
        url = child.get("url")
        if isinstance(url, str) and len(url) > BUTTON_URL_MAX:
            raise Refused(f"{at}.url", f"Must be {BUTTON_URL_MAX} or fewer in length")
        return
    if child.get("type") not in SELECT_TYPES:
        return
    placeholder = child.get("placeholder")
    if isinstance(placeholder, str) and len(placeholder) > PLACEHOLDER_MAX:
        raise Refused(f"{at}.placeholder", f"Must be {PLACEHOLDER_MAX} or fewer in length")
    for key in ("min_values", "max_values"):
        value = child.get(key)
        if isinstance(value, int) and not 0 <= value <= SELECT_VALUES_MAX:
            raise Refused(f"{at}.{key}", f"Must be between 0 and {SELECT_VALUES_MAX}")
    if child.get("type") != STRING_SELECT:
        return
    options = child.get("options") or []
    if not 1 <= len(options) <= SELECT_OPTIONS_MAX:
        raise Refused(f"{at}.options", f"Must be between 1 and {SELECT_OPTIONS_MAX} in length (got {len(options)})")
    for o, option in enumerate(options):
        for key in ("label", "value", "description"):
            text = option.get(key)
            if isinstance(text, str) and len(text) > OPTION_TEXT_MAX:
                raise Refused(f"{at}.options[{o}].{key}", f"Must be {OPTION_TEXT_MAX} or fewer in length")
    values = [option.get("value") for option in options]
    if len(set(values)) != len(values):
        raise Refused(f"{at}.options", "Select option values must be unique")


def check_thread_name(name: Any, *, field: str = "name") -> None:
    """Resources/Channel, Start Thread in Forum or Media Channel: a 1-100 character name."""
    if isinstance(name, str) and not 1 <= len(name) <= THREAD_NAME_MAX:
        raise Refused(field, f"Must be between 1 and {THREAD_NAME_MAX} in length (got {len(name)})")


def check_bulk_delete(ids: Iterable[Any], now_ms: int) -> list[int]:
    """Resources/Message, Bulk Delete Messages: 2-100 distinct ids, none older than two weeks; the ids."""
    wanted = [int(m) for m in ids]
    if not BULK_MIN <= len(wanted) <= BULK_MAX:
        raise ApiError(400, 50016, "You must provide at least 2 and fewer than 100 messages to delete")
    if len(set(wanted)) != len(wanted):
        raise Refused("messages", "Duplicate message ids")
    oldest_ms = now_ms - int(BULK_MAX_AGE.total_seconds() * 1000)
    if any((m >> 22) + DISCORD_EPOCH_MS < oldest_ms for m in wanted):
        # Topics/Opcodes and Status Codes, JSON Error Codes: 50034 "A message provided was too old to bulk delete".
        raise ApiError(400, 50034, "A message provided was too old to bulk delete")
    return wanted


def check_timeout(until: Any, now_ms: int) -> None:
    """Resources/Guild, Modify Guild Member: communication_disabled_until at most 28 days in the future."""
    if until is None:
        return
    moment = datetime.fromisoformat(str(until))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    now = datetime.fromtimestamp(now_ms / 1000, tz=UTC)
    if moment - now > TIMEOUT_MAX:
        raise Refused("communication_disabled_until", "Must be at most 28 days in the future")


_MESSAGE_ROUTES = (
    ("POST", re.compile(r"/channels/\d+/messages")),
    ("PATCH", re.compile(r"/channels/\d+/messages/\d+")),
    ("POST", re.compile(r"/webhooks/\d+/[^/]+")),
    ("PATCH", re.compile(r"/webhooks/\d+/[^/]+/messages/(\d+|@original)")),
)


def check_request(method: str, path: str, body: Any, now_ms: int) -> None:
    """Every rule above that applies to one REST request (path without /api/vN); raises what Discord answers."""
    body = body if isinstance(body, Mapping) else {}
    if any(method == m and pattern.fullmatch(path) for m, pattern in _MESSAGE_ROUTES):
        check_message(body)
        if method == "POST" and path.startswith("/webhooks/"):
            check_thread_name(body.get("thread_name"), field="thread_name")
    elif method == "POST" and re.fullmatch(r"/interactions/\d+/[^/]+/callback", path):
        check_message(body.get("data") or {}, where="data.")
    elif method == "POST" and re.fullmatch(r"/channels/\d+/threads", path) and "message" in body:
        check_thread_name(body.get("name"))
        check_message(body.get("message") or {}, where="message.")
    elif method == "POST" and re.fullmatch(r"/channels/\d+/messages/bulk-delete", path):
        check_bulk_delete(body.get("messages") or [], now_ms)
    elif method == "PATCH" and re.fullmatch(r"/guilds/\d+/members/\d+", path):
        check_timeout(body.get("communication_disabled_until"), now_ms)
