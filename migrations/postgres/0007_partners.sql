-- Two-sided commitments and the team's board (issue 16).
--
-- A commitment made to a partner gets the partner's side beside the member's own: whether
-- they agreed to it, and whether it was kept in their eyes. What the bot still owes a
-- commitment (the DMs to the partner, the board's message) is queued per commitment; each
-- send is recorded in `deliveries` like every scheduled post, so it goes out once.

-- The team's board: one thread a week in this channel (NULL: no board).
ALTER TABLE teams ADD COLUMN board_channel_id BIGINT;

-- Commitments get `private` (`/checkin commitments private:true`: kept off the board). Their
-- ids are never handed out again: PostgreSQL's identity does not reuse them (SQLite needed
-- AUTOINCREMENT and a rebuild for it).
ALTER TABLE commitments ADD COLUMN private BOOLEAN NOT NULL DEFAULT FALSE;

-- The partner's view of one commitment. A row exists once the partner is to be asked (not
-- for a partner who is the member or a bot, nor for commitments from before this migration).
CREATE TABLE partner_views (
    commitment_id BIGINT PRIMARY KEY,
    guild_id      BIGINT NOT NULL,
    team_id       BIGINT NOT NULL,
    user_id       BIGINT NOT NULL,   -- the member who made the commitment
    partner_id    BIGINT NOT NULL,
    agreement     TEXT CHECK (agreement IN ('agreed', 'talk')),
    agreed_at     BIGINT,
    verdict       TEXT CHECK (verdict IN ('kept', 'partly', 'missed')),
    verdict_at    BIGINT,
    -- Why the partner is not asked (again): they left the server, their DMs are closed, or
    -- they are a bot. NULL: reachable as far as the bot knows.
    unreachable   TEXT CHECK (unreachable IN ('left', 'dms_closed', 'bot')),
    created_at    BIGINT NOT NULL,
    CHECK ((agreement IS NULL) = (agreed_at IS NULL)),
    CHECK ((verdict IS NULL) = (verdict_at IS NULL))
);
CREATE INDEX partner_views_by_partner ON partner_views (guild_id, partner_id);
CREATE INDEX partner_views_by_member ON partner_views (guild_id, user_id);

-- What the bot still has to do for one commitment: `ask` (the partner's agree DM), `check`
-- (the partner's "was it kept?" DM, due two days after the due date or at once when it is
-- resolved), `talk` (telling the member the partner wants to discuss it), `board` (post or
-- edit its message on the team's board). A row goes once its work is done or moot.
CREATE TABLE commitment_tasks (
    commitment_id BIGINT NOT NULL,
    task          TEXT NOT NULL CHECK (task IN ('ask', 'check', 'talk', 'board')),
    guild_id      BIGINT NOT NULL,
    team_id       BIGINT NOT NULL,
    due_at        BIGINT NOT NULL,
    -- `check`: when it is due if the commitment is not resolved (two days after its due
    -- date), to go back to when a resolution is undone.
    later_at      BIGINT,
    attempts      BIGINT NOT NULL DEFAULT 0,
    -- Bumped each time the task is queued again (a resolution while its board message is
    -- being posted): a run finishes only the version it read, so the later one still runs.
    queued        BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (commitment_id, task)
);
CREATE INDEX commitment_tasks_due ON commitment_tasks (due_at);

-- Board messages to delete: those of a commitment that is gone (`/forget`, `/checkin undo`,
-- a deleted team). Its delivery record went with it; the message's place is kept here.
CREATE TABLE board_removals (
    channel_id BIGINT NOT NULL,
    message_id BIGINT NOT NULL,
    guild_id   BIGINT NOT NULL,
    due_at     BIGINT NOT NULL,
    attempts   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (channel_id, message_id)
);
CREATE INDEX board_removals_due ON board_removals (due_at);
