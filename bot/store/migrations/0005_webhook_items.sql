-- 0005: a held message posted through a webhook the bot does not own. Its author is the webhook, not a
-- member: it has no member record and cannot be sent a DM, and its card names the webhook.
ALTER TABLE held_items ADD COLUMN webhook_id INTEGER;  -- NULL for a member's message
ALTER TABLE held_items ADD COLUMN webhook_name TEXT;   -- the webhook's own name (it may post under others)
