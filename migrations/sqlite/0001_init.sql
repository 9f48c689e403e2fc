-- partner-coach schema. Timestamps are UTC unix seconds, set by the application's Clock
-- (never datetime('now'), so tests control time). Local dates ('YYYY-MM-DD') and ISO weeks
-- ('YYYY-Www', which sort correctly as text) are in the guild's or member's own zone and are
-- computed by the domain code when a row is written.

-- One row per guild that has used or configured the bot.
CREATE TABLE guilds (
    guild_id          INTEGER PRIMARY KEY,
    -- NULL: answer in each caller's Discord locale.
    language          TEXT CHECK (language IN ('en', 'vi')),
    -- IANA name; the zone of the daily post, the digest and the guild's weeks.
    timezone          TEXT NOT NULL DEFAULT 'UTC',
    daily_channel_id  INTEGER,
    daily_time        TEXT,            -- 'HH:MM'
    daily_weekdays_only INTEGER NOT NULL DEFAULT 0 CHECK (daily_weekdays_only IN (0, 1)),
    digest_channel_id INTEGER,
    digest_day        TEXT CHECK (digest_day IN ('mon','tue','wed','thu','fri','sat','sun')),
    digest_time       TEXT,
    lead_role_id      INTEGER,
    -- 0 keeps everything forever.
    retention_weeks   INTEGER NOT NULL DEFAULT 104 CHECK (retention_weeks >= 0),
    -- Set when the bot is removed from the guild: its posts stop, its data stays.
    left_at           INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);

-- What is due next, one row per recurring job. The scheduler reads only rows whose due_at
-- has come (schedule_due index), so a tick costs the same with 10 or 10,000 idle guilds.
CREATE TABLE schedule (
    kind     TEXT NOT NULL CHECK (kind IN ('daily', 'digest', 'reminder', 'retention')),
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL DEFAULT 0,   -- 0 for guild-wide jobs
    due_at   INTEGER NOT NULL,
    -- The local date of the occurrence this row is for: 'today' for catch-up decisions.
    period_date TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,   -- failed attempts for this occurrence
    PRIMARY KEY (kind, guild_id, user_id)
) WITHOUT ROWID;
CREATE INDEX schedule_due ON schedule (due_at);

-- The exactly-once record: one row per (job, period). Written as 'pending' before the
-- message is sent, 'sent' with the message id after. A row that is 'sent', 'failed' or
-- 'skipped' is never sent again.
CREATE TABLE deliveries (
    kind       TEXT NOT NULL,
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL DEFAULT 0,
    period     TEXT NOT NULL,              -- local date (daily) or ISO week (digest, reminder)
    status     TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
    channel_id INTEGER,
    message_id INTEGER,
    principle  INTEGER,                    -- the principle a daily post carried
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (kind, guild_id, user_id, period)
) WITHOUT ROWID;
CREATE INDEX deliveries_failures ON deliveries (guild_id, status, updated_at);

-- Every check-in answer.
CREATE TABLE checkins (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('commitments', 'communication')),
    local_date  TEXT NOT NULL,
    iso_week    TEXT NOT NULL,
    rating      INTEGER CHECK (rating BETWEEN 1 AND 5),
    outcome     TEXT CHECK (outcome IN ('kept', 'partly', 'missed')),
    went_well   TEXT,
    improve     TEXT,
    blocker     TEXT,
    partner_id  INTEGER,
        created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    -- How many times a same-day communication check-in replaced this one.
    revision    INTEGER NOT NULL DEFAULT 0,
    -- Ratings belong to communication check-ins only.
    CHECK (kind = 'communication' OR rating IS NULL),
    CHECK (kind = 'commitments' OR rating IS NOT NULL)
);
-- One communication check-in per member and local day: a second one replaces the first.
CREATE UNIQUE INDEX checkins_one_communication_a_day
    ON checkins (guild_id, user_id, local_date) WHERE kind = 'communication';
-- The digest reads one guild's week; this index covers participation counts too.
CREATE INDEX checkins_by_week ON checkins (guild_id, iso_week, user_id);
CREATE INDEX checkins_by_member ON checkins (guild_id, user_id, iso_week);
CREATE INDEX checkins_by_age ON checkins (created_at);

-- Commitments made in commitment check-ins.
CREATE TABLE commitments (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    text          TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 300),
    due_date      TEXT NOT NULL,
    partner_id    INTEGER,
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'kept', 'partly', 'missed')),
    created_week  TEXT NOT NULL,
    resolved_week TEXT,
    created_at    INTEGER NOT NULL,
    resolved_at   INTEGER,
    CHECK ((status = 'open') = (resolved_at IS NULL))
);
CREATE INDEX commitments_by_member ON commitments (guild_id, user_id, status, due_date);
CREATE INDEX commitments_made ON commitments (guild_id, created_week);
CREATE INDEX commitments_resolved ON commitments (guild_id, resolved_week);
CREATE INDEX commitments_open ON commitments (guild_id, status, due_date);
CREATE INDEX commitments_by_age ON commitments (created_at);

-- A member's own settings in one guild.
CREATE TABLE members (
    guild_id     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    timezone     TEXT,                 -- NULL: the guild's zone
    remind_day   TEXT CHECK (remind_day IN ('mon','tue','wed','thu','fri','sat','sun')),
    remind_time  TEXT,
    -- The language of the member's reminder DMs (their Discord locale when they turned it on).
    lang         TEXT CHECK (lang IN ('en', 'vi')),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;

-- Time away, kept as history so streaks and digests of past weeks stay right.
CREATE TABLE away (
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    start_date TEXT NOT NULL,
    end_date   TEXT NOT NULL,          -- inclusive
    created_at INTEGER NOT NULL,
    CHECK (start_date <= end_date)
);
CREATE INDEX away_by_member ON away (guild_id, user_id, end_date);
CREATE INDEX away_by_guild ON away (guild_id, end_date);
