-- 0007: what archiving a mirrored channel changed, so restoring it undoes
-- only that. JSON object: permission name -> @everyone's overwrite value before the archive (true, false or
-- null), for each permission the archive changed. NULL: not archived, or archived before this column existed
-- (restoring then takes back all the archive's denials, as before).
ALTER TABLE mirror_channels ADD COLUMN archive_undo TEXT;
