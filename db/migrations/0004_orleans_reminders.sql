-- 0004_orleans_reminders.sql
--
-- Provider: Microsoft.Orleans.Reminders.AdoNet 10.4.2 (AdoNetReminderTable), invariant
-- "Npgsql". Depends on 0001_orleans_query_table.sql.
--
-- Orleans keys served (all required at start-up):
--   ReadReminderRowsKey    @ServiceId @GrainId                            -> reminder rows of one grain
--   ReadReminderRowKey     @ServiceId @GrainId @ReminderName              -> 0 or 1 reminder row
--   ReadRangeRows1Key      @ServiceId @BeginHash @EndHash                 -> rows with BeginHash < grainhash <= EndHash
--   ReadRangeRows2Key      @ServiceId @BeginHash @EndHash                 -> rows with grainhash > BeginHash OR grainhash <= EndHash
--   UpsertReminderRowKey   @ServiceId @GrainId @ReminderName @StartTime @Period @GrainHash -> 1 row: version
--   DeleteReminderRowKey   @ServiceId @GrainId @ReminderName @Version     -> 1 row, 1 column: deleted?
--   DeleteReminderRowsKey  @ServiceId                                     (no result read)
-- Reminder rows are read by column name: grainid, remindername, starttime, period, version.
--
-- Hash ranges: Orleans sends the uint ring hashes cast to signed int (same cast as for
-- @GrainHash). It asks for the ring range (BeginHash, EndHash]. If BeginHash < EndHash
-- as signed ints it uses ReadRangeRows1Key (plain interval), otherwise ReadRangeRows2Key
-- (the range wraps; BeginHash = EndHash means the whole ring). Both compare grainhash
-- as a signed integer.
--
-- @Period is milliseconds; Orleans sends int, or bigint when it does not fit in int.
-- The ETag is the integer version; only DeleteReminderRowKey is fenced by it (Orleans
-- upserts unconditionally and uses the returned version as the new ETag).
--
-- Idempotent: safe to apply more than once (psql -v ON_ERROR_STOP=1 --single-transaction -f ...).

CREATE TABLE IF NOT EXISTS orleansreminderstable
(
    serviceid    varchar(150) NOT NULL,
    grainid      varchar(512) NOT NULL,   -- GrainId.ToString(), e.g. "type/key"
    remindername varchar(150) NOT NULL,
    starttime    timestamptz  NOT NULL,
    period       bigint       NOT NULL,   -- milliseconds
    grainhash    integer      NOT NULL,   -- (int)GrainId.GetUniformHashCode()
    version      integer      NOT NULL,   -- ETag

    CONSTRAINT pk_orleansreminderstable PRIMARY KEY (serviceid, grainid, remindername)
);

-- Range scans by the reminder service's ring ownership.
CREATE INDEX IF NOT EXISTS ix_orleansreminderstable_grainhash
    ON orleansreminderstable (serviceid, grainhash);

INSERT INTO orleansquery (querykey, querytext) VALUES
(
    'ReadReminderRowsKey',
    $q$
    SELECT grainid, remindername, starttime, period, version
    FROM orleansreminderstable
    WHERE serviceid = @ServiceId
      AND grainid = @GrainId;
    $q$
),
(
    'ReadReminderRowKey',
    $q$
    SELECT grainid, remindername, starttime, period, version
    FROM orleansreminderstable
    WHERE serviceid = @ServiceId
      AND grainid = @GrainId
      AND remindername = @ReminderName;
    $q$
),
(
    'ReadRangeRows1Key',
    $q$
    SELECT grainid, remindername, starttime, period, version
    FROM orleansreminderstable
    WHERE serviceid = @ServiceId
      AND grainhash > @BeginHash
      AND grainhash <= @EndHash;
    $q$
),
(
    'ReadRangeRows2Key',
    $q$
    SELECT grainid, remindername, starttime, period, version
    FROM orleansreminderstable
    WHERE serviceid = @ServiceId
      AND (grainhash > @BeginHash OR grainhash <= @EndHash);
    $q$
),
(
    -- A single INSERT ... ON CONFLICT is atomic; a new reminder starts at version 0 and
    -- every replacement bumps the version, which Orleans returns to callers as the ETag.
    'UpsertReminderRowKey',
    $q$
    INSERT INTO orleansreminderstable AS r
        (serviceid, grainid, remindername, starttime, period, grainhash, version)
    VALUES
        (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
    ON CONFLICT (serviceid, grainid, remindername) DO UPDATE
        SET starttime = EXCLUDED.starttime,
            period    = EXCLUDED.period,
            grainhash = EXCLUDED.grainhash,
            version   = r.version + 1
    RETURNING r.version;
    $q$
),
(
    -- Orleans needs exactly one row with exactly one column (true/false).
    'DeleteReminderRowKey',
    $q$
    WITH deleted AS (
        DELETE FROM orleansreminderstable
        WHERE serviceid = @ServiceId
          AND grainid = @GrainId
          AND remindername = @ReminderName
          AND version = @Version
        RETURNING 1
    )
    SELECT count(*) > 0 AS deleted FROM deleted;
    $q$
),
(
    'DeleteReminderRowsKey',
    $q$
    DELETE FROM orleansreminderstable
    WHERE serviceid = @ServiceId;
    $q$
)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;
