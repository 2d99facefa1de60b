"""Forum Bridge: a patient forum's community and moderation rules, carried into Discord."""
