-- Teams: a server holds one or more teams. Team 0 is every server's default team; a server
-- that never runs `/team create` has only it, and every row written before this migration
-- belongs to it (team_id DEFAULT 0), so nothing moves and nothing is lost.

-- A team and its own settings (what `guilds` held per server until now). Retention and the
-- privacy minimum stay per server, on `guilds`.
CREATE TABLE teams (
    guild_id          INTEGER NOT NULL,
    team_id           INTEGER NOT NULL CHECK (team_id >= 0),
    name              TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 32),
    -- The name folded to lower case by the application (Unicode-aware, which SQLite's
    -- lower() is not): names are unique in a server whatever the case.
    name_key          TEXT NOT NULL,
    -- Its members are this role's holders; NULL: those who `/team join`ed it.
    role_id           INTEGER,
    -- Commands used here (or in a thread of it) are about this team.
    home_channel_id   INTEGER,
    language          TEXT CHECK (language IN ('en', 'vi')),
    timezone          TEXT NOT NULL DEFAULT 'UTC',
    daily_channel_id  INTEGER,
    daily_time        TEXT,
    daily_weekdays_only INTEGER NOT NULL DEFAULT 0 CHECK (daily_weekdays_only IN (0, 1)),
    digest_channel_id INTEGER,
    digest_day        TEXT CHECK (digest_day IN ('mon','tue','wed','thu','fri','sat','sun')),
    digest_time       TEXT,
    lead_role_id      INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    PRIMARY KEY (guild_id, team_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX teams_by_name ON teams (guild_id, name_key);
-- A role belongs to one team at most: its holders' team must be unambiguous.
CREATE UNIQUE INDEX teams_by_role ON teams (guild_id, role_id) WHERE role_id IS NOT NULL;
CREATE INDEX teams_by_channel ON teams (guild_id, home_channel_id) WHERE home_channel_id IS NOT NULL;

INSERT INTO teams (guild_id, team_id, name, name_key, language, timezone, daily_channel_id, daily_time, daily_weekdays_only,
                   digest_channel_id, digest_day, digest_time, lead_role_id, created_at, updated_at)
    SELECT guild_id, 0, 'default', 'default', language, timezone, daily_channel_id, daily_time, daily_weekdays_only,
           digest_channel_id, digest_day, digest_time, lead_role_id, created_at, updated_at FROM guilds;

ALTER TABLE guilds DROP COLUMN language;
ALTER TABLE guilds DROP COLUMN timezone;
ALTER TABLE guilds DROP COLUMN daily_channel_id;
ALTER TABLE guilds DROP COLUMN daily_time;
ALTER TABLE guilds DROP COLUMN daily_weekdays_only;
ALTER TABLE guilds DROP COLUMN digest_channel_id;
ALTER TABLE guilds DROP COLUMN digest_day;
ALTER TABLE guilds DROP COLUMN digest_time;
ALTER TABLE guilds DROP COLUMN lead_role_id;

-- Members of teams without a role (`/team join`).
CREATE TABLE team_members (
    guild_id  INTEGER NOT NULL,
    user_id   INTEGER NOT NULL,
    team_id   INTEGER NOT NULL,
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id, team_id)
) WITHOUT ROWID;

-- A team's holidays (`/setup pause`), kept as history like `away`, so past weeks' digests
-- and streaks stay right.
CREATE TABLE team_pauses (
    guild_id   INTEGER NOT NULL,
    team_id    INTEGER NOT NULL,
    start_date TEXT NOT NULL,
    end_date   TEXT NOT NULL,          -- inclusive
    created_at INTEGER NOT NULL,
    CHECK (start_date <= end_date)
);
CREATE INDEX team_pauses_by_team ON team_pauses (guild_id, team_id, end_date);

-- Check-ins and commitments belong to one team. Every index that starts with the guild now
-- continues with the team, so a team's digest reads only its own entries.
ALTER TABLE checkins ADD COLUMN team_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE commitments ADD COLUMN team_id INTEGER NOT NULL DEFAULT 0;

DROP INDEX checkins_one_communication_a_day;
CREATE UNIQUE INDEX checkins_one_communication_a_day ON checkins (guild_id, team_id, user_id, local_date) WHERE kind = 'communication';
DROP INDEX checkins_by_member;
CREATE INDEX checkins_by_member ON checkins (guild_id, team_id, user_id, iso_week);
DROP INDEX checkins_week_figures;
CREATE INDEX checkins_week_figures ON checkins (guild_id, team_id, iso_week, user_id, kind, rating);
DROP INDEX checkins_went_well;
DROP INDEX checkins_improve;
DROP INDEX checkins_blocker;
CREATE INDEX checkins_went_well ON checkins (guild_id, team_id, iso_week, id, user_id) WHERE went_well IS NOT NULL;
CREATE INDEX checkins_improve ON checkins (guild_id, team_id, iso_week, id, user_id) WHERE improve IS NOT NULL;
CREATE INDEX checkins_blocker ON checkins (guild_id, team_id, iso_week, id, user_id) WHERE blocker IS NOT NULL;

DROP INDEX commitments_by_member;
CREATE INDEX commitments_by_member ON commitments (guild_id, team_id, user_id, status, due_date);
DROP INDEX commitments_made;
CREATE INDEX commitments_made ON commitments (guild_id, team_id, created_week);
DROP INDEX commitments_resolved;
CREATE INDEX commitments_resolved ON commitments (guild_id, team_id, resolved_week, status, user_id, due_date, created_week) WHERE resolved_week IS NOT NULL;
DROP INDEX commitments_open;
CREATE INDEX commitments_open ON commitments (guild_id, team_id, status, due_date, created_week);

-- Jobs and deliveries are per team too (a reminder stays per member and server: team 0).
-- Their primary keys change, which SQLite does by rebuilding the table.
CREATE TABLE schedule_new (
    kind     TEXT NOT NULL CHECK (kind IN ('daily', 'digest', 'reminder', 'retention')),
    guild_id INTEGER NOT NULL,
    team_id  INTEGER NOT NULL DEFAULT 0,
    user_id  INTEGER NOT NULL DEFAULT 0,
    due_at   INTEGER NOT NULL,
    period_date TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, guild_id, team_id, user_id)
) WITHOUT ROWID;
INSERT INTO schedule_new (kind, guild_id, team_id, user_id, due_at, period_date, attempts)
    SELECT kind, guild_id, 0, user_id, due_at, period_date, attempts FROM schedule;
DROP TABLE schedule;
ALTER TABLE schedule_new RENAME TO schedule;
CREATE INDEX schedule_due ON schedule (due_at);

CREATE TABLE deliveries_new (
    kind       TEXT NOT NULL,
    guild_id   INTEGER NOT NULL,
    team_id    INTEGER NOT NULL DEFAULT 0,
    user_id    INTEGER NOT NULL DEFAULT 0,
    period     TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
    channel_id INTEGER,
    message_id INTEGER,
    principle  INTEGER,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (kind, guild_id, team_id, user_id, period)
) WITHOUT ROWID;
INSERT INTO deliveries_new (kind, guild_id, team_id, user_id, period, status, channel_id, message_id, principle, attempts,
                            last_error, created_at, updated_at)
    SELECT kind, guild_id, 0, user_id, period, status, channel_id, message_id, principle, attempts,
           last_error, created_at, updated_at FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_new RENAME TO deliveries;
CREATE INDEX deliveries_failures ON deliveries (guild_id, status, updated_at);
