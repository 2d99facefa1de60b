"""Transitional: the store's old flat method names and where they went (issue #12).

``Store`` resolves these at run time only, so code written against the old names keeps working until
the renames are applied to it; mypy sees the new names only. Delete this module once nothing uses them.
(``members`` and ``notices`` are not here: those names are now the repositories themselves.)
"""

from __future__ import annotations

LEGACY_NAMES: dict[str, str] = {}
