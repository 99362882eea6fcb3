-- The platform's own tables (everything that is not Orleans' own): API keys, idempotency records,
-- and the voucher read model that the list endpoint queries with Dapper.

-- API keys are 256-bit random secrets, so an unsalted SHA-256 is a sufficient one-way hash.
CREATE TABLE IF NOT EXISTS api_keys
(
    key_hash      bytea       PRIMARY KEY,
    principal_id  text        NOT NULL,
    role          text        NOT NULL,
    funder_scope  text        NULL,
    created_at    timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS api_keys_principal ON api_keys (principal_id);

-- One row per (caller, Idempotency-Key). 'in_flight' rows carry a lease: a request whose process died
-- can be taken over by a retry once the lease has run out; 'done' rows carry the response to replay.
CREATE TABLE IF NOT EXISTS idempotency_records
(
    principal_id  text        NOT NULL,
    idem_key      text        NOT NULL,
    request_hash  bytea       NOT NULL,
    state         text        NOT NULL CHECK (state IN ('in_flight', 'done')),
    lease_until   timestamptz NOT NULL,
    status_code   integer     NULL,
    content_type  text        NULL,
    location      text        NULL,
    body          bytea       NULL,
    created_at    timestamptz NOT NULL,
    completed_at  timestamptz NULL,
    PRIMARY KEY (principal_id, idem_key)
);
CREATE INDEX IF NOT EXISTS idempotency_records_created ON idempotency_records (created_at);

-- Read model of voucher fragments, written by each voucher tree after its own state is stored.
-- tree_version fences it: an older projection never overwrites a newer one.
CREATE TABLE IF NOT EXISTS voucher_fragments
(
    id            text          PRIMARY KEY,
    root_id       text          NOT NULL,
    parent_id     text          NULL,
    obligor_id    text          NOT NULL,
    holder_id     text          NOT NULL,
    sender_id     text          NULL,
    amount        numeric(16,2) NOT NULL CHECK (amount > 0),
    issue_date    date          NOT NULL,
    maturity_date date          NOT NULL,
    tier          integer       NOT NULL,
    status        text          NOT NULL,
    order_id      text          NULL,
    tree_version  bigint        NOT NULL
);
CREATE INDEX IF NOT EXISTS voucher_fragments_holder ON voucher_fragments (holder_id, id);
CREATE INDEX IF NOT EXISTS voucher_fragments_obligor ON voucher_fragments (obligor_id, id);
CREATE INDEX IF NOT EXISTS voucher_fragments_root ON voucher_fragments (root_id);
