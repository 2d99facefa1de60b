-- 0002: the forum mirror: which Discord channel stands for which forum category, and each guild's sync state.

-- One row per forum category the mirror has placed in a guild, written as each channel is created or
-- adopted, so an interrupted apply resumes without duplicates. Rows are never deleted: a category gone
-- from the forum keeps its row, marked archived, so its channel is still known if the category returns.
CREATE TABLE mirror_channels (
    guild_id          INTEGER NOT NULL,
    forum_category_id INTEGER NOT NULL,
    channel_id        INTEGER NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('category', 'text', 'forum')),
    archived          INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    updated_at        TEXT NOT NULL,
    PRIMARY KEY (guild_id, forum_category_id)
);
CREATE INDEX mirror_channels_channel ON mirror_channels (guild_id, channel_id);

CREATE TABLE mirror_state (
    guild_id            INTEGER PRIMARY KEY,
    archive_category_id INTEGER,          -- the "Archived" Discord category the mirror made or adopted
    last_sync_at        TEXT,
    last_source         TEXT,             -- where the tree came from: a file path or the forum's URL
    last_summary        TEXT,             -- one line: what the last apply did
    last_tree           TEXT,             -- JSON: the forum categories the last apply worked from
    updated_at          TEXT NOT NULL
);
