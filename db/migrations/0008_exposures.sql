-- Exposure events as applied by the risk grains, and the aggregates they feed.
-- An event is applied at most once: its id is the primary key of exposure_events, and the aggregate
-- update happens in the same statement as the insert, only for rows the insert really added.

CREATE TABLE IF NOT EXISTS exposure_events
(
    id              text          PRIMARY KEY,
    root_id         text          NOT NULL,
    instrument_id   text          NOT NULL,
    obligor_id      text          NOT NULL,
    before_holder   text          NULL,
    before_role     text          NULL,
    before_status   text          NULL,
    before_tier     integer       NULL,
    before_amount   numeric(16,2) NULL,
    after_holder    text          NULL,
    after_role      text          NULL,
    after_status    text          NULL,
    after_tier      integer       NULL,
    after_amount    numeric(16,2) NULL,
    occurred_at     timestamptz   NOT NULL,
    applied_at      timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS exposure_events_obligor ON exposure_events (obligor_id);

-- Outstanding exposure by obligor, holder, holder role, status and tier: one row per combination,
-- updated in O(1) per event.
CREATE TABLE IF NOT EXISTS exposure_positions
(
    obligor_id  text          NOT NULL,
    holder_id   text          NOT NULL,
    holder_role text          NOT NULL,
    status      text          NOT NULL,
    tier        integer       NOT NULL,
    amount      numeric(18,2) NOT NULL,
    PRIMARY KEY (obligor_id, holder_id, holder_role, status, tier)
);
CREATE INDEX IF NOT EXISTS exposure_positions_holder ON exposure_positions (holder_id);
