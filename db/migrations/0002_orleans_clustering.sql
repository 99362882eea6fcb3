-- 0002_orleans_clustering.sql
--
-- Provider: Microsoft.Orleans.Clustering.AdoNet 10.4.2 (silo membership table and
-- client gateway list), invariant "Npgsql". Depends on 0001_orleans_query_table.sql.
--
-- Orleans keys served (all required at start-up unless marked optional):
--   InsertMembershipVersionKey       @DeploymentId                                   -> 1 column, 1 = row created
--   MembershipReadRowKey             @DeploymentId @Address @Port @Generation        -> version row + that silo (LEFT JOIN)
--   MembershipReadAllKey             @DeploymentId                                   -> version row + every silo (LEFT JOIN)
--   InsertMembershipKey              @DeploymentId @Address @Port @Generation @SiloName @HostName
--                                    @Status @ProxyPort @StartTime @IAmAliveTime @Version -> 1 column, 1 = done
--   UpdateMembershipKey              @DeploymentId @Address @Port @Generation @Status
--                                    @SuspectTimes @IAmAliveTime @Version            -> 1 column, 1 = done
--   UpdateIAmAlivetimeKey            @DeploymentId @Address @Port @Generation @IAmAliveTime (no result read)
--   GatewaysQueryKey                 @DeploymentId @Status(=3 Active)                -> address, proxyport, generation
--   DeleteMembershipTableEntriesKey  @DeploymentId                                   (no result read)
--   CleanupDefunctSiloEntriesKey     @DeploymentId @IAmAliveTime(cut-off)            (no result read; fallback only)
--   CleanupDefunctSiloEntryKey       (optional; used instead of the previous key when present)
--                                    @DeploymentId @Address @Port @Generation @SuspectTimes @StartTime @IAmAliveTime
--
-- Versioning ("etag") contract: the whole membership table of a deployment has ONE
-- version, kept in orleansmembershipversiontable. Every row Orleans reads carries
-- that version; Orleans sends it back as @Version on insert/update. A write only
-- succeeds if @Version is still the stored version, and it then bumps the version by
-- one in the same transaction as the row change. A stale @Version changes nothing
-- and returns 0, which Orleans treats as "lost the race, re-read and retry".
--
-- Idempotent: safe to apply more than once (psql -v ON_ERROR_STOP=1 --single-transaction -f ...).

-- One row per cluster (Orleans "DeploymentId" is the ClusterId).
CREATE TABLE IF NOT EXISTS orleansmembershipversiontable
(
    deploymentid varchar(150) NOT NULL,
    modifiedon   timestamptz  NOT NULL DEFAULT now(),
    version      integer      NOT NULL DEFAULT 0,

    CONSTRAINT pk_orleansmembershipversiontable PRIMARY KEY (deploymentid)
);

-- One row per silo incarnation (address, port, generation).
-- Times are timestamptz: Npgsql sends Orleans' UTC DateTime parameters as timestamptz,
-- so no session-time-zone conversion can shift them.
CREATE TABLE IF NOT EXISTS orleansmembershiptable
(
    deploymentid varchar(150) NOT NULL,
    address      varchar(45)  NOT NULL,
    port         integer      NOT NULL,
    generation   integer      NOT NULL,
    siloname     varchar(150) NOT NULL,
    hostname     varchar(150) NOT NULL,
    status       integer      NOT NULL,
    proxyport    integer      NOT NULL DEFAULT 0,  -- Orleans reads it with GetInt32: must never be NULL
    suspecttimes text         NULL,                -- "silo,date|silo,date|..." as formatted by Orleans
    starttime    timestamptz  NOT NULL,
    iamalivetime timestamptz  NOT NULL,

    CONSTRAINT pk_orleansmembershiptable PRIMARY KEY (deploymentid, address, port, generation),
    CONSTRAINT fk_orleansmembershiptable_version FOREIGN KEY (deploymentid)
        REFERENCES orleansmembershipversiontable (deploymentid)
);

-- Adds a silo row, fenced by the table version.
-- Returns 1 when the row was inserted and the version bumped, 0 otherwise
-- (stale version, unknown deployment, or the silo row already exists).
CREATE OR REPLACE FUNCTION orleans_membership_insert(
    p_deploymentid text,
    p_address      text,
    p_port         integer,
    p_generation   integer,
    p_siloname     text,
    p_hostname     text,
    p_status       integer,
    p_proxyport    integer,
    p_starttime    timestamptz,
    p_iamalivetime timestamptz,
    p_version      integer)
RETURNS integer
LANGUAGE plpgsql
AS $fn$
BEGIN
    -- Take the deployment's version row, but only while it still holds the version the
    -- caller read. A concurrent writer holding the lock makes us wait; once it commits
    -- the WHERE clause is re-checked against the new version and no longer matches.
    PERFORM 1
      FROM orleansmembershipversiontable v
     WHERE v.deploymentid = p_deploymentid
       AND v.version = p_version
       FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;

    INSERT INTO orleansmembershiptable
        (deploymentid, address, port, generation, siloname, hostname,
         status, proxyport, starttime, iamalivetime)
    VALUES
        (p_deploymentid, p_address, p_port, p_generation, p_siloname, p_hostname,
         p_status, p_proxyport, p_starttime, p_iamalivetime)
    ON CONFLICT (deploymentid, address, port, generation) DO NOTHING;
    IF NOT FOUND THEN
        RETURN 0;  -- row already there: leave the version untouched
    END IF;

    UPDATE orleansmembershipversiontable v
       SET version = v.version + 1,
           modifiedon = now()
     WHERE v.deploymentid = p_deploymentid;
    RETURN 1;
