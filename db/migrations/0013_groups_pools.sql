-- Read models of guarantee groups and risk pools, for risk staff's lists, the stress test and reconciliation.
-- The group and pool grains are the sources of truth: each rewrites its row after each stored change, fenced by
-- its own version (a late write of an older version changes nothing). Loans record what they draw on and the
-- pool they are enrolled in, so that a group's or a pool's figures can be recomputed from its loans.
ALTER TABLE loans ADD COLUMN IF NOT EXISTS group_id text NULL;
ALTER TABLE loans ADD COLUMN IF NOT EXISTS pool_id text NULL;
CREATE INDEX IF NOT EXISTS loans_borrower ON loans (borrower_id);

CREATE TABLE IF NOT EXISTS guarantee_groups
(
    group_id     text          PRIMARY KEY,
    funder_id    text          NOT NULL,
    status       text          NOT NULL,
    group_limit  numeric(16,2) NOT NULL,
    outstanding  numeric(16,2) NOT NULL,
    member_cap   numeric(16,2) NOT NULL,
    members      integer       NOT NULL,
    cap_used     numeric(16,2) NOT NULL,
    version      bigint        NOT NULL,
    projected_at timestamptz   NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS risk_pools
(
    pool_id        text          PRIMARY KEY,
    name           text          NOT NULL,
    status         text          NOT NULL,
    balance        numeric(16,2) NOT NULL,
    leverage       numeric(10,4) NOT NULL,
    coverage_ratio numeric(6,4)  NOT NULL,
    floor          numeric(16,2) NOT NULL,
    covered        numeric(16,2) NOT NULL,
    capacity       numeric(18,2) NOT NULL,
    version        bigint        NOT NULL,
    projected_at   timestamptz   NOT NULL DEFAULT now()
);
