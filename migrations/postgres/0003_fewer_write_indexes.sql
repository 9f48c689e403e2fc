-- Fewer pages written per check-in. Every index on a table is one more page in the WAL on
-- each insert: a commitments check-in wrote about twelve.
--
-- Retention finds old rows through the week indexes (a row's ISO week bounds its creation
-- time), so the two indexes on created_at only cost writes.
DROP INDEX checkins_by_age;
DROP INDEX commitments_by_age;

-- Only a resolved commitment has a resolved week: open ones, most of the inserts, need no
-- entry. The digest's `resolved_week = ?` implies NOT NULL, so it still uses the index.
DROP INDEX commitments_resolved;
CREATE INDEX commitments_resolved ON commitments (guild_id, resolved_week) WHERE resolved_week IS NOT NULL;
