"""The admin and moderator commands answer Discord before they read the store (its 3-second deadline)."""

from __future__ import annotations

import pytest

from tests.admin.conftest import Server
from tests.deadline import answered_before_the_database


@pytest.mark.parametrize(
    ("actor_name", "command", "options"),
    [
        ("mod", "member info", {"member": "newbie"}),
        ("mod", "member trust", {"member": "newbie"}),
        ("mod", "links list", {}),
        ("mod", "links allow", {"domain": "backblog.net"}),
        ("mod", "policy show", {}),
        ("admin", "policy-admin set", {"new_member_posts": 2}),
    ],
)
async def test_commands_answer_privately_before_reading_the_store(
    server: Server, actor_name: str, command: str, options: dict[str, str | int]
) -> None:
    actor = getattr(server, actor_name)
    resolved = {key: getattr(server, value) if key == "member" else value for key, value in options.items()}
    result = await answered_before_the_database(
        server.env, server.store, lambda: actor.slash(server.general, command, **resolved), ephemeral=True
    )
    assert result.ephemeral
    assert result.response.content
