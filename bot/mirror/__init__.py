"""The forum mirror: the forum's categories as Discord categories and channels, kept in step.

`model` and `plan` are pure (no Discord, no network, no database); `source` and `vanilla`
read the category tree; `executor` applies a plan through discord.py; `service` ties them
to the store for the cog and the periodic re-sync.
"""
