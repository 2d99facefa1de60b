-- 0006: what a repost needs beyond the text, and each part of a long repost as Discord confirms it.

-- A forum post's tags (a forum may require one), and what a message carried that is not text: its
-- stickers' names (a webhook cannot send stickers) and its poll (re-created by the webhook).
ALTER TABLE held_items ADD COLUMN applied_tags TEXT NOT NULL DEFAULT '[]';  -- JSON list of tag ids
ALTER TABLE held_items ADD COLUMN sticker_names TEXT NOT NULL DEFAULT '[]'; -- JSON list of names
ALTER TABLE held_items ADD COLUMN poll TEXT;  -- JSON {question, answers, multiple, hours}, or NULL

-- A repost longer than one message goes out in parts; each is recorded once Discord has it, so a
-- crash between two parts resumes with the next one instead of posting the first again.
CREATE TABLE repost_parts (
    item_id    INTEGER NOT NULL REFERENCES held_items (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    PRIMARY KEY (item_id, position)
);
-- A part found on Discord after a crash must not be one already recorded for another item.
CREATE INDEX repost_parts_message ON repost_parts (message_id);
CREATE INDEX held_items_repost ON held_items (repost_message_id);
