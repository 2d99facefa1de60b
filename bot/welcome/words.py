"""The welcome text (pure): placeholders filled in, kept within one Discord message."""

from __future__ import annotations

from bot.text import MESSAGE_LIMIT, clip

# A stored text leaves room for names filled into its placeholders.
MAX_TEXT_LENGTH = 1800
PLACEHOLDERS = ("{member}", "{server}", "{moderators}")


def render(template: str, *, member: str, server: str, moderators: str) -> str:
    """The template with {member}, {server} and {moderators} filled in; other braces are left as they are."""
    # str.replace, not str.format: an admin's text may contain braces of its own.
    text = template.replace("{member}", member).replace("{server}", server).replace("{moderators}", moderators)
    return clip(text, MESSAGE_LIMIT)


def text_from_option(raw: str) -> str:
    """A slash-command option's text: Discord's single-line box, so a typed \\n starts a new line."""
    return raw.replace("\\n", "\n").strip()


def text_problem(text: str) -> str | None:
    """Why this welcome text cannot be stored, or None when it can."""
    if not text:
        return "The welcome text is empty. Write the text, or use `default_text:True` to go back to the shipped one."
    if len(text) > MAX_TEXT_LENGTH:
        return f"The welcome text is {len(text)} characters long; the most is {MAX_TEXT_LENGTH}."
    return None


def moderators_name(role_name: str | None) -> str:
    """How the welcome names the moderators: the role's name as plain text (a DM cannot show a role mention)."""
    return f"@{role_name}" if role_name else "a moderator"
