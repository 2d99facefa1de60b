-- 0004: the outbox. Whatever the bot must tell Discord after a hold or a decision — the moderator card,
-- the author's DMs, the repost, the card's update — is a row here, written in the same transaction as
-- the hold or decision that calls for it, and drained by a worker at the pace each channel allows.

-- A card that stands for several held items — one author's, or (author_id NULL) a raid's — with
-- Approve all / Reject all / Reject all & time out.
CREATE TABLE card_groups (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id    INTEGER NOT NULL,
    author_id   INTEGER,
    channel_id  INTEGER NOT NULL,
    message_id  INTEGER,
    nonce       TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX card_groups_message ON card_groups (message_id);

-- One row per (item, kind). A row is 'waiting' until its item's original has been dealt with, 'queued'
-- once it may go, 'sending' from just before the request to just after, then 'done' with the Discord
-- message it produced, or 'failed' with why. At start-up a 'sending' row is first looked for on Discord
-- (its nonce, its footer), so a crash between sending and recording never sends it twice.
CREATE TABLE outbox (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id            INTEGER NOT NULL REFERENCES held_items (id) ON DELETE CASCADE,
    kind               TEXT NOT NULL
                       CHECK (kind IN ('card', 'hold_dm', 'repost', 'card_update', 'decision_dm', 'raid_card')),
    state              TEXT NOT NULL DEFAULT 'queued'
                       CHECK (state IN ('waiting', 'queued', 'sending', 'done', 'failed')),
    priority           INTEGER NOT NULL DEFAULT 1,
    -- Rows sent together (one grouped card, one DM for several messages) share a batch nonce.
    nonce              TEXT,
    group_id           INTEGER REFERENCES card_groups (id),
    attempts           INTEGER NOT NULL DEFAULT 0,
    not_before         TEXT,
    result_channel_id  INTEGER,
    result_message_id  INTEGER,
    error              TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    UNIQUE (item_id, kind)
);
CREATE INDEX outbox_due ON outbox (state, priority, id);
CREATE INDEX outbox_group ON outbox (group_id);
