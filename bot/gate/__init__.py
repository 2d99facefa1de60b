"""The gate: screening, holding, moderator decisions and publishing."""

from bot.gate.buttons import DYNAMIC_ITEMS
from bot.gate.service import Gate

__all__ = ["DYNAMIC_ITEMS", "Gate"]
