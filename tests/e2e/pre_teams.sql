-- A server as the bot stored it before teams (migrations 0001-0004), written into every
-- TestApp's database before the bot starts, so that every end-to-end test runs on a database
-- the bot's own start migrates (0005). The server is helpers::OLD_GUILD
-- (900000000000000900): daily post in its #general (…901) at 09:00 Berlin on weekdays, the
-- digest in …902 on Mondays at 16:00, lead role …903. Its members are the tests' MEMBER
-- (500000000000000001) and the two after it, so every test that reads MEMBER's data in its
-- own guild also checks that nothing of another guild leaks in.
--
-- The jobs are due in 2036: no test's clock gets there, so the bot never posts for this
-- server unless a test moves a job (helpers::OldJobs). No retention job: the bot schedules
-- its own at start, and tests wait for that write.
INSERT INTO guilds (guild_id, language, timezone, daily_channel_id, daily_time, daily_weekdays_only,
    digest_channel_id, digest_day, digest_time, lead_role_id, retention_weeks, created_at, updated_at)
    VALUES (900000000000000900, 'en', 'Europe/Berlin', 900000000000000901, '09:00', 1,
            900000000000000902, 'mon', '16:00', 900000000000000903, 52, 1793491200, 1793491200);
INSERT INTO schedule (kind, guild_id, user_id, due_at, period_date, attempts) VALUES
    ('daily', 900000000000000900, 0, 2083305600, '2036-01-07', 0),
    ('digest', 900000000000000900, 0, 2083330800, '2036-01-07', 0),
    ('reminder', 900000000000000900, 500000000000000001, 2083680000, '2036-01-11', 0);
INSERT INTO members (guild_id, user_id, timezone, remind_day, remind_time, lang, created_at, updated_at)
    VALUES (900000000000000900, 500000000000000001, 'Europe/Berlin', 'fri', '17:00', 'en', 1793491200, 1793491200);
INSERT INTO away (guild_id, user_id, start_date, end_date, created_at)
    VALUES (900000000000000900, 500000000000000002, '2026-11-30', '2026-12-04', 1795446000);
-- Week 2026-W47: three members rate communication (4, 2, 5) and resolve a commitment each
-- (kept, partly, missed); one commitment stays open. One more rating in W48.
INSERT INTO checkins (guild_id, user_id, kind, local_date, iso_week, rating, outcome, went_well, improve, blocker, partner_id, created_at, updated_at) VALUES
    (900000000000000900, 500000000000000001, 'communication', '2026-11-16', '2026-W47', 4, NULL, 'the old demo', 'fewer meetings', NULL, 500000000000000002, 1794852000, 1794852000),
    (900000000000000900, 500000000000000002, 'communication', '2026-11-17', '2026-W47', 2, NULL, NULL, 'answer within a day', NULL, NULL, 1794938400, 1794938400),
    (900000000000000900, 500000000000000003, 'communication', '2026-11-18', '2026-W47', 5, NULL, 'clear owners', NULL, NULL, NULL, 1795024800, 1795024800),
    (900000000000000900, 500000000000000001, 'commitments', '2026-11-19', '2026-W47', NULL, 'kept', NULL, NULL, 'waiting on legal', NULL, 1795111200, 1795111200),
    (900000000000000900, 500000000000000002, 'commitments', '2026-11-19', '2026-W47', NULL, 'partly', NULL, NULL, NULL, NULL, 1795111200, 1795111200),
    (900000000000000900, 500000000000000003, 'commitments', '2026-11-20', '2026-W47', NULL, 'missed', NULL, NULL, 'the vendor was late', NULL, 1795197600, 1795197600),
    (900000000000000900, 500000000000000001, 'communication', '2026-11-24', '2026-W48', 3, NULL, NULL, NULL, NULL, NULL, 1795543200, 1795543200);
INSERT INTO commitments (guild_id, user_id, text, due_date, partner_id, status, created_week, resolved_week, created_at, resolved_at) VALUES
    (900000000000000900, 500000000000000001, 'send the old draft', '2026-11-18', 500000000000000002, 'kept', '2026-W47', '2026-W47', 1794852000, 1795111200),
    (900000000000000900, 500000000000000002, 'call the old vendor', '2026-11-19', NULL, 'partly', '2026-W47', '2026-W47', 1794938400, 1795111200),
    (900000000000000900, 500000000000000003, 'fix the old build', '2026-11-20', NULL, 'missed', '2026-W47', '2026-W47', 1795024800, 1795197600),
    (900000000000000900, 500000000000000001, 'review the old contract', '2026-12-04', NULL, 'open', '2026-W47', NULL, 1795111200, NULL);
-- What went out: Thursday's daily post, W47's digest (posted Monday of W48, recorded under the
-- week it covers, as 0004 keys it), a reminder that met closed DMs.
INSERT INTO deliveries (kind, guild_id, user_id, period, status, channel_id, message_id, principle, attempts, last_error, created_at, updated_at) VALUES
    ('daily', 900000000000000900, 0, '2026-11-26', 'sent', 900000000000000901, 900000000000005000, 3, 0, NULL, 1795680000, 1795680000),
    ('digest', 900000000000000900, 0, '2026-W47', 'sent', 900000000000000902, 900000000000005001, 4, 0, NULL, 1795446000, 1795446000),
    ('reminder', 900000000000000900, 500000000000000001, '2026-W47', 'failed', NULL, NULL, NULL, 1, 'HTTP 403 code 50007', 1795190400, 1795190400);
