"""What a mirror plan is made of: bookkeeping and actions (one Discord call each), and what became of them."""

from __future__ import annotations

from dataclasses import dataclass

from bot.mirror.model import ChannelKind
from bot.mirror.tree import DesiredChannel

# --- the plan --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Adopt:
    """Record an existing channel with the right name as the category's (no Discord call)."""

    forum_id: int
    channel_id: int
    kind: ChannelKind
    name: str


@dataclass(frozen=True, slots=True)
class AdoptArchive:
    """Record an existing category named like the archive as the archive (no Discord call)."""

    channel_id: int
    name: str


@dataclass(frozen=True, slots=True)
class Retire:
    """Mark a mapping archived whose category left the forum and whose channel is gone (no call)."""

    forum_id: int
    channel_id: int
    kind: ChannelKind


Bookkeeping = Adopt | AdoptArchive | Retire


@dataclass(frozen=True, slots=True)
class CreateArchive:
    """Create the Discord category that archived channels move to."""

    name: str
    position: int


@dataclass(frozen=True, slots=True)
class Create:
    """Create a Discord category or channel for a forum category."""

    forum_id: int
    kind: ChannelKind
    name: str
    topic: str
    parent_forum_id: int | None
    position: int
    replaces: int | None = None  # the channel the mapping named, deleted by hand


@dataclass(frozen=True, slots=True)
class Update:
    """Rename, set the topic of, move and/or restore one channel, in one edit.

    One edit, not one each: Discord allows two name or topic changes per channel every ten
    minutes, so a forum rename (name, urlcode and link all change) must be a single call.
    """

    forum_id: int
    channel_id: int
    kind: ChannelKind
    name: str  # as it is now
    new_name: str | None = None
    new_topic: str | None = None
    move: bool = False
    parent_forum_id: int | None = None  # where it moves to (None: the top), when move is set
    restore: bool = False  # back from the archive: members may write again


@dataclass(frozen=True, slots=True)
class Placement:
    """A channel's new position among its siblings."""

    forum_id: int
    channel_id: int
    name: str
    position: int


@dataclass(frozen=True, slots=True)
class Reorder:
    """Set the positions of some siblings, in one call, so they follow the forum's order."""

    parent_forum_id: int | None
    categories: bool  # the top-level categories, rather than channels
    placements: tuple[Placement, ...]


@dataclass(frozen=True, slots=True)
class Archive:
    """Move a channel to the archive and make it read-only for members (a category: read-only)."""

    forum_id: int
    channel_id: int
    kind: ChannelKind
    name: str


Action = CreateArchive | Create | Update | Reorder | Archive


@dataclass(frozen=True, slots=True)
class Plan:
    """What to do, in order: bookkeeping (no calls) first, then actions (one Discord call each)."""

    bookkeeping: tuple[Bookkeeping, ...]
    actions: tuple[Action, ...]
    warnings: tuple[str, ...] = ()
    desired: tuple[DesiredChannel, ...] = ()

    @property
    def changes(self) -> int:
        """How many Discord calls applying the plan makes."""
        return len(self.actions)

    @property
    def is_empty(self) -> bool:
        """True when Discord and the mapping already match the forum."""
        return not self.actions and not self.bookkeeping


# --- outcomes --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What became of one action: done, or why not."""

    action: Action
    ok: bool
    detail: str = ""
    called: bool = True  # False when the action was skipped before any call (its parent failed)


@dataclass(frozen=True, slots=True)
class ApplyReport:
    """Every action's outcome, in order, and the bookkeeping recorded without calls."""

    results: tuple[ActionResult, ...]
    bookkeeping: tuple[Bookkeeping, ...] = ()

    @property
    def done(self) -> int:
        """Actions Discord carried out."""
        return sum(result.ok for result in self.results)

    @property
    def failed(self) -> tuple[ActionResult, ...]:
        """Actions that failed or were skipped."""
        return tuple(result for result in self.results if not result.ok)

    @property
    def calls(self) -> int:
        """Discord calls made (one per action that got as far as calling)."""
        return sum(result.called for result in self.results)
