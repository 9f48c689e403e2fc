-- The team charter (common goals, working agreements) and public thanks (issue 17).

-- One goal or agreement of a team: proposed with buttons to agree, adopted by a majority of
-- the team's active members or by a lead, reviewed on its review date, or expired.
CREATE TABLE charter_items (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: buttons and records name it
    guild_id     INTEGER NOT NULL,
    team_id      INTEGER NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('goal', 'agreement')),
    text         TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 300),
    author_id    INTEGER,             -- NULL once the author used /forget: the item stays the team's
    status       TEXT NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'adopted', 'expired', 'retired')),
    proposed_at  INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,    -- a proposal not adopted by then expires
    adopted_at   INTEGER,
    adopted_by   TEXT CHECK (adopted_by IN ('majority', 'lead')),
    review_on    TEXT,                -- local date; the digest lists items due by its week's end
    retired_at   INTEGER,
    channel_id   INTEGER NOT NULL     -- where the proposal is posted
);
CREATE INDEX charter_by_team ON charter_items (guild_id, team_id, status, review_on);
CREATE INDEX charter_expiring ON charter_items (expires_at) WHERE status = 'proposed';
CREATE INDEX charter_by_author ON charter_items (guild_id, author_id);

-- One vote per member and proposal, changeable.
CREATE TABLE charter_votes (
    item_id  INTEGER NOT NULL,
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    vote     TEXT NOT NULL CHECK (vote IN ('agree', 'not_yet')),
    voted_at INTEGER NOT NULL,
    PRIMARY KEY (item_id, user_id)
) WITHOUT ROWID;
CREATE INDEX charter_votes_by_member ON charter_votes (guild_id, user_id);

-- A public thank-you in the team's channel.
CREATE TABLE thanks (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: its delivery record names it
    guild_id   INTEGER NOT NULL,
    team_id    INTEGER NOT NULL,
    from_id    INTEGER NOT NULL,
    to_id      INTEGER,               -- NULL once the member thanked used /forget
    note       TEXT NOT NULL CHECK (length(note) BETWEEN 1 AND 300),
    principle  INTEGER CHECK (principle BETWEEN 1 AND 10),
    local_date TEXT NOT NULL,         -- the giver's day in the team's zone (five a day at most)
    iso_week   TEXT NOT NULL,
    channel_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX thanks_by_giver ON thanks (guild_id, from_id, local_date);
CREATE INDEX thanks_by_week ON thanks (guild_id, team_id, iso_week);
CREATE INDEX thanks_by_receiver ON thanks (guild_id, to_id);

-- Messages the bot owes the charter and thanks: a proposal to post or to edit (a vote, its
-- adoption, its expiry), a thank-you to post. Each post has a delivery record like every
-- scheduled post (`deliveries`, kind `charter` / `thanks`, period = the row's id).
CREATE TABLE team_posts (
    kind     TEXT NOT NULL CHECK (kind IN ('charter', 'thanks')),
    ref_id   INTEGER NOT NULL,
    guild_id INTEGER NOT NULL,
    team_id  INTEGER NOT NULL,
    due_at   INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    queued   INTEGER NOT NULL DEFAULT 0,  -- bumped when queued again (see commitment_tasks)
    PRIMARY KEY (kind, ref_id)
) WITHOUT ROWID;
CREATE INDEX team_posts_due ON team_posts (due_at);
