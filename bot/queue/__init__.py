"""The review queue for moderators: the pending list, its statistics and reminders."""
