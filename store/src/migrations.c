/*
 * migrations.c - the numbered schema migrations, the one source of truth
 * for both backends.  Each step is written side by side for SQLite and
 * PostgreSQL (the types differ: INTEGER/BLOB against BIGINT/BYTEA); the
 * tables, keys and constraints are the same.
 *
 * Rules: never edit a step that has shipped; add a new one at the end with
 * the next number.  A database whose newest applied version is above the
 * last step here is refused with TC_ESCHEMA (it was written by a newer
 * build).
 *
 * Schema v1 notes:
 * - verdicts.submission_id is the primary key: a submission has at most
 *   one final verdict, whoever tries to write a second one.
 * - event_heads holds each room's last seq; appends advance it in the same
 *   transaction that stores the events, so seqs are gap-free per room.
 *   It does not reference rooms: a room's timeline may be written before
 *   (or without) a rooms row, for example by a test or a replay import.
 * - events holds one row per non-Yjs event; event_chunks holds Yjs updates
 *   grouped per batch and compressed (format in chunk.c).
 */
#include "store_priv.h"

static const char v1_sqlite[] =
    "CREATE TABLE users ("
    " id TEXT PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL);"
    "CREATE TABLE problems ("
    " id TEXT PRIMARY KEY,"
    " title TEXT NOT NULL,"
    " time_limit_ms INTEGER NOT NULL CHECK (time_limit_ms > 0),"
    " mem_limit_mb INTEGER NOT NULL CHECK (mem_limit_mb > 0),"
    " created_ms INTEGER NOT NULL);"
    "CREATE TABLE problem_assets ("
    " problem_id TEXT NOT NULL REFERENCES problems (id) ON DELETE CASCADE,"
    " name TEXT NOT NULL,"
    " blob_key TEXT NOT NULL,"
    " hidden INTEGER NOT NULL CHECK (hidden IN (0, 1)),"
    " PRIMARY KEY (problem_id, name));"
    "CREATE TABLE rooms ("
    " id TEXT PRIMARY KEY,"
    " problem_id TEXT REFERENCES problems (id),"
    " created_ms INTEGER NOT NULL);"
    "CREATE TABLE room_members ("
    " room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,"
    " user_id TEXT NOT NULL REFERENCES users (id),"
    " role INTEGER NOT NULL CHECK (role BETWEEN 1 AND 3),"
    " joined_ms INTEGER NOT NULL,"
    " PRIMARY KEY (room_id, user_id));"
    "CREATE TABLE submissions ("
    " id TEXT PRIMARY KEY,"
    " room_id TEXT NOT NULL REFERENCES rooms (id),"
    " user_id TEXT NOT NULL REFERENCES users (id),"
    " problem_id TEXT NOT NULL REFERENCES problems (id),"
    " attempt INTEGER NOT NULL CHECK (attempt >= 1),"
    " lang TEXT NOT NULL,"
    " code_key TEXT NOT NULL,"
    " status INTEGER NOT NULL CHECK (status BETWEEN 1 AND 3),"
    " created_ms INTEGER NOT NULL,"
    " started_ms INTEGER,"
    " UNIQUE (room_id, user_id, problem_id, attempt));"
    "CREATE TABLE verdicts ("
    " submission_id TEXT PRIMARY KEY REFERENCES submissions (id) ON DELETE CASCADE,"
    " status TEXT NOT NULL,"
    " passed INTEGER NOT NULL,"
    " total INTEGER NOT NULL,"
    " time_ms INTEGER NOT NULL,"
    " result_key TEXT,"
    " stdout_key TEXT,"
    " stderr_key TEXT,"
    " finished_ms INTEGER NOT NULL);"
    "CREATE TABLE event_heads ("
    " room_id TEXT PRIMARY KEY,"
    " last_seq INTEGER NOT NULL CHECK (last_seq >= 0));"
    "CREATE TABLE events ("
    " room_id TEXT NOT NULL,"
    " seq INTEGER NOT NULL CHECK (seq >= 1),"
    " ts_ms INTEGER NOT NULL,"
    " type INTEGER NOT NULL,"
    " payload BLOB NOT NULL,"
    " PRIMARY KEY (room_id, seq)) WITHOUT ROWID;"
    "CREATE TABLE event_chunks ("
    " room_id TEXT NOT NULL,"
    " first_seq INTEGER NOT NULL CHECK (first_seq >= 1),"
    " last_seq INTEGER NOT NULL,"
    " count INTEGER NOT NULL CHECK (count >= 1),"
    " raw_len INTEGER NOT NULL,"
    " data BLOB NOT NULL,"
    " PRIMARY KEY (room_id, first_seq),"
    " CHECK (last_seq >= first_seq));"
    "CREATE INDEX event_chunks_last ON event_chunks (room_id, last_seq);"
    "CREATE INDEX submissions_room ON submissions (room_id, created_ms);";