END
$fn$;

-- Changes status / suspect votes / I-am-alive of an existing silo row, fenced by the
-- table version. Returns 1 on success, 0 if the version is stale or the row is missing
-- (in which case nothing, not even the version, is changed).
CREATE OR REPLACE FUNCTION orleans_membership_update(
    p_deploymentid text,
    p_address      text,
    p_port         integer,
    p_generation   integer,
    p_status       integer,
    p_suspecttimes text,
    p_iamalivetime timestamptz,
    p_version      integer)
RETURNS integer
LANGUAGE plpgsql
AS $fn$
BEGIN
    PERFORM 1
      FROM orleansmembershipversiontable v
     WHERE v.deploymentid = p_deploymentid
       AND v.version = p_version
       FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;

    UPDATE orleansmembershiptable m
       SET status = p_status,
           suspecttimes = p_suspecttimes,
           -- heartbeats only move forward, even if an older value arrives late
           iamalivetime = GREATEST(m.iamalivetime, p_iamalivetime)
     WHERE m.deploymentid = p_deploymentid
       AND m.address = p_address
       AND m.port = p_port
       AND m.generation = p_generation;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;

    UPDATE orleansmembershipversiontable v
       SET version = v.version + 1,
           modifiedon = now()
     WHERE v.deploymentid = p_deploymentid;
    RETURN 1;
END
$fn$;

INSERT INTO orleansquery (querykey, querytext) VALUES
(
    'InsertMembershipVersionKey',
    $q$
    WITH created AS (
        INSERT INTO orleansmembershipversiontable (deploymentid)
        VALUES (@DeploymentId)
        ON CONFLICT (deploymentid) DO NOTHING
        RETURNING 1
    )
    SELECT count(*)::integer AS created FROM created;
    $q$
),
(
    'MembershipReadRowKey',
    $q$
    SELECT
        m.address,
        m.port,
        m.generation,
        m.siloname,
        m.hostname,
        m.status,
        m.proxyport,
        m.suspecttimes,
        m.starttime,
        m.iamalivetime,
        v.version
    FROM orleansmembershipversiontable v
    LEFT JOIN orleansmembershiptable m
           ON m.deploymentid = v.deploymentid
          AND m.address = @Address
          AND m.port = @Port
          AND m.generation = @Generation
    WHERE v.deploymentid = @DeploymentId;
    $q$
),
(
    'MembershipReadAllKey',
    $q$
    SELECT
        m.address,
        m.port,
        m.generation,
        m.siloname,
        m.hostname,
        m.status,
        m.proxyport,
        m.suspecttimes,
        m.starttime,
        m.iamalivetime,
        v.version
    FROM orleansmembershipversiontable v
    LEFT JOIN orleansmembershiptable m
           ON m.deploymentid = v.deploymentid
    WHERE v.deploymentid = @DeploymentId;
    $q$
),
(
    'InsertMembershipKey',
    $q$
    SELECT orleans_membership_insert(
        @DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName,
        @Status, @ProxyPort, @StartTime, @IAmAliveTime, @Version) AS succeeded;
    $q$
),
(
    'UpdateMembershipKey',
    $q$
    SELECT orleans_membership_update(
        @DeploymentId, @Address, @Port, @Generation,
        @Status, @SuspectTimes, @IAmAliveTime, @Version) AS succeeded;
    $q$
),
(
    'UpdateIAmAlivetimeKey',
    $q$
    UPDATE orleansmembershiptable
       SET iamalivetime = GREATEST(iamalivetime, @IAmAliveTime)
     WHERE deploymentid = @DeploymentId
       AND address = @Address
       AND port = @Port
       AND generation = @Generation;
    $q$
),
(
    'GatewaysQueryKey',
    $q$
    SELECT
        address,
        proxyport,
        generation
    FROM orleansmembershiptable
    WHERE deploymentid = @DeploymentId
      AND status = @Status
      AND proxyport > 0;
    $q$
),
(
    'DeleteMembershipTableEntriesKey',
    $q$
    DELETE FROM orleansmembershiptable WHERE deploymentid = @DeploymentId;
    DELETE FROM orleansmembershipversiontable WHERE deploymentid = @DeploymentId;
    $q$
),
(
    -- Fallback used by Orleans 10.4.2 only when CleanupDefunctSiloEntryKey is absent.
    -- Deletes Dead (6) rows that started and last heartbeated before the cut-off. Rows
    -- that still carry suspect votes are kept, because plain SQL cannot cheaply check
    -- that every vote is older than the cut-off (the per-row key below handles them).
    'CleanupDefunctSiloEntriesKey',
    $q$
    DELETE FROM orleansmembershiptable
     WHERE deploymentid = @DeploymentId
       AND status = 6
       AND iamalivetime < @IAmAliveTime
       AND starttime < @IAmAliveTime
       AND COALESCE(suspecttimes, '') = '';
    $q$
),
(
    -- Preferred by Orleans 10.4.2 when present: Orleans decides eligibility itself
    -- (Dead, started/heartbeated/suspected before the cut-off) and then deletes each row
    -- only if it still has exactly the values it looked at.
    'CleanupDefunctSiloEntryKey',
    $q$
    DELETE FROM orleansmembershiptable
     WHERE deploymentid = @DeploymentId
       AND address = @Address
       AND port = @Port
       AND generation = @Generation
       AND status = 6
       AND starttime = @StartTime
       AND iamalivetime = @IAmAliveTime
       AND COALESCE(suspecttimes, '') = COALESCE(@SuspectTimes, '');
    $q$
)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;
