-- Grain-state lookups that an index can serve.
--
-- 0003 found a grain's row with "grainidextensionstring IS NOT DISTINCT FROM @x". No B-tree index serves
-- IS NOT DISTINCT FROM, and for string-keyed grains (all of ours) grainidn0/grainidn1 are 0, so every read
-- and write walked all rows of the grain type: measured with the load generator, 7–9 ms per lookup at about
-- 6,000 rows and throughput falling as data grew. Here every lookup branches on whether the extension
-- string is NULL, so each branch is a plain equality (or IS NULL) on the unique index's columns.
-- Orleans' contract (keys, parameters, returned columns, fencing) is unchanged.

CREATE OR REPLACE FUNCTION orleans_storage_read(
    p_grainidn0              bigint,
    p_grainidn1              bigint,
    p_graintypestring        text,
    p_grainidextensionstring text,
    p_serviceid              text)
RETURNS TABLE (payloadbinary bytea, version integer)
LANGUAGE plpgsql
STABLE
AS $fn$
BEGIN
    IF p_grainidextensionstring IS NULL THEN
        RETURN QUERY
        SELECT s.payloadbinary, s.version
          FROM orleansstorage AS s
         WHERE s.serviceid = p_serviceid
           AND s.graintypestring = p_graintypestring
           AND s.grainidn0 = p_grainidn0
           AND s.grainidn1 = p_grainidn1
           AND s.grainidextensionstring IS NULL;
    ELSE
        RETURN QUERY
        SELECT s.payloadbinary, s.version
          FROM orleansstorage AS s
         WHERE s.serviceid = p_serviceid
           AND s.graintypestring = p_graintypestring
           AND s.grainidn0 = p_grainidn0
           AND s.grainidn1 = p_grainidn1
           AND s.grainidextensionstring = p_grainidextensionstring;
    END IF;
END
$fn$;

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
        -- First write: the unique index decides between racing first writers; the loser gets no row.
        INSERT INTO orleansstorage AS s
            (grainidhash, grainidn0, grainidn1, graintypehash, graintypestring,
             grainidextensionstring, serviceid, payloadbinary, modifiedon, version)
        VALUES
            (p_grainidhash, p_grainidn0, p_grainidn1, p_graintypehash, p_graintypestring,
             p_grainidextensionstring, p_serviceid, p_payloadbinary, now(), 1)
        ON CONFLICT (serviceid, graintypestring, grainidn0, grainidn1, grainidextensionstring)
            DO NOTHING
        RETURNING s.version INTO v_new;
    ELSIF p_grainidextensionstring IS NULL THEN
        UPDATE orleansstorage AS s
           SET payloadbinary = p_payloadbinary, grainidhash = p_grainidhash, graintypehash = p_graintypehash,
               modifiedon = now(), version = s.version + 1
         WHERE s.serviceid = p_serviceid AND s.graintypestring = p_graintypestring
           AND s.grainidn0 = p_grainidn0 AND s.grainidn1 = p_grainidn1
           AND s.grainidextensionstring IS NULL
           AND s.version = p_grainstateversion
        RETURNING s.version INTO v_new;
    ELSE
        UPDATE orleansstorage AS s
           SET payloadbinary = p_payloadbinary, grainidhash = p_grainidhash, graintypehash = p_graintypehash,
               modifiedon = now(), version = s.version + 1
         WHERE s.serviceid = p_serviceid AND s.graintypestring = p_graintypestring
           AND s.grainidn0 = p_grainidn0 AND s.grainidn1 = p_grainidn1
           AND s.grainidextensionstring = p_grainidextensionstring
           AND s.version = p_grainstateversion
        RETURNING s.version INTO v_new;
    END IF;

    IF v_new IS NOT NULL THEN
        newgrainstateversion := v_new;
        RETURN NEXT;
    END IF;
END
$fn$;

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
    IF p_grainidextensionstring IS NULL THEN
        UPDATE orleansstorage AS s
           SET payloadbinary = NULL, modifiedon = now(), version = s.version + 1
         WHERE s.serviceid = p_serviceid AND s.graintypestring = p_graintypestring
           AND s.grainidn0 = p_grainidn0 AND s.grainidn1 = p_grainidn1
           AND s.grainidextensionstring IS NULL
           AND s.version = p_grainstateversion
        RETURNING s.version INTO v_new;
    ELSE
        UPDATE orleansstorage AS s
           SET payloadbinary = NULL, modifiedon = now(), version = s.version + 1
         WHERE s.serviceid = p_serviceid AND s.graintypestring = p_graintypestring
           AND s.grainidn0 = p_grainidn0 AND s.grainidn1 = p_grainidn1
           AND s.grainidextensionstring = p_grainidextensionstring
           AND s.version = p_grainstateversion
        RETURNING s.version INTO v_new;
    END IF;

    IF v_new IS NOT NULL THEN
        newgrainstateversion := v_new;
        RETURN NEXT;
    END IF;
END
$fn$;

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
    IF p_grainidextensionstring IS NULL THEN
        DELETE FROM orleansstorage AS s
         WHERE s.serviceid = p_serviceid AND s.graintypestring = p_graintypestring
           AND s.grainidn0 = p_grainidn0 AND s.grainidn1 = p_grainidn1
           AND s.grainidextensionstring IS NULL
           AND s.version = p_grainstateversion
        RETURNING s.version INTO v_old;
    ELSE
        DELETE FROM orleansstorage AS s
         WHERE s.serviceid = p_serviceid AND s.graintypestring = p_graintypestring
           AND s.grainidn0 = p_grainidn0 AND s.grainidn1 = p_grainidn1
           AND s.grainidextensionstring = p_grainidextensionstring
           AND s.version = p_grainstateversion
        RETURNING s.version INTO v_old;
    END IF;

    IF v_old IS NOT NULL THEN
        newgrainstateversion := v_old + 1;
        RETURN NEXT;
    END IF;
END
$fn$;

UPDATE orleansquery
   SET querytext = $q$
    SELECT payloadbinary, version
    FROM orleans_storage_read(@GrainIdN0, @GrainIdN1, @GrainTypeString, @GrainIdExtensionString, @ServiceId);
    $q$
 WHERE querykey = 'ReadFromStorageKey';
