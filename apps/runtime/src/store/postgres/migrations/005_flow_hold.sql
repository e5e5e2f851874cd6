-- Pause with hold (issue 15, item 5): a paused flow whose webhook keeps answering, its events stored as
-- `held` runs until the flow is switched back on. The flag belongs to the flow's latest version, beside
-- `active`, and changes with it.
ALTER TABLE flows ADD COLUMN hold boolean NOT NULL DEFAULT false;
