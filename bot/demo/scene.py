"""The scripted scene: members talk, the bot holds and blocks, a moderator decides."""

from __future__ import annotations

from typing import Any

import discord
from simcord import ChannelHandle, MemberActor

from bot.demo.transcript import Transcript
from bot.demo.world import DemoWorld
from bot.gate.words import COMMON_REJECT_REASONS

EMAIL_REASON = next(index for index, reason in enumerate(COMMON_REJECT_REASONS) if "email" in reason)

# What each person says, in the order they say it.
RUTH_ASKS = (
    "Six weeks since my L4/5 fusion. My physio has me doing pelvic tilts, heel slides and two short walks a day. "
    "What did everyone else start with?"
)
TOM_ANSWERS = (
    "Walking, walking, walking! I started with five minutes twice a day and added a minute each day. "
    "No bending, lifting or twisting for the first three months."
)
NORA_FIRST = (
    "I'm two weeks out from an L5/S1 fusion and scared to move at all. "
    "Is it normal to still be this stiff in the mornings?"
)
BLOG_LINK = "https://movewellphysio.blog/after-spinal-fusion"
TOM_BLOG = f"This physio's blog has a good week-by-week plan after a fusion: {BLOG_LINK}"
TOM_MEDICAL = (
    "And the Mayo Clinic page on recovery: https://www.mayoclinic.org/tests-procedures/spinal-fusion/about/pac-20384523"
)
TOM_EMAIL = "Nora, I'm happy to send you my exercise sheet: tom.walker@gmail.com"
NORA_THANKS = "Thank you both, that helps a lot. Walking it is!"
RUTH_SAME_BLOG = "Their page on sleeping positions helped me too: https://movewellphysio.blog/sleeping-after-surgery"
RUTH_WAITING = (
    "For anyone near Leeds: our hydrotherapy group meets on Tuesdays, details at leedshydrotherapy.org.uk/fusion"
)
NORA_WAITING = "My surgeon's leaflet about the first six weeks: bit.ly/fusion-first-weeks"


class Scene:
    """Acts as the members and the moderator, and narrates what they do."""

    def __init__(self, world: DemoWorld, transcript: Transcript) -> None:
        self.world = world
        self.transcript = transcript

    async def post(self, member: MemberActor, text: str, *, reply_to: discord.Message | None = None) -> discord.Message:
        """A member posts in the scene's channel; the transcript shows it, then what the bot did."""
        channel: ChannelHandle = self.world.scene_channel
        message = await member.send(channel, text, reply_to=reply_to)
        self.transcript.posted(message)
        await self.transcript.flush()
        return message

    async def item_of(self, message: discord.Message) -> int:
        """The held item a message became."""
        item = await self.world.bot.store.items.by_message(message.id)
        if item is None:
            raise LookupError(f"message {message.id} was not held")
        return item.id

    async def command(self, actor: MemberActor, name: str, /, **options: Any) -> None:
        """A moderator runs a slash command in the moderator channel; the transcript shows its reply."""
        shown = " ".join(f"{option}:{self._option(value)}" for option, value in options.items())
        self.transcript.block(f"▶ {self.world.name(actor)} runs ", f"/{name} {shown}".rstrip())
        result = await actor.slash(self.world.mod_channel, name, **options)
        if result.response is None:
            raise LookupError(f"/{name} did not reply")
        await self.transcript.flush()

    def _option(self, value: Any) -> str:
        if isinstance(value, MemberActor):
            return f"@{self.world.name(value)}"
        text = str(value)
        return f'"{text}"' if " " in text else text

    async def click(self, item_id: int, label: str) -> None:
        """Maria clicks a button on a card."""
        self.transcript.say(f"▶ {self.world.name(self.world.maria)} clicks [{label}] on card #{item_id}")
        await self.world.maria.click(self.transcript.card(item_id), label=label)
        await self.transcript.flush()

    async def reject(self, item_id: int, reason_index: int) -> None:
        """Maria clicks Reject, then picks one of the common reasons."""
        maria = self.world.maria
        self.transcript.say(f"▶ {self.world.name(maria)} clicks [Reject] on card #{item_id}")
        picker = await maria.click(self.transcript.card(item_id), label="Reject")
        await self.transcript.flush()
        if picker.response is None:
            raise LookupError(f"no reason picker for item #{item_id}")
        reason = COMMON_REJECT_REASONS[reason_index]
        self.transcript.say(f'▶ {self.world.name(maria)} picks the reason "{reason}"')
        await maria.select(picker.response, [str(reason_index)])
        await self.transcript.flush()

    async def play(self) -> list[int]:
        """Play the whole scene; return the items left for a moderator."""
        world, say, heading = self.world, self.transcript.say, self.transcript.heading
        heading("1. Established members talk about exercises after a lumbar fusion")
        question = await self.post(world.ruth, RUTH_ASKS)
        await self.post(world.tom, TOM_ANSWERS, reply_to=question)
        say("   (Ruth and Tom are established members: their posts stay up)")

        heading("2. A new member joins; her first reply waits for a moderator")
        say(f"▶ {world.name(world.newcomer)} joins the server")
        await world.nora_joins()
        await self.transcript.flush()
        first = await self.post(world.nora, NORA_FIRST, reply_to=question)

        heading("3. A link to a blog, a link to a medical site, an email address")
        blog = await self.post(world.tom, TOM_BLOG)
        await self.post(world.tom, TOM_MEDICAL)
        email = await self.post(world.tom, TOM_EMAIL)

        maria = world.maria
        heading(f"4. {world.name(maria)}, a moderator, decides")
        await self.command(maria, "queue list")
        await self.command(maria, "links check", url=BLOG_LINK)
        await self.click(await self.item_of(first), "Approve")
        say(f"   ({world.name(world.nora)} has an approved post now, so her next one goes straight up)")
        await self.post(world.nora, NORA_THANKS)
        await self.click(await self.item_of(blog), "Approve & allow domain")
        say("   (the blog's domain is allowed now: what would happen to Ruth's link to it?)")
        await self.command(maria, "policy test", text=RUTH_SAME_BLOG, member=world.ruth)
        await self.post(world.ruth, RUTH_SAME_BLOG)
        await self.reject(await self.item_of(email), EMAIL_REASON)

        heading("5. Two more posts wait for a moderator")
        await self.post(world.ruth, RUTH_WAITING)
        await self.post(world.nora, NORA_WAITING)
        say(f"   ({world.name(maria)} looks up what the community knows of {world.name(world.nora)} so far)")
        await self.command(maria, "member info", member=world.nora)
        return self.transcript.open_cards()
