-- Risk alerts. Each has a key naming the crossing that raised it (for example the second time a facility
-- reached 90% of its limit), so raising is idempotent: retries and re-deliveries cannot raise it twice.
CREATE TABLE IF NOT EXISTS alerts
(
    id          bigserial   PRIMARY KEY,
    key         text        NOT NULL UNIQUE,
    kind        text        NOT NULL,
    subject_id  text        NOT NULL,
    funder_id   text        NULL,
    obligor_id  text        NULL,
    detail      text        NOT NULL,
    raised_at   timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_funder ON alerts (funder_id, id);

-- Threshold states evaluated in SQL (a funder's concentration on one obligor): whether the threshold is
-- crossed now, and how many times it has been crossed, which names the next crossing's alert.
CREATE TABLE IF NOT EXISTS alert_states
(
    key       text    PRIMARY KEY,
    active    boolean NOT NULL,
    crossings integer NOT NULL
);
