"""How much of a held message's files the bot keeps, and which of them a card or a repost can carry (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MIB = 1024 * 1024
# discord-api-docs, Reference, "Uploading Files": each file is capped by the server's boost tier (10 MiB by
# default, discord.py's `Guild.filesize_limit`); Resources/Message, Create Message, Limitations: "The maximum
# request size when sending a message is 25 MiB". A Nitro member may attach far more than a bot may upload.
REQUEST_LIMIT = 25 * MIB
# The files of one message the bot keeps, and sends on one card or repost, add up to at most this: the rest
# of the request is left for the card's embed, its full-text file and the multipart framing.
FILES_BUDGET = 24 * MIB
FILES_PER_MESSAGE = 10  # Discord takes at most 10 files on one message


@dataclass(frozen=True, slots=True)
class FileSize:
    """What the plans need of a file: its size, and whether its bytes are in the store."""

    size: int
    kept: bool = True


def keep_plan(sizes: Sequence[int], upload_limit: int) -> list[bool]:
    """For each file of a new message, in order: True when its bytes are downloaded and stored."""
    per_file = min(upload_limit, FILES_BUDGET)
    plan: list[bool] = []
    total = 0
    for size in sizes:
        keep = size <= per_file and total + size <= FILES_BUDGET and plan.count(True) < FILES_PER_MESSAGE
        if keep:
            total += size
        plan.append(keep)
    return plan


def send_plan(files: Sequence[FileSize], upload_limit: int, *, slots: int = FILES_PER_MESSAGE) -> list[bool]:
    """For each stored file: True when one request (a card, a repost) can carry it under the server's limit now."""
    # The server may have lost boosts since the files were kept: the limit is the one that holds today.
    per_file = min(upload_limit, FILES_BUDGET)
    plan: list[bool] = []
    total = 0
    for file in files:
        fits = file.kept and file.size <= per_file and total + file.size <= FILES_BUDGET and slots > 0
        if fits:
            total += file.size
            slots -= 1
        plan.append(fits)
    return plan


def mib(size: int) -> str:
    """A size as people read it: "9.5 MiB", "120 KiB"."""
    if size >= MIB:
        return f"{size / MIB:.1f} MiB"
    return f"{max(1, round(size / 1024))} KiB"
