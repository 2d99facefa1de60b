"""A pure stand-in for a guild and the store, applying plans the way Discord and the executor do."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from bot.mirror.model import ChannelKind, DisplayAs, ExistingChannel, ForumCategory, GuildView, MirrorRecord
from bot.mirror.plan import (
    Adopt,
    AdoptArchive,
    Archive,
    Create,
    CreateArchive,
    DesiredChannel,
    MirrorOptions,
    Plan,
    Reorder,
    Retire,
    Update,
    desired_tree,
    plan_mirror,
)

BASE = "https://forum.example/categories/"

DEFAULT_OPTIONS = MirrorOptions()


def cat(
    forum_id: int,
    name: str,
    *,
    parent: int | None = None,
    display: DisplayAs = DisplayAs.DISCUSSIONS,
    urlcode: str | None = None,
    description: str = "",
    order: int | None = None,
) -> ForumCategory:
    """A forum category with a URL code made from its name."""
    code = urlcode if urlcode is not None else name.lower().replace(" ", "-")
    return ForumCategory(
        forum_id,
        name,
        code,
        description,
        BASE + code,
        parent,
        display,
        forum_id if order is None else order,
    )


def heading(forum_id: int, name: str, **kw: object) -> ForumCategory:
    """A heading: a Discord category."""
    return cat(forum_id, name, display=DisplayAs.HEADING, **kw)  # type: ignore[arg-type]


@dataclass
class FakeGuild:
    """Channels and the mapping, changed by applying plans as the executor would."""

    channels: dict[int, ExistingChannel] = field(default_factory=dict)
    records: dict[int, MirrorRecord] = field(default_factory=dict)
    archive_id: int | None = None
    moderator_channel_id: int | None = None
    next_id: int = 1000
    calls: int = 0

    def add(
        self,
        name: str,
        kind: ChannelKind = ChannelKind.TEXT,
        *,
        parent: int | None = None,
        position: int = 0,
        topic: str = "",
    ) -> ExistingChannel:
        """A channel someone made by hand."""
        self.next_id += 1
        channel = ExistingChannel(self.next_id, name, kind, parent, position, topic)
        self.channels[channel.id] = channel
        return channel

    def view(self) -> GuildView:
        """What the planner is given."""
        return GuildView(tuple(self.channels.values()), self.moderator_channel_id, self.archive_id)

    def plan(self, categories: Sequence[ForumCategory], options: MirrorOptions = DEFAULT_OPTIONS) -> Plan:
        """Plan these categories against the current state."""
        moderator = self.channels.get(self.moderator_channel_id or 0)
        tree = desired_tree(categories, options, reserved_names=[moderator.name] if moderator else [])
        return plan_mirror(tree, list(self.records.values()), self.view(), options)

    def sync(self, categories: Sequence[ForumCategory], options: MirrorOptions = DEFAULT_OPTIONS) -> Plan:
        """Plan and apply; returns the plan applied."""
        plan = self.plan(categories, options)
        self.apply(plan)
        return plan

    def _parent_id(self, forum_id: int | None) -> int | None:
        if forum_id is None:
            return None
        return self.records[forum_id].channel_id

    def apply(self, plan: Plan) -> None:
        """Apply every item as the executor does (one call per action)."""
        for item in plan.bookkeeping:
            if isinstance(item, Adopt):
                self.records[item.forum_id] = MirrorRecord(item.forum_id, item.channel_id, item.kind)
            elif isinstance(item, AdoptArchive):
                self.archive_id = item.channel_id
            elif isinstance(item, Retire):
                self.records[item.forum_id] = replace(self.records[item.forum_id], archived=True)
        for action in plan.actions:
            self.calls += 1
            if isinstance(action, CreateArchive):
                self.archive_id = self.add(action.name, ChannelKind.CATEGORY, position=action.position).id
            elif isinstance(action, Create):
                made = self.add(
                    action.name,
                    action.kind,
                    parent=self._parent_id(action.parent_forum_id),
                    position=action.position,
                    topic=action.topic,
                )
                self.records[action.forum_id] = MirrorRecord(action.forum_id, made.id, action.kind)
            elif isinstance(action, Update):
                channel = self.channels[action.channel_id]
                if action.new_name is not None:
                    channel = replace(channel, name=action.new_name)
                if action.new_topic is not None:
                    channel = replace(channel, topic=action.new_topic)
                if action.move:
                    channel = replace(channel, parent_id=self._parent_id(action.parent_forum_id))
                self.channels[channel.id] = channel
                if action.restore:
                    self.records[action.forum_id] = replace(self.records[action.forum_id], archived=False)
            elif isinstance(action, Reorder):
                for placement in action.placements:
                    self.channels[placement.channel_id] = replace(
                        self.channels[placement.channel_id], position=placement.position
                    )
            elif isinstance(action, Archive):
                channel = self.channels[action.channel_id]
                if action.kind is not ChannelKind.CATEGORY:
                    channel = replace(channel, parent_id=self.archive_id)
                self.channels[channel.id] = channel
                self.records[action.forum_id] = MirrorRecord(action.forum_id, channel.id, action.kind, archived=True)

    def channel_for(self, forum_id: int) -> ExistingChannel:
        """The channel the mapping names for a forum category."""
        return self.channels[self.records[forum_id].channel_id]

    def siblings(self, parent_id: int | None, *, categories: bool) -> list[str]:
        """Names of the channels under a parent, in Discord's order (position, then id)."""
        found = [
            c
            for c in self.channels.values()
            if c.parent_id == parent_id and (c.kind is ChannelKind.CATEGORY) == categories
        ]
        return [c.name for c in sorted(found, key=lambda c: (c.position, c.id))]


def matches(guild: FakeGuild, desired: Sequence[DesiredChannel]) -> None:
    """Assert that the guild holds every desired channel as wanted, in the forum's order."""
    for want in desired:
        record = guild.records[want.forum_id]
        assert not record.archived
        channel = guild.channels[record.channel_id]
        assert (channel.name, channel.kind) == (want.name, want.kind)
        if want.kind is not ChannelKind.CATEGORY:
            assert channel.topic == want.topic
        assert channel.parent_id == guild._parent_id(want.parent_forum_id)
    groups: dict[tuple[int | None, bool], list[int]] = {}
    for want in desired:
        groups.setdefault((want.parent_forum_id, want.kind is ChannelKind.CATEGORY), []).append(want.forum_id)
    for members in groups.values():
        channels = [guild.channel_for(forum_id) for forum_id in members]
        assert sorted(channels, key=lambda c: (c.position, c.id)) == channels


# A small forum: two headings with their discussions, and one discussion at the top.
FORUM_TREE = [
    heading(1, "Back Pain and Neck Pain"),
    cat(10, "Lower Back Pain", parent=1, description="Lumbar pain."),
    cat(11, "Neck Pain", parent=1),
    heading(2, "Treatment"),
    cat(20, "Back Surgery and Neck Surgery", parent=2, description="Fusion, discectomy and recovery."),
    cat(21, "Injections", parent=2),
    cat(50, "Introductions"),
]
