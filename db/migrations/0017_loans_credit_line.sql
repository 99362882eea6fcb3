-- A loan drawn on a credit line records the line, so that a line's usage can be recomputed from its loans
-- (GET /v1/risk/reconciliation).
ALTER TABLE loans ADD COLUMN IF NOT EXISTS credit_line_id text NULL;
CREATE INDEX IF NOT EXISTS loans_credit_line ON loans (credit_line_id) WHERE credit_line_id IS NOT NULL;
