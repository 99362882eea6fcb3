-- How many exposure events a tree still held unacknowledged when it last projected, and when that was.
-- The maturity sweep pings trees that have held some for a while: a tree re-sends its outbox when
-- activated, and re-projects (reporting 0) once the risk grain has acknowledged everything.
ALTER TABLE voucher_trees ADD COLUMN IF NOT EXISTS unacked integer NOT NULL DEFAULT 0;
ALTER TABLE voucher_trees ADD COLUMN IF NOT EXISTS projected_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX IF NOT EXISTS voucher_trees_unacked ON voucher_trees (projected_at) WHERE unacked > 0;
