-- 0003: what the admin and moderator commands configure: link pre-approvals with optional domain and
-- use count, the welcome message, and queue reminders.

-- A moderator's permission for one member's links: for one registrable domain or (domain NULL) any
-- non-medical domain; standing (uses_left NULL) or for a counted number of links. A counted row whose
-- uses reach 0 is spent and kept for the record.
CREATE TABLE link_preapprovals (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    domain     TEXT,
    uses_left  INTEGER CHECK (uses_left IS NULL OR uses_left >= 0),
    granted_by INTEGER,
    granted_at TEXT NOT NULL
);
CREATE INDEX link_preapprovals_member ON link_preapprovals (guild_id, user_id);

-- The welcome sent to members who join: NULL text means the shipped data/welcome.md; NULL channel means by DM.
ALTER TABLE guild_settings ADD COLUMN welcome_text TEXT;
ALTER TABLE guild_settings ADD COLUMN welcome_channel_id INTEGER;
ALTER TABLE guild_settings ADD COLUMN welcome_enabled INTEGER NOT NULL DEFAULT 1 CHECK (welcome_enabled IN (0, 1));

-- Remind the moderator role of items pending longer than this; once per item per period; 0 turns reminders off.
ALTER TABLE guild_settings ADD COLUMN reminder_after_s INTEGER NOT NULL DEFAULT 43200 CHECK (reminder_after_s >= 0);
ALTER TABLE held_items ADD COLUMN reminded_at TEXT;
