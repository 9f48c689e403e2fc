-- How late a post went out, in seconds, when it went out more than a minute after it was due:
-- Discord's global limit on a bot's REST calls (50 a second, shared by all its processes)
-- spreads a burst of posts due at one moment over the next minutes, and `/setup show` says
-- so. NULL for a post on time and for everything from before.
ALTER TABLE deliveries ADD COLUMN late_secs INTEGER;
