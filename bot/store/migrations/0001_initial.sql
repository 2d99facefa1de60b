-- 0001: guild settings, members, held items with their attachments, allowed domains, audit log.

CREATE TABLE guild_settings (
    guild_id             INTEGER PRIMARY KEY,
    moderator_channel_id INTEGER,
    moderator_role_id    INTEGER,
    -- The guild's changes to the shipped policy, as a JSON object shaped like policy.toml.
    policy_overrides     TEXT NOT NULL DEFAULT '{}',
    updated_at           TEXT NOT NULL
);

-- Every text channel, thread and forum is screened unless listed here.
CREATE TABLE unscreened_channels (
    guild_id   INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    PRIMARY KEY (guild_id, channel_id)
);

CREATE TABLE members (
    guild_id          INTEGER NOT NULL,
    user_id           INTEGER NOT NULL,
    approved_posts    INTEGER NOT NULL DEFAULT 0 CHECK (approved_posts >= 0),
    held_posts        INTEGER NOT NULL DEFAULT 0 CHECK (held_posts >= 0),
    rejected_posts    INTEGER NOT NULL DEFAULT 0 CHECK (rejected_posts >= 0),
    trusted           INTEGER NOT NULL DEFAULT 0 CHECK (trusted IN (0, 1)),
    links_preapproved INTEGER NOT NULL DEFAULT 0 CHECK (links_preapproved IN (0, 1)),
    updated_at        TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

CREATE TABLE held_items (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id            INTEGER NOT NULL,
    channel_id          INTEGER NOT NULL,
    thread_id           INTEGER,
    thread_name         TEXT,
    is_forum_post       INTEGER NOT NULL DEFAULT 0,
    message_id          INTEGER NOT NULL UNIQUE,
    author_id           INTEGER NOT NULL,
    author_name         TEXT NOT NULL,
    author_avatar_url   TEXT,
    content             TEXT NOT NULL,
    action              TEXT NOT NULL CHECK (action IN ('hold', 'block')),
    reasons             TEXT NOT NULL,            -- JSON list of reason codes
    links               TEXT NOT NULL,            -- JSON list of {url, domain, class}
    reply_to_url        TEXT,
    edited              INTEGER NOT NULL DEFAULT 0,
    state               TEXT NOT NULL CHECK (state IN ('pending', 'blocked', 'approved', 'rejected', 'restored')),
    created_at          TEXT NOT NULL,
    original_removed    INTEGER NOT NULL DEFAULT 0,
    removal_error       TEXT,
    card_channel_id     INTEGER,
    card_message_id     INTEGER,
    decided_by          INTEGER,
    decided_by_name     TEXT,
    decided_at          TEXT,
    decision            TEXT,
    decision_reason     TEXT,
    repost_channel_id   INTEGER,
    repost_message_id   INTEGER,
    author_notified     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX held_items_open ON held_items (guild_id, state, created_at);
CREATE INDEX held_items_card ON held_items (card_message_id);
CREATE INDEX held_items_author ON held_items (guild_id, author_id);

CREATE TABLE held_attachments (
    item_id      INTEGER NOT NULL REFERENCES held_items (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    filename     TEXT NOT NULL,
    content_type TEXT,
    spoiler      INTEGER NOT NULL DEFAULT 0,
    description  TEXT,
    size         INTEGER NOT NULL,
    data         BLOB NOT NULL,
    PRIMARY KEY (item_id, position)
);

CREATE TABLE allowed_domains (
    guild_id INTEGER NOT NULL,
    domain   TEXT NOT NULL,
    added_by INTEGER,
    added_at TEXT NOT NULL,
    PRIMARY KEY (guild_id, domain)
);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id   INTEGER NOT NULL,
    item_id    INTEGER REFERENCES held_items (id),
    actor_id   INTEGER,
    action     TEXT NOT NULL,
    detail     TEXT,
    at         TEXT NOT NULL
);
CREATE INDEX audit_log_guild ON audit_log (guild_id, at);
