"""The gate's wording that depends on what happened (pure: no Discord)."""

from __future__ import annotations

import pytest

from bot.gate.words import publish_problem


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (None, "queued and will be published shortly"),
        ("403 Missing Permissions", "check my Manage Webhooks permission"),
        ("the channel is gone", "its channel or thread is gone"),
        ("404 Unknown Channel", "its channel or thread is gone"),
        ("400 A tag is required to create a forum post in this channel", "Discord answered 400 A tag is required"),
    ],
)
def test_why_an_approved_message_is_not_published_names_what_went_wrong(error: str | None, says: str) -> None:
    assert says in publish_problem(error)


def test_only_a_permission_refusal_blames_the_permission() -> None:
    # The card blamed Manage Webhooks for every failure (a required forum tag, a deleted channel…).
    assert "Manage Webhooks" not in publish_problem("400 A tag is required to create a forum post in this channel")
    assert "Manage Webhooks" not in publish_problem("the channel is gone")


def test_a_long_discord_answer_is_clipped() -> None:
    assert len(publish_problem("400 " + "x" * 2000)) < 400
