"""The rules' vocabulary (pure): what to do with a message, why, and what kind of site a link points to."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    """What to do with a message; ordered by severity."""

    ALLOW = "allow"
    HOLD = "hold"
    BLOCK = "block"

    @property
    def severity(self) -> int:
        """0 for allow, 1 for hold, 2 for block."""
        return _SEVERITY[self]


_SEVERITY = {Action.ALLOW: 0, Action.HOLD: 1, Action.BLOCK: 2}


class Reason(StrEnum):
    """Why a message is held or blocked: a public, stable vocabulary."""

    NEW_MEMBER = "new_member"
    EXTERNAL_LINK = "external_link"
    MEDICAL_SITE = "medical_site"
    SHORTENED_LINK = "shortened_link"
    INVITE = "invite"
    EMAIL = "email"


# Reasons are always reported in this order, whatever order the text found them in.
REASON_ORDER: tuple[Reason, ...] = tuple(Reason)


class LinkClass(StrEnum):
    """What kind of site a link points to, judged by its registrable domain."""

    INTERNAL = "internal"
    ALLOWED = "allowed"
    MEDICAL = "medical"
    SHORTENER = "shortener"
    INVITE = "invite"
    EXTERNAL = "external"