static const char v1_pg[] =
    "CREATE TABLE users ("
    " id TEXT PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " created_ms BIGINT NOT NULL);"
    "CREATE TABLE problems ("
    " id TEXT PRIMARY KEY,"
    " title TEXT NOT NULL,"
    " time_limit_ms BIGINT NOT NULL CHECK (time_limit_ms > 0),"
    " mem_limit_mb BIGINT NOT NULL CHECK (mem_limit_mb > 0),"
    " created_ms BIGINT NOT NULL);"
    "CREATE TABLE problem_assets ("
    " problem_id TEXT NOT NULL REFERENCES problems (id) ON DELETE CASCADE,"
    " name TEXT NOT NULL,"
    " blob_key TEXT NOT NULL,"
    " hidden BIGINT NOT NULL CHECK (hidden IN (0, 1)),"
    " PRIMARY KEY (problem_id, name));"
    "CREATE TABLE rooms ("
    " id TEXT PRIMARY KEY,"
    " problem_id TEXT REFERENCES problems (id),"
    " created_ms BIGINT NOT NULL);"
    "CREATE TABLE room_members ("
    " room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,"
    " user_id TEXT NOT NULL REFERENCES users (id),"
    " role BIGINT NOT NULL CHECK (role BETWEEN 1 AND 3),"
    " joined_ms BIGINT NOT NULL,"
    " PRIMARY KEY (room_id, user_id));"
    "CREATE TABLE submissions ("
    " id TEXT PRIMARY KEY,"
    " room_id TEXT NOT NULL REFERENCES rooms (id),"
    " user_id TEXT NOT NULL REFERENCES users (id),"
    " problem_id TEXT NOT NULL REFERENCES problems (id),"
    " attempt BIGINT NOT NULL CHECK (attempt >= 1),"
    " lang TEXT NOT NULL,"
    " code_key TEXT NOT NULL,"
    " status BIGINT NOT NULL CHECK (status BETWEEN 1 AND 3),"
    " created_ms BIGINT NOT NULL,"
    " started_ms BIGINT,"
    " UNIQUE (room_id, user_id, problem_id, attempt));"
    "CREATE TABLE verdicts ("
    " submission_id TEXT PRIMARY KEY REFERENCES submissions (id) ON DELETE CASCADE,"
    " status TEXT NOT NULL,"
    " passed BIGINT NOT NULL,"
    " total BIGINT NOT NULL,"
    " time_ms BIGINT NOT NULL,"
    " result_key TEXT,"
    " stdout_key TEXT,"
    " stderr_key TEXT,"
    " finished_ms BIGINT NOT NULL);"
    "CREATE TABLE event_heads ("
    " room_id TEXT PRIMARY KEY,"
    " last_seq BIGINT NOT NULL CHECK (last_seq >= 0));"
    "CREATE TABLE events ("
    " room_id TEXT NOT NULL,"
    " seq BIGINT NOT NULL CHECK (seq >= 1),"
    " ts_ms BIGINT NOT NULL,"
    " type BIGINT NOT NULL,"
    " payload BYTEA NOT NULL,"
    " PRIMARY KEY (room_id, seq));"
    "CREATE TABLE event_chunks ("
    " room_id TEXT NOT NULL,"
    " first_seq BIGINT NOT NULL CHECK (first_seq >= 1),"
    " last_seq BIGINT NOT NULL,"
    " count BIGINT NOT NULL CHECK (count >= 1),"
    " raw_len BIGINT NOT NULL,"
    " data BYTEA NOT NULL,"
    " PRIMARY KEY (room_id, first_seq),"
    " CHECK (last_seq >= first_seq));"
    "CREATE INDEX event_chunks_last ON event_chunks (room_id, last_seq);"
    "CREATE INDEX submissions_room ON submissions (room_id, created_ms);";

const struct st_migration st__migrations[] = {
    {1, "initial schema: users, rooms, members, problems, submissions, verdicts, events", v1_sqlite,
        v1_pg},
};

const int st__nmigrations = (int)(sizeof(st__migrations) / sizeof(st__migrations[0]));
