"""The gate: screening, holding, moderator decisions and publishing (see service.py for how the parts fit)."""
