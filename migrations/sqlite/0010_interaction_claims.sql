-- Interactions claimed by id: while two processes run the same shard (a rolling restart),
-- Discord sends each interaction to both, and the one whose claim is stored first answers it;
-- the other drops it. Written only when the bot runs a range of shards (`SHARDS`); the daily
-- retention deletes those over an hour old, far past the fifteen minutes an interaction can
-- be answered in.
CREATE TABLE interaction_claims (
    id         INTEGER PRIMARY KEY,
    claimed_by TEXT NOT NULL,
    claimed_at INTEGER NOT NULL
);
CREATE INDEX interaction_claims_at ON interaction_claims (claimed_at);
