"""The scripted scene, end to end: the real bot in SimCord, set up by its own commands; the transcript's key lines."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from bot.demo.runner import play
from bot.demo.scene import BLOG_LINK, RUTH_SAME_BLOG
from bot.demo.world import GUILD_NAME
from bot.gate.words import COMMON_REJECT_REASONS
from bot.mirror.model import ChannelKind
from bot.mirror.plan import MirrorOptions, desired_tree
from bot.mirror.source import load_forum_file
from bot.settings import DEFAULT_FORUM_FILE
from bot.welcome.service import shipped_text
from bot.welcome.words import moderators_name, render

MAYO = "https://www.mayoclinic.org/tests-procedures/spinal-fusion/about/pac-20384523"
EMAIL_REASON = "Please keep your email address to yourself: anyone can read it here."


SCENE = "#back-surgery-and-neck-surgery"


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


def mirrored_channels(forum_file: Path) -> int:
    """How many channels the mirror makes for a forum file (categories not counted)."""
    desired = desired_tree(load_forum_file(forum_file).categories, MirrorOptions())
    return sum(channel.kind is not ChannelKind.CATEGORY for channel in desired.channels)


async def test_the_admin_sets_the_server_up_with_setup_and_mirror_apply() -> None:
    lines = await transcript_of(DEFAULT_FORUM_FILE)
    assert "▶ Ada runs /setup role:@Moderators → #mod-queue created, role @Moderators" in lines
    [mirror] = [line for line in lines if line.startswith("▶ Ada runs /mirror apply")]
    assert re.fullmatch(
        r"▶ Ada runs /mirror apply → (\d+) channels created in \d+ categories, from data/forum.toml", mirror
    )
    assert f"→ {mirrored_channels(DEFAULT_FORUM_FILE)} channels created" in mirror
    # The set-up comes first, then the server as it now is, then the scene in a mirrored channel.
    assert lines.index(mirror) < lines.index("  Private: #mod-queue (only the Moderators role and the bot can see it)")
    assert f"The scene is played in {SCENE}; Maria reads #mod-queue." in lines
    # The moderator commands are shown to Manage Messages by default: Ada opens them to the moderator role.
    [opened] = [line for line in lines if line.startswith("▶ Ada opens ")]
    assert opened.endswith(" to @Moderators (Server Settings → Integrations)")
    for group in ("/queue", "/links", "/policy", "/member"):
        assert group in opened
    assert (
        lines.index(mirror)
        < lines.index(opened)
        < lines.index("── 1. Established members talk about exercises after a lumbar fusion")
    )


async def test_the_scene_tells_the_whole_story() -> None:
    lines = await transcript_of(DEFAULT_FORUM_FILE)
    # Established members talk, and their posts stay up.
    assert stays_up(lines, f"{SCENE}  Ruth: Six weeks since my L4/5 fusion")
    assert stays_up(lines, f"{SCENE}  Tom (reply to Ruth): Walking")
    # The new member's first reply is held: removed, carded, and she is told.
    assert after(lines, f"{SCENE}  Nora New (reply to Ruth): I'm two weeks out", f"removed from {SCENE}")
    assert f"      ✖ removed from {SCENE}: held for a moderator (card #1)" in lines
    assert (
        "#mod-queue  [card #1] Held for review — First post from a new member"
        "  [Approve] [Approve & trust member] [Reject]"
    ) in lines
    assert "DM → Nora New: Your message is waiting for a moderator." in lines
    # A blog link is held, a medical site blocked, an email address held.
    assert (
        "#mod-queue  [card #2] Held for review — Link to movewellphysio.blog"
        "  [Approve] [Approve & trust member] [Approve & allow domain] [Reject]"
    ) in lines
    assert f"      ✖ removed from {SCENE}: a link to a medical site (card #3)" in lines
    assert (
        "#mod-queue  [card #3] Removed: link to a medical site — Medical site: mayoclinic.org — not permitted"
        "  [Restore anyway]"
    ) in lines
    assert "DM → Tom: Your message was removed." in lines
    assert "#mod-queue  [card #4] Held for review — Email address  [Approve] [Approve & trust member] [Reject]" in lines
    # Maria approves the first reply: it comes back under Nora's name, as a reply to Ruth.
    assert "▶ Maria clicks [Approve] on card #1" in lines
    assert f"#mod-queue  ✔ Maria approved #1 → reposted in {SCENE} as Nora New" in lines
    assert any(line.startswith(f"{SCENE}  Nora New (repost, reply to Ruth): I'm two weeks out") for line in lines)
    assert "DM → Nora New: Good news: a moderator approved your message and it is now published." in lines
    # Approved once, she is established: her next post stays up.
    assert stays_up(lines, f"{SCENE}  Nora New: Thank you both, that helps a lot. Walking it is!")
    # The blog is approved and its domain allowed: the next link to it stays up.
    assert f"#mod-queue  ✔ Maria approved #2 and allowed movewellphysio.blog → reposted in {SCENE} as Tom" in lines
    assert any(line.startswith(f"{SCENE}  Tom (repost): This physio's blog") for line in lines)
    assert stays_up(lines, f"{SCENE}  Ruth: Their page on sleeping positions")
    # The email post is rejected with a reason; Tom gets the reason and his text back.
    assert EMAIL_REASON in COMMON_REJECT_REASONS
    assert "#mod-queue  (only Maria sees) Forum Bridge: Why reject item #4? The author will read this reason." in lines
    assert f'#mod-queue  ✖ Maria rejected #4: "{EMAIL_REASON}"' in lines
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


MOD_QUEUE = "#mod-queue  "
CARD = re.compile(r"^#mod-queue  \[card #(\d+)\] Held for review")
DECIDED = re.compile(r"^#mod-queue  [✔✖] Maria (?:approved|rejected) #(\d+)")


def reply_to(lines: list[str], command: str) -> tuple[str, list[str]]:
    """The first line of the reply to the first `▶ Maria runs <command>`, and the reply's lines, unindented."""
    start = next(index for index, line in enumerate(lines) if line.startswith(f"▶ Maria runs {command}"))
    index = start + 1
    while lines[index].startswith(" "):  # the command's own wrapped line
        index += 1
    first = lines[index]
    body = [first]
    for line in lines[index + 1 :]:
        if not line.startswith(" ") or line.strip().startswith(("✖", "⚠")):
            break
        body.append(line.strip())
    return first, body


