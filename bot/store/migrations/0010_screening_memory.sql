-- 0010: what screening must remember across restarts (written behind, in batches, never per message on the hot path).

-- What an allowed message already carried (outside links, addresses), so that an edit after a restart is judged
-- only on what it adds. Only messages that carry something flaggable are kept.
CREATE TABLE allowed_messages (
    message_id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    flaggable TEXT NOT NULL,  -- a JSON array of keys such as "external:backblog.net"
    updated_at TEXT NOT NULL
);

-- The newest message the bot saw in each channel: where the start-up catch-up resumes reading.
CREATE TABLE channel_marks (
    channel_id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    last_message_id INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX channel_marks_guild ON channel_marks (guild_id);
