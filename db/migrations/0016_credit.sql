-- Read models of the supplier credit grains (data-driven credit lines). Each supplier's credit grain is the truth and
-- rewrites its rows after each stored change, fenced by its version; a profile's evaluated_on lets the maturity sweep
-- wake the profiles that have not looked at today's date yet (falling receipts, a core's standing).
CREATE TABLE IF NOT EXISTS credit_profiles
(
    supplier_id  text        PRIMARY KEY,
    score        integer     NOT NULL,
    grade        text        NOT NULL,
    open_signals integer     NOT NULL,
    evaluated_on date        NOT NULL,
    version      bigint      NOT NULL,
    projected_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS credit_profiles_evaluated ON credit_profiles (evaluated_on);

-- Which suppliers received a core's vouchers or orders: whom a change in the core's standing concerns.
CREATE TABLE IF NOT EXISTS credit_relations
(
    core_id     text NOT NULL,
    supplier_id text NOT NULL,
    PRIMARY KEY (core_id, supplier_id)
);

CREATE TABLE IF NOT EXISTS credit_lines
(
    line_id      text          PRIMARY KEY,
    supplier_id  text          NOT NULL,
    funder_id    text          NOT NULL,
    credit_limit numeric(16,2) NOT NULL,
    used         numeric(16,2) NOT NULL,
    annual_rate  numeric(8,6)  NOT NULL,
    grade        text          NOT NULL,
    expires_on   date          NOT NULL,
    status       text          NOT NULL
);
CREATE INDEX IF NOT EXISTS credit_lines_funder ON credit_lines (funder_id);
CREATE INDEX IF NOT EXISTS credit_lines_supplier ON credit_lines (supplier_id);

-- Early-warning signals. seq takes a new value on every change (raised, then cleared), so a reader following the
-- cursor of GET /v1/risk/signals sees a signal again when it clears.
CREATE SEQUENCE IF NOT EXISTS credit_signals_seq;
CREATE TABLE IF NOT EXISTS credit_signals
(
    signal_id  text        PRIMARY KEY,
    seq        bigint      NOT NULL DEFAULT nextval('credit_signals_seq'),
    obligor_id text        NOT NULL,
    kind       text        NOT NULL,
    evidence   jsonb       NOT NULL,
    raised_at  timestamptz NOT NULL,
    cleared_at timestamptz NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS credit_signals_seq_idx ON credit_signals (seq);
CREATE INDEX IF NOT EXISTS credit_signals_obligor ON credit_signals (obligor_id);
