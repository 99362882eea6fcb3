-- 0001_orleans_query_table.sql
--
-- Orleans keys served: none directly. This creates the query catalogue that every
-- Orleans ADO.NET provider (clustering, persistence, reminders) reads at start-up:
--     SELECT QueryKey, QueryText FROM OrleansQuery
-- Later migrations (0002-0004) add one row per provider key with
-- INSERT ... ON CONFLICT (querykey) DO UPDATE, so they can be re-applied safely.
--
-- Contract notes (Orleans 10.4.2, invariant "Npgsql"):
--   * Orleans looks the rows up by exact key (case-sensitive C# dictionary), so the
--     querykey VALUES must keep Orleans' spelling, e.g. 'UpdateIAmAlivetimeKey'.
--   * The column NAMES are matched case-insensitively by Npgsql, so lowercase
--     unquoted identifiers are fine.
--   * Query texts use @Name placeholders; Npgsql binds them to the parameters
--     Orleans adds by name. Never put '@' inside a comment in a query text.
--
-- Requires PostgreSQL 15+ (0003 uses UNIQUE ... NULLS NOT DISTINCT).
-- Idempotent: safe to apply more than once. Recommended:
--     psql -v ON_ERROR_STOP=1 --single-transaction -f 0001_orleans_query_table.sql

CREATE TABLE IF NOT EXISTS orleansquery
(
    querykey  varchar(64) NOT NULL,
    querytext text        NOT NULL,

    CONSTRAINT pk_orleansquery PRIMARY KEY (querykey)
);
