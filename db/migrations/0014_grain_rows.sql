-- Collections of a grain's state stored one row per item beside the state's row in orleansstorage (a voucher tree's
-- fragments and applied operations), so that a write sends only the items that changed and its size does not grow
-- with the tree. Rows are written and deleted only in the same statement as their grain's fenced write, and only when
-- that write passed the version check (silo/GroupCommitGrainStorage.cs): a stale activation changes no row.
-- position: the item's place in a list (NULL for a dictionary's items).
CREATE TABLE IF NOT EXISTS grain_rows
(
    serviceid  text    NOT NULL,
    graintype  text    NOT NULL,
    grainkey   text    NOT NULL,
    kind       text    NOT NULL,
    id         text    NOT NULL,
    position   integer NULL,
    body       bytea   NOT NULL,
    PRIMARY KEY (serviceid, graintype, grainkey, kind, id)
);
