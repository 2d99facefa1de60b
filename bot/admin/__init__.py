"""What the admin and moderator slash commands do: policy, links and members (the cogs only adapt Discord)."""
