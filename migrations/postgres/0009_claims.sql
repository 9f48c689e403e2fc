-- Claims: the work the scheduler takes (a due job, a commitment's task, a team post, a board
-- message to delete) is claimed by one statement before it is done, so that several
-- connections, or several processes on one PostgreSQL database, never do it twice. A claim
-- names its holder (a token per running bot) and lasts a lease: a bot that stops cleanly
-- releases its claims; one that crashed holds them until the lease ends, and then whoever
-- claims next does the work (each delivery's record and nonce keep that to one message).
ALTER TABLE schedule ADD COLUMN claimed_by TEXT;
ALTER TABLE schedule ADD COLUMN claimed_until BIGINT;
ALTER TABLE commitment_tasks ADD COLUMN claimed_by TEXT;
ALTER TABLE commitment_tasks ADD COLUMN claimed_until BIGINT;
ALTER TABLE team_posts ADD COLUMN claimed_by TEXT;
ALTER TABLE team_posts ADD COLUMN claimed_until BIGINT;
ALTER TABLE board_removals ADD COLUMN claimed_by TEXT;
ALTER TABLE board_removals ADD COLUMN claimed_until BIGINT;
