-- Discord accepts one IDENTIFY per five seconds for a bot (max_concurrency 1), across all its
-- processes. serenity spaces one process's shards; processes started together (two service
-- instances at boot) would identify at once. Each process that runs a range of shards
-- reserves the next free window here (next_free_ms: when the next process may start
-- identifying, unix milliseconds) and waits for it.
CREATE TABLE identify_window (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    next_free_ms INTEGER NOT NULL
);
INSERT INTO identify_window (id, next_free_ms) VALUES (1, 0);
