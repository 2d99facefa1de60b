-- 0009: the short public notices the bot posts for a few seconds (to an author whose DMs are closed, to a
-- moderator whose reaction lost a race). Each must go away
-- after a few seconds; an in-memory timer dies with the process, so every notice is a row here until it has
-- been deleted, and at start-up the rows still here are deleted (when due) or timed again.
CREATE TABLE notices (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id    INTEGER NOT NULL,
    channel_id  INTEGER NOT NULL,
    author_id   INTEGER NOT NULL,
    -- NULL from just before the send to just after: a crash in between leaves the row to be found by its
    -- content (the notice's own words and a mention, never the member's text).
    message_id  INTEGER,
    content     TEXT NOT NULL,
    -- A message id the notice comes after (the channel's last one when it was recorded): where a search for it
    -- starts, by Discord's ids rather than the host's clock.
    search_after INTEGER NOT NULL DEFAULT 0,
    delete_at   TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX notices_due ON notices (delete_at);