def held_cards_before(lines: list[str], end: int) -> dict[int, str]:
    """The held cards printed before line `end` that no moderator had decided yet, with their authors."""
    cards: dict[int, str] = {}
    for index, line in enumerate(lines[:end]):
        if card := CARD.match(line):
            cards[int(card.group(1))] = lines[index + 1].strip().split(" in #", 1)[0]
        elif decided := DECIDED.match(line):
            cards.pop(int(decided.group(1)), None)
    return cards


async def test_nora_joins_during_the_scene_and_is_welcomed_by_dm() -> None:
    lines = await transcript_of(DEFAULT_FORUM_FILE)
    joined = lines.index("▶ Nora New joins the server")
    assert (
        lines.index("People: Ada (admin) · Maria (moderator) · Ruth and Tom (established members) · Nora New (a new")
        < joined
    )
    welcome = render(shipped_text(), member="Nora New", server=GUILD_NAME, moderators=moderators_name("Moderators"))
    first_line = welcome.replace("**", "").splitlines()[0]
    assert lines[joined + 1] == f"DM → Nora New: {first_line}"
    # The welcome is long: its first lines, then how much more it says.
    rest = sum(1 for line in welcome.splitlines() if line.strip()) - 4
    assert rest > 0
    assert f"      … ({rest} more lines)" in lines[joined + 2 : joined + 6]
    # Nothing was said to her before she joined, and her first post comes after the welcome.
    assert not any(line.startswith("DM → Nora New") for line in lines[:joined])
    assert after(lines, "▶ Nora New joins the server", f"{SCENE}  Nora New (reply to Ruth): I'm two weeks out")


async def test_maria_lists_the_queue_then_checks_the_blog_link_before_deciding() -> None:
    lines = await transcript_of(DEFAULT_FORUM_FILE)
    listed = lines.index("▶ Maria runs /queue list")
    first, body = reply_to(lines, "/queue list")
    waiting = held_cards_before(lines, listed)
    assert len(waiting) >= 3
    # In the moderator channel the list is for the whole team, not only Maria.
    assert first == f"{MOD_QUEUE}Forum Bridge: Review queue: {len(waiting)} waiting"
    assert [line.split(" · ")[0] for line in body[1:]] == [f"#{card} {author}" for card, author in waiting.items()]
    # The blog link's class and its fate, before Maria approves it and allows its domain.
    first, body = reply_to(lines, "/links check")
    assert f"▶ Maria runs /links check url:{BLOG_LINK}" in lines
    assert first.startswith(f"{MOD_QUEUE}(only Maria sees) Forum Bridge: {BLOG_LINK} →")
    said = " ".join(body)
    assert "movewellphysio.blog: external" in said
    assert "would be held" in said
    assert after(lines, f"▶ Maria runs /links check url:{BLOG_LINK}", "▶ Maria clicks [Approve & allow domain]")


