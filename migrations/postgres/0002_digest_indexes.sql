-- Indexes that let a digest read a week without touching its rows.
--
-- The week's counts (answers by kind, the 1-5 distribution, who checked in) come from this
-- index alone: it replaces checkins_by_week, whose columns are its prefix.
CREATE INDEX checkins_week_figures ON checkins (guild_id, iso_week, user_id, kind, rating);
DROP INDEX checkins_by_week;

-- The newest notes of a week: walked backwards from the newest id, stopping after a few,
-- instead of sorting every row of the week. Partial, so rows without that note cost nothing.
CREATE INDEX checkins_went_well ON checkins (guild_id, iso_week, id) WHERE went_well IS NOT NULL;
CREATE INDEX checkins_improve ON checkins (guild_id, iso_week, id) WHERE improve IS NOT NULL;
CREATE INDEX checkins_blocker ON checkins (guild_id, iso_week, id) WHERE blocker IS NOT NULL;
