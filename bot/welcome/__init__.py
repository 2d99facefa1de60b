"""The welcome new members get: the community's rules in plain words, by DM or in a channel."""
