"""The scripted scene, end to end: the real bot in SimCord, its transcript's key lines."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.demo.forum import FORUM_FILE
from bot.demo.runner import play
from bot.gate.words import COMMON_REJECT_REASONS

MAYO = "https://www.mayoclinic.org/tests-procedures/spinal-fusion/about/pac-20384523"
EMAIL_REASON = "Please keep your email address to yourself: anyone can read it here."


@pytest.fixture(scope="module")
def no_forum_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A forum file that does not exist: the built-in category list is used."""
    return tmp_path_factory.mktemp("demo") / "forum.toml"


async def transcript_of(forum_file: Path) -> list[str]:
    out = io.StringIO()
    status = await play(out, forum_file=forum_file)
    assert status == 0
    return out.getvalue().splitlines()


def stays_up(lines: list[str], posted: str) -> bool:
    """The message on the line starting with `posted` was not removed by the bot."""
    start = next(index for index, line in enumerate(lines) if line.startswith(posted))
    for line in lines[start + 1 :]:
        if not line.startswith(" "):
            return True  # the next thing anyone saw
        if "✖ removed" in line:
            return False
    return True


def after(lines: list[str], first: str, then: str) -> bool:
    """`then` appears on a line after the first line that contains `first`."""
    start = next(index for index, line in enumerate(lines) if first in line)
    return any(then in line for line in lines[start + 1 :])


async def test_the_scene_tells_the_whole_story(no_forum_file: Path) -> None:
    lines = await transcript_of(no_forum_file)
    text = "\n".join(lines)
    assert "the built-in category list (" in text
    # Established members talk, and their posts stay up.
    assert stays_up(lines, "#lumbar-fusion  Ruth: Six weeks since my L4/5 fusion")
    assert stays_up(lines, "#lumbar-fusion  Tom (reply to Ruth): Walking")
    # The new member's first reply is held: removed, carded, and she is told.
    assert after(lines, "#lumbar-fusion  Nora New (reply to Ruth): I'm two weeks out", "removed from #lumbar-fusion")
    assert "      ✖ removed from #lumbar-fusion: held for a moderator (card #1)" in lines
    assert (
        "#moderators  [card #1] Held for review — First post from a new member"
        "  [Approve] [Approve & trust member] [Reject]"
    ) in lines
    assert "DM → Nora New: Your message is waiting for a moderator." in lines
    # A blog link is held, a medical site blocked, an email address held.
    assert (
        "#moderators  [card #2] Held for review — Link to movewellphysio.blog"
        "  [Approve] [Approve & trust member] [Approve & allow domain] [Reject]"
    ) in lines
    assert "      ✖ removed from #lumbar-fusion: a link to a medical site (card #3)" in lines
    assert (
        "#moderators  [card #3] Removed: link to a medical site — Medical site: mayoclinic.org — not permitted"
        "  [Restore anyway]"
    ) in lines
    assert "DM → Tom: Your message was removed." in lines
    assert (
        "#moderators  [card #4] Held for review — Email address  [Approve] [Approve & trust member] [Reject]" in lines
    )
    # Maria approves the first reply: it comes back under Nora's name, as a reply to Ruth.
    assert "▶ Maria clicks [Approve] on card #1" in lines
    assert "#moderators  ✔ Maria approved #1 → reposted in #lumbar-fusion as Nora New" in lines
    assert any(line.startswith("#lumbar-fusion  Nora New (repost, reply to Ruth): I'm two weeks out") for line in lines)
    assert "DM → Nora New: Good news: a moderator approved your message and it is now published." in lines
    # Approved once, she is established: her next post stays up.
    assert stays_up(lines, "#lumbar-fusion  Nora New: Thank you both, that helps a lot. Walking it is!")
    # The blog is approved and its domain allowed: the next link to it stays up.
    assert (
        "#moderators  ✔ Maria approved #2 and allowed movewellphysio.blog → reposted in #lumbar-fusion as Tom" in lines
    )
    assert any(line.startswith("#lumbar-fusion  Tom (repost): This physio's blog") for line in lines)
    assert stays_up(lines, "#lumbar-fusion  Ruth: Their page on sleeping positions")
    # The email post is rejected with a reason; Tom gets the reason and his text back.
    assert EMAIL_REASON in COMMON_REJECT_REASONS
    assert "#moderators  (only Maria sees) Forum Bridge: Why reject item #4? The author will read this reason." in lines
    assert f'#moderators  ✖ Maria rejected #4: "{EMAIL_REASON}"' in lines
    assert after(lines, "DM → Tom: A moderator decided not to publish your message.", f"Reason: {EMAIL_REASON}")
    assert after(
        lines, f"Reason: {EMAIL_REASON}", "> Nora, I'm happy to send you my exercise sheet: tom.walker@gmail.com"
    )
    # Nothing posted by the bot under a member's name was ever a medical link.
    assert not any("(repost)" in line and MAYO in line for line in lines)
    # What is left for a moderator, and how to decide it.
    assert "Waiting for a moderator: card #5, card #6." in lines
    assert "Removed, and can still be restored: card #3." in lines
    assert lines[-1] == "Decide them yourself in a browser: make demo ARGS=--interactive"


async def test_the_channels_come_from_the_forum_file_when_there_is_one(tmp_path: Path) -> None:
    forum_file = tmp_path / "forum.toml"
    forum_file.write_text(
        """
[forum]
name = "Spine-health"
base_url = "https://www.spine-health.com/forum"

[[category]]
id = 7
name = "Spine Surgery"
urlcode = "spine-surgery"
display_as = "heading"

[[category]]
id = 71
name = "Back Surgery and Neck Surgery"
urlcode = "Back-Surgery-and-Neck-Surgery"
parent = 7
description = "Surgery questions"

[[category]]
id = 9
name = "Arthritis"
urlcode = "arthritis"
""",
        encoding="utf-8",
    )
    lines = await transcript_of(forum_file)
    assert f"its channels made from {forum_file}:" in "\n".join(lines)
    assert "  Spine Surgery: #back-surgery-and-neck-surgery" in lines
    assert "  No category: #arthritis" in lines
    assert "#moderators  ✔ Maria approved #1 → reposted in #back-surgery-and-neck-surgery as Nora New" in lines


@pytest.fixture
def readme_excerpt() -> list[str]:
    """The transcript excerpt in the README's "Try it" section."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Try it", 1)[1]
    return section.split("```text\n", 1)[1].split("```", 1)[0].splitlines()


async def test_the_readmes_excerpt_is_what_the_demo_prints(readme_excerpt: list[str]) -> None:
    excerpt = readme_excerpt
    lines = await transcript_of(FORUM_FILE)  # what `make demo` shows
    assert [line for line in excerpt if line != "…" and line not in lines] == []
