-- Two-sided commitments and the team's board (issue 16).
--
-- A commitment made to a partner gets the partner's side beside the member's own: whether
-- they agreed to it, and whether it was kept in their eyes. What the bot still owes a
-- commitment (the DMs to the partner, the board's message) is queued per commitment; each
-- send is recorded in `deliveries` like every scheduled post, so it goes out once.

-- The team's board: one thread a week in this channel (NULL: no board).
ALTER TABLE teams ADD COLUMN board_channel_id INTEGER;

-- Commitments get `private` (`/checkin commitments private:true`: kept off the board), and
-- ids that are never handed out again (AUTOINCREMENT): a DM's buttons, its delivery record
-- and the board's record name a commitment by id, and a deleted commitment's id must never
-- come to mean another one (an undo followed by a new commitment would otherwise reuse it).
-- SQLite adds AUTOINCREMENT only by rebuilding the table; every row keeps its id.
CREATE TABLE commitments_new (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id            INTEGER NOT NULL,
    user_id             INTEGER NOT NULL,
    text                TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 300),
    due_date            TEXT NOT NULL,
    partner_id          INTEGER,
    status              TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'kept', 'partly', 'missed')),
    created_week        TEXT NOT NULL,
    resolved_week       TEXT,
    created_at          INTEGER NOT NULL,
    resolved_at         INTEGER,
    made_by_checkin     INTEGER,
    resolved_by_checkin INTEGER,
    team_id             INTEGER NOT NULL DEFAULT 0,
    private             INTEGER NOT NULL DEFAULT 0 CHECK (private IN (0, 1)),
    CHECK ((status = 'open') = (resolved_at IS NULL))
);
INSERT INTO commitments_new (id, guild_id, user_id, text, due_date, partner_id, status, created_week, resolved_week, created_at,
                             resolved_at, made_by_checkin, resolved_by_checkin, team_id)
    SELECT id, guild_id, user_id, text, due_date, partner_id, status, created_week, resolved_week, created_at,
           resolved_at, made_by_checkin, resolved_by_checkin, team_id FROM commitments;
DROP TABLE commitments;
ALTER TABLE commitments_new RENAME TO commitments;
CREATE INDEX commitments_made_by ON commitments (made_by_checkin) WHERE made_by_checkin IS NOT NULL;
CREATE INDEX commitments_resolved_by ON commitments (resolved_by_checkin) WHERE resolved_by_checkin IS NOT NULL;
CREATE INDEX commitments_by_member ON commitments (guild_id, team_id, user_id, status, due_date);
CREATE INDEX commitments_made ON commitments (guild_id, team_id, created_week);
CREATE INDEX commitments_resolved ON commitments (guild_id, team_id, resolved_week, status, user_id, due_date, created_week) WHERE resolved_week IS NOT NULL;
CREATE INDEX commitments_open ON commitments (guild_id, team_id, status, due_date, created_week);

-- The partner's view of one commitment. A row exists once the partner is to be asked (not
-- for a partner who is the member or a bot, nor for commitments from before this migration).
CREATE TABLE partner_views (
    commitment_id INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    team_id       INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,   -- the member who made the commitment
    partner_id    INTEGER NOT NULL,
    agreement     TEXT CHECK (agreement IN ('agreed', 'talk')),
    agreed_at     INTEGER,
    verdict       TEXT CHECK (verdict IN ('kept', 'partly', 'missed')),
    verdict_at    INTEGER,
    -- Why the partner is not asked (again): they left the server, their DMs are closed, or
    -- they are a bot. NULL: reachable as far as the bot knows.
    unreachable   TEXT CHECK (unreachable IN ('left', 'dms_closed', 'bot')),
    created_at    INTEGER NOT NULL,
    CHECK ((agreement IS NULL) = (agreed_at IS NULL)),
    CHECK ((verdict IS NULL) = (verdict_at IS NULL))
);
CREATE INDEX partner_views_by_partner ON partner_views (guild_id, partner_id);
CREATE INDEX partner_views_by_member ON partner_views (guild_id, user_id);

-- What the bot still has to do for one commitment: `ask` (the partner's agree DM), `check`
-- (the partner's "was it kept?" DM, due two days after the due date or at once when it is
-- resolved), `talk` (telling the member the partner wants to discuss it), `board` (post or
-- edit its message on the team's board). A row goes once its work is done or moot.
-- WITHOUT ROWID: inserting here leaves last_insert_rowid() alone, so the check-in's batch
-- can still name the commitment it just inserted.
CREATE TABLE commitment_tasks (
    commitment_id INTEGER NOT NULL,
    task          TEXT NOT NULL CHECK (task IN ('ask', 'check', 'talk', 'board')),
    guild_id      INTEGER NOT NULL,
    team_id       INTEGER NOT NULL,
    due_at        INTEGER NOT NULL,
    -- `check`: when it is due if the commitment is not resolved (two days after its due
    -- date), to go back to when a resolution is undone.
    later_at      INTEGER,
    attempts      INTEGER NOT NULL DEFAULT 0,
    -- Bumped each time the task is queued again (a resolution while its board message is
    -- being posted): a run finishes only the version it read, so the later one still runs.
    queued        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (commitment_id, task)
) WITHOUT ROWID;
CREATE INDEX commitment_tasks_due ON commitment_tasks (due_at);

-- Board messages to delete: those of a commitment that is gone (`/forget`, `/checkin undo`,
-- a deleted team). Its delivery record went with it; the message's place is kept here.
CREATE TABLE board_removals (
    channel_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    guild_id   INTEGER NOT NULL,
    due_at     INTEGER NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (channel_id, message_id)
) WITHOUT ROWID;
CREATE INDEX board_removals_due ON board_removals (due_at);
