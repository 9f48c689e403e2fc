-- Hardening: the privacy rule counts people, check-ins can be undone, digests are recorded
-- under the week they cover.

-- The fewest different members a digest section needs before it shows figures or quotes
-- (`/setup privacy`). Never below 3: with fewer, a figure is one person's answer.
ALTER TABLE guilds ADD COLUMN min_people BIGINT NOT NULL DEFAULT 3 CHECK (min_people BETWEEN 3 AND 10);

-- Which check-in made a commitment and which resolved it, so `/checkin undo` can put a
-- check-in's changes back: the commitment it resolved opens again, the one it made goes.
-- NULL for rows from before this migration, which undo leaves as they are.
ALTER TABLE commitments ADD COLUMN made_by_checkin BIGINT;
ALTER TABLE commitments ADD COLUMN resolved_by_checkin BIGINT;
CREATE INDEX commitments_made_by ON commitments (made_by_checkin) WHERE made_by_checkin IS NOT NULL;
CREATE INDEX commitments_resolved_by ON commitments (resolved_by_checkin) WHERE resolved_by_checkin IS NOT NULL;

-- The privacy rule counts the different members behind each kind of note and behind the
-- week's resolved commitments: user_id at the end of each index lets the digest count them
-- from the index alone, and keeps the id order the newest-notes walk needs.
DROP INDEX checkins_went_well;
DROP INDEX checkins_improve;
DROP INDEX checkins_blocker;
CREATE INDEX checkins_went_well ON checkins (guild_id, iso_week, id, user_id) WHERE went_well IS NOT NULL;
CREATE INDEX checkins_improve ON checkins (guild_id, iso_week, id, user_id) WHERE improve IS NOT NULL;
CREATE INDEX checkins_blocker ON checkins (guild_id, iso_week, id, user_id) WHERE blocker IS NOT NULL;
DROP INDEX commitments_resolved;
CREATE INDEX commitments_resolved ON commitments (guild_id, resolved_week, status, user_id, due_date, created_week) WHERE resolved_week IS NOT NULL;
-- Overdue of a past week counts what was open when it ended, which asks for created_week:
-- with it in the index, the count still reads no table rows.
DROP INDEX commitments_open;
CREATE INDEX commitments_open ON commitments (guild_id, status, due_date, created_week);

-- A digest was recorded under the ISO week it was posted in; it is now recorded under the
-- week it covers (posted Friday-Sunday: its own week; Monday-Thursday: the week before,
-- which is the ISO week of the posting day minus four days). The posting day is taken from
-- when the delivery was first recorded, in UTC: the guild's zone is at most a day away,
-- and only a digest posted late on a Thursday or early on a Friday could land a week off.
-- Where two old records would land on the same week, the first is kept.
UPDATE deliveries d SET period = to_char(to_timestamp(d.created_at) AT TIME ZONE 'UTC' - interval '4 days', 'IYYY-"W"IW')
    WHERE d.kind = 'digest' AND d.period ~ '^[0-9]{4}-W[0-9]{2}$'
    AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.kind = d.kind AND e.guild_id = d.guild_id AND e.user_id = d.user_id
                    AND e.period = to_char(to_timestamp(d.created_at) AT TIME ZONE 'UTC' - interval '4 days', 'IYYY-"W"IW'));
