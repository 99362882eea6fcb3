-- The version of each voucher tree that the read model reflects. A tree whose stored grain state
-- (orleansstorage.version, which moves in step with the tree's own version) is ahead of this row wrote
-- and then died before projecting: the maturity sweep finds such trees and has them project again.
CREATE TABLE IF NOT EXISTS voucher_trees
(
    root_id text   PRIMARY KEY,
    version bigint NOT NULL
);
