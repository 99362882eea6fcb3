-- What happened, in the business's words: issued, accepted, rejected, split, transferred, discounted,
-- settled, overdue, defaulted.
ALTER TABLE exposure_events ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'changed';