async def test_maria_tests_ruths_message_after_allowing_the_domain_and_it_passes() -> None:
    lines = await transcript_of(DEFAULT_FORUM_FILE)
    first, body = reply_to(lines, "/policy test")
    assert after(lines, "Maria approved #2 and allowed movewellphysio.blog", "▶ Maria runs /policy test")
    assert first.startswith(f"{MOD_QUEUE}(only Maria sees) Forum Bridge: As @Ruth would get it, this message would")
    said = " ".join(body)
    assert "would be allowed: published at once." in said
    assert "movewellphysio.blog: allowed" in said
    assert "nothing was posted or stored" in said
    # What the test said is what happened: Ruth posts that very text, and it stays up.
    posted = f"{SCENE}  Ruth: {RUTH_SAME_BLOG.split(' https://')[0]}"
    assert after(lines, "▶ Maria runs /policy test", posted)
    assert stays_up(lines, posted)


async def test_maria_reads_noras_record_after_the_decisions() -> None:
    lines = await transcript_of(DEFAULT_FORUM_FILE)
    asked = next(index for index, line in enumerate(lines) if line.startswith("▶ Maria runs /member info"))
    assert lines[asked] == "▶ Maria runs /member info member:@Nora New"
    first, body = reply_to(lines, "/member info")
    assert first == f"{MOD_QUEUE}(only Maria sees) Forum Bridge: @Nora New"
    # Her cards and their decisions, as the transcript showed them.
    hers = [
        int(card.group(1))
        for i, line in enumerate(lines[:asked])
        if (card := CARD.match(line)) and lines[i + 1].strip().startswith("Nora New in")
    ]
    approved = [
        card for card in hers if f"{MOD_QUEUE}✔ Maria approved #{card} → reposted in {SCENE} as Nora New" in lines
    ]
    pending = held_cards_before(lines, asked)
    assert approved
    assert set(hers) - set(approved)  # one still waits
    assert f"Approved posts: {len(approved)} · held: {len(hers)} · rejected: 0" in body
    for card in hers:
        state = "pending" if card in pending else "approved by Maria"
        assert any(line.startswith(f"• #{card} {state} (") for line in body), (card, body)


SMALL_FORUM = """
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
name = "Lumbar Fusion"
urlcode = "Lumbar-Fusion"
parent = 7
description = "Before and after a fusion"

[[category]]
id = 9
name = "Arthritis"
urlcode = "arthritis"
"""


async def test_the_mirror_makes_the_channels_from_the_forum_file_and_the_scene_follows(tmp_path: Path) -> None:
    forum_file = tmp_path / "forum.toml"
    forum_file.write_text(SMALL_FORUM, encoding="utf-8")
    lines = await transcript_of(forum_file)
    assert f"▶ Ada runs /mirror apply → 2 channels created in 1 category, from {forum_file}" in lines
    assert "  Spine Surgery: #lumbar-fusion" in lines
    assert "  No category: #arthritis" in lines
    assert "The scene is played in #lumbar-fusion; Maria reads #mod-queue." in lines
    assert "#mod-queue  ✔ Maria approved #1 → reposted in #lumbar-fusion as Nora New" in lines


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "no such file"),
        (SMALL_FORUM.replace('urlcode = "arthritis"', 'urlcode = "arthritis"\ncolour = "red"'), "colour"),
    ],
)
async def test_an_unreadable_forum_file_stops_the_demo_with_the_mirrors_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, reason: str
) -> None:
    forum_file = tmp_path / "forum.toml"
    if content is not None:
        forum_file.write_text(content, encoding="utf-8")
    out = io.StringIO()
    assert await play(out, forum_file=forum_file) == 1
    err = capsys.readouterr().err
    assert "error: the demo cannot play: /mirror apply made no channel" in err
    assert "I could not read the forum's categories, so nothing was changed" in err
    assert reason in err
    assert "── 1." not in out.getvalue()  # no scene without channels


@pytest.fixture
def readme_excerpt() -> list[str]:
    """The transcript excerpt in the README's "Try it" section."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Try it", 1)[1]
    return section.split("```text\n", 1)[1].split("```", 1)[0].splitlines()


async def test_the_readmes_excerpt_is_what_the_demo_prints(readme_excerpt: list[str]) -> None:
    lines = await transcript_of(DEFAULT_FORUM_FILE)  # what `make demo` shows
    # Each run of lines between "…" is printed as it stands, and the runs come in the README's order.
    runs: list[list[str]] = [[]]
    for line in readme_excerpt:
        if line == "…":
            runs.append([])
        else:
            runs[-1].append(line)
    assert len([run for run in runs if run]) >= 3
    start = 0
    for run in filter(None, runs):
        found = next((i for i in range(start, len(lines)) if lines[i : i + len(run)] == run), None)
        assert found is not None, "not printed as in the README, in this order:\n" + "\n".join(run)
        start = found + len(run)
