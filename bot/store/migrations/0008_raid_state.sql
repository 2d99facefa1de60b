-- 0008: raid mode survives a restart, and an interrupted send knows where to look for itself.

-- A guild's raid watch: whether a raid is under way and how many new members it has counted so far
-- (written with each sighting; a raid's end follows from the sightings' times, so it needs no write).
CREATE TABLE raid_watch (
    guild_id    INTEGER PRIMARY KEY,
    active      INTEGER NOT NULL DEFAULT 0,
    raid_size   INTEGER NOT NULL DEFAULT 0,
    updated_at  TEXT NOT NULL
);

-- Each new member's held link the watch counted, while it is inside the guild's window.
-- seen_at is the watch's clock: seconds since the epoch (time.time()).
CREATE TABLE raid_sightings (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id    INTEGER NOT NULL,
    author_id   INTEGER NOT NULL,
    domains     TEXT NOT NULL,  -- JSON list of the message's outside domains
    seen_at     REAL NOT NULL
);
CREATE INDEX raid_sightings_guild ON raid_sightings (guild_id, seen_at);

-- A snowflake every message of the send is newer than (the last message the bot knew in the channel
-- when it marked the row 'sending', or the held message): the start-up search pages forward from it.
ALTER TABLE outbox ADD COLUMN search_after INTEGER;
