-- 0003_orleans_storage.sql
--
-- Provider: Microsoft.Orleans.Persistence.AdoNet 10.4.2 (AdoNetGrainStorage), invariant
-- "Npgsql". Depends on 0001_orleans_query_table.sql. Requires PostgreSQL 15+
-- (UNIQUE ... NULLS NOT DISTINCT).
--
-- Orleans keys served. Every call passes the grain identity parameters
--   @GrainIdHash @GrainIdN0 @GrainIdN1 @GrainTypeHash @GrainTypeString
--   @GrainIdExtensionString @ServiceId
-- plus:
--   ReadFromStorageKey  (nothing else)                  -> 0 or 1 row: payloadbinary, version
--   WriteToStorageKey   @GrainStateVersion @PayloadBinary -> 1 row newgrainstateversion, or no row
--   ClearStorageKey     @GrainStateVersion               -> 1 row newgrainstateversion, or no row
--   DeleteStorageKey    @GrainStateVersion               -> 1 row newgrainstateversion, or no row
--                       (optional for Orleans; only used with DeleteStateOnClear = true)
--
-- ETag contract: the grain's ETag is the integer "version" column. Orleans sends it back
-- as @GrainStateVersion (NULL when it has never seen a row). A write/clear/delete only
-- touches the row if the stored version equals @GrainStateVersion and then answers with
-- a NEW version. On any mismatch the query returns no row; Orleans 10.4.2 turns that
-- into InconsistentStateException (it also does so for an empty value or a value equal
-- to the ETag it sent).
--
-- Grain identity: (serviceid, graintypestring, grainidn0, grainidn1,
-- grainidextensionstring) is UNIQUE, with NULL extension treated as one value. So
-- two racing first writes (@GrainStateVersion NULL) cannot both create a row: the
-- loser's INSERT hits the unique index and returns no version. Rows are found by
-- that identity alone. The two hash columns are stored for compatibility and
-- diagnostics, but a changed hasher can't hide an existing row.
--
-- Only the binary payload is used: Orleans 10 serializes through IGrainStorageSerializer
-- and reads/writes PayloadBinary only (no PayloadJson / PayloadXml).
--
-- Idempotent: safe to apply more than once (psql -v ON_ERROR_STOP=1 --single-transaction -f ...).

CREATE TABLE IF NOT EXISTS orleansstorage
(
    grainidhash            integer      NOT NULL,
    grainidn0              bigint       NOT NULL,
    grainidn1              bigint       NOT NULL,
    graintypehash          integer      NOT NULL,
    graintypestring        varchar(512) NOT NULL,
    grainidextensionstring varchar(512) NULL,
    serviceid              varchar(150) NOT NULL,
    payloadbinary          bytea        NULL,      -- NULL after ClearStorage (row kept as a tombstone)
    modifiedon             timestamptz  NOT NULL DEFAULT now(),
    version                integer      NOT NULL   -- the grain's ETag
);

-- One row per grain. NULLS NOT DISTINCT: a NULL extension string identifies a grain as
-- well as any other value (otherwise two NULL-extension rows could coexist).
CREATE UNIQUE INDEX IF NOT EXISTS ux_orleansstorage_grain
    ON orleansstorage (serviceid, graintypestring, grainidn0, grainidn1, grainidextensionstring)
    NULLS NOT DISTINCT;

-- Write the grain state.
--   p_grainstateversion NULL  -> first write: insert with version 1; if a row for the grain
--                                already exists (or a concurrent first write wins), nothing is
--                                written and no row is returned.
--   p_grainstateversion = n   -> update only if the stored version is n; returns n + 1,
--                                otherwise nothing is written and no row is returned.
CREATE OR REPLACE FUNCTION orleans_storage_write(
    p_grainidhash            integer,
    p_grainidn0              bigint,
    p_grainidn1              bigint,
    p_graintypehash          integer,
    p_graintypestring        text,
    p_grainidextensionstring text,
    p_serviceid              text,
    p_grainstateversion      integer,
    p_payloadbinary          bytea)
RETURNS TABLE (newgrainstateversion integer)
LANGUAGE plpgsql
AS $fn$
DECLARE
    v_new integer;
