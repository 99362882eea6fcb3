-- Read model of loans: what the maturity sweep needs to find loans that fell due, that lag their stored
-- state, or that hold unacknowledged exposure events, and what reconciliation walks. The loan grain is the
-- source of truth and rewrites its row after each stored change, fenced by its own version.
CREATE TABLE IF NOT EXISTS loans
(
    loan_id      text          PRIMARY KEY,
    borrower_id  text          NOT NULL,
    funder_id    text          NOT NULL,
    order_id     text          NULL,
    status       text          NOT NULL,
    due_date     date          NOT NULL,
    outstanding  numeric(16,2) NOT NULL,
    version      bigint        NOT NULL,
    unacked      integer       NOT NULL DEFAULT 0,
    projected_at timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS loans_due ON loans (due_date) WHERE status IN ('active', 'overdue');
CREATE INDEX IF NOT EXISTS loans_unacked ON loans (projected_at) WHERE unacked > 0;
