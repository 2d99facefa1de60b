-- 0009: the short public notices that tell an author whose DMs are closed what happened. Each must go away
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
    delete_at   TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX notices_due ON notices (delete_at);