BEGIN
    IF p_grainstateversion IS NULL THEN
        -- The unique index is the arbiter: a second first-writer (committed before or
        -- concurrently) makes this INSERT do nothing, so v_new stays NULL.
        INSERT INTO orleansstorage AS s
            (grainidhash, grainidn0, grainidn1, graintypehash, graintypestring,
             grainidextensionstring, serviceid, payloadbinary, modifiedon, version)
        VALUES
            (p_grainidhash, p_grainidn0, p_grainidn1, p_graintypehash, p_graintypestring,
             p_grainidextensionstring, p_serviceid, p_payloadbinary, now(), 1)
        ON CONFLICT (serviceid, graintypestring, grainidn0, grainidn1, grainidextensionstring)
            DO NOTHING
        RETURNING s.version INTO v_new;
    ELSE
        UPDATE orleansstorage AS s
           SET payloadbinary = p_payloadbinary,
               grainidhash   = p_grainidhash,
               graintypehash = p_graintypehash,
               modifiedon    = now(),
               version       = s.version + 1
         WHERE s.serviceid = p_serviceid
           AND s.graintypestring = p_graintypestring
           AND s.grainidn0 = p_grainidn0
           AND s.grainidn1 = p_grainidn1
           AND s.grainidextensionstring IS NOT DISTINCT FROM p_grainidextensionstring
           AND s.version = p_grainstateversion
        RETURNING s.version INTO v_new;
    END IF;

    IF v_new IS NOT NULL THEN
        newgrainstateversion := v_new;
        RETURN NEXT;
    END IF;
END
$fn$;

-- Clear the grain state but keep the row (and its version history): payload -> NULL,
-- version -> version + 1. Fenced exactly like a write; no row returned on mismatch.
CREATE OR REPLACE FUNCTION orleans_storage_clear(
    p_grainidn0              bigint,
    p_grainidn1              bigint,
    p_graintypestring        text,
    p_grainidextensionstring text,
    p_serviceid              text,
    p_grainstateversion      integer)
RETURNS TABLE (newgrainstateversion integer)
LANGUAGE plpgsql
AS $fn$
DECLARE
    v_new integer;
BEGIN
    UPDATE orleansstorage AS s
       SET payloadbinary = NULL,
           modifiedon    = now(),
           version       = s.version + 1
     WHERE s.serviceid = p_serviceid
       AND s.graintypestring = p_graintypestring
       AND s.grainidn0 = p_grainidn0
       AND s.grainidn1 = p_grainidn1
       AND s.grainidextensionstring IS NOT DISTINCT FROM p_grainidextensionstring
       AND s.version = p_grainstateversion
    RETURNING s.version INTO v_new;

    IF v_new IS NOT NULL THEN
        newgrainstateversion := v_new;
        RETURN NEXT;
    END IF;
END
$fn$;

-- Delete the grain's row (DeleteStateOnClear = true). Fenced like a write. On success it
-- answers old version + 1: Orleans only needs a value different from the ETag it sent
-- (it then forgets the ETag, and the next write is a first write again).
CREATE OR REPLACE FUNCTION orleans_storage_delete(
    p_grainidn0              bigint,
    p_grainidn1              bigint,
    p_graintypestring        text,
    p_grainidextensionstring text,
    p_serviceid              text,
    p_grainstateversion      integer)
RETURNS TABLE (newgrainstateversion integer)
LANGUAGE plpgsql
AS $fn$
DECLARE
    v_old integer;
BEGIN
    DELETE FROM orleansstorage AS s
     WHERE s.serviceid = p_serviceid
       AND s.graintypestring = p_graintypestring
       AND s.grainidn0 = p_grainidn0
       AND s.grainidn1 = p_grainidn1
       AND s.grainidextensionstring IS NOT DISTINCT FROM p_grainidextensionstring
       AND s.version = p_grainstateversion
    RETURNING s.version INTO v_old;

    IF v_old IS NOT NULL THEN
        newgrainstateversion := v_old + 1;
        RETURN NEXT;
    END IF;
END
$fn$;

INSERT INTO orleansquery (querykey, querytext) VALUES
(
    'ReadFromStorageKey',
    $q$
    SELECT
        payloadbinary,
        version
    FROM orleansstorage
    WHERE serviceid = @ServiceId
      AND graintypestring = @GrainTypeString
      AND grainidn0 = @GrainIdN0
      AND grainidn1 = @GrainIdN1
      AND grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString;
    $q$
),
(
    'WriteToStorageKey',
    $q$
    SELECT newgrainstateversion
    FROM orleans_storage_write(
        @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString,
        @GrainIdExtensionString, @ServiceId, @GrainStateVersion, @PayloadBinary);
    $q$
),
(
    'ClearStorageKey',
    $q$
    SELECT newgrainstateversion
    FROM orleans_storage_clear(
        @GrainIdN0, @GrainIdN1, @GrainTypeString,
        @GrainIdExtensionString, @ServiceId, @GrainStateVersion);
    $q$
),
(
    'DeleteStorageKey',
    $q$
    SELECT newgrainstateversion
    FROM orleans_storage_delete(
        @GrainIdN0, @GrainIdN1, @GrainTypeString,
        @GrainIdExtensionString, @ServiceId, @GrainStateVersion);
    $q$
)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;
