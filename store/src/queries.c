/*
 * queries.c - the text of every query the store runs, shared by both
 * backends ('?' placeholders; PostgreSQL's backend numbers them).  Both
 * databases accept this SQL: INSERT ... ON CONFLICT, RETURNING, LEFT JOIN.
 */
#include "store_priv.h"

const struct st_query st__queries[Q_COUNT] = {
    [Q_MIGRATIONS_MAX] = {"SELECT COALESCE(MAX(version), 0) FROM schema_migrations", NULL},
    [Q_MIGRATION_INSERT] = {"INSERT INTO schema_migrations (version, name, applied_ms) "
                            "VALUES (?, ?, ?)",
        NULL},
    [Q_USER_PUT] = {"INSERT INTO users (id, name, created_ms) VALUES (?, ?, ?) "
                    "ON CONFLICT (id) DO UPDATE SET name = excluded.name",
        NULL},
    [Q_USER_GET] = {"SELECT id, name, created_ms FROM users WHERE id = ?", NULL},
    [Q_ROOM_CREATE] = {"INSERT INTO rooms (id, problem_id, created_ms) VALUES (?, ?, ?)", NULL},
    [Q_ROOM_GET] = {"SELECT id, problem_id, created_ms FROM rooms WHERE id = ?", NULL},
    [Q_MEMBER_SET] = {"INSERT INTO room_members (room_id, user_id, role, joined_ms) "
                      "VALUES (?, ?, ?, ?) "
                      "ON CONFLICT (room_id, user_id) DO UPDATE SET role = excluded.role",
        NULL},
    [Q_MEMBERS_LIST] = {"SELECT user_id, role, joined_ms FROM room_members "
                        "WHERE room_id = ? ORDER BY user_id",
        NULL},
    [Q_PROBLEM_PUT] = {"INSERT INTO problems (id, title, time_limit_ms, mem_limit_mb, created_ms) "
                       "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                       "title = excluded.title, time_limit_ms = excluded.time_limit_ms, "
                       "mem_limit_mb = excluded.mem_limit_mb",
        NULL},
    [Q_PROBLEM_GET] = {"SELECT id, title, time_limit_ms, mem_limit_mb FROM problems "
                       "WHERE id = ?",
        NULL},
    [Q_ASSET_PUT] = {"INSERT INTO problem_assets (problem_id, name, blob_key, hidden) "
                     "VALUES (?, ?, ?, ?) ON CONFLICT (problem_id, name) DO UPDATE SET "
                     "blob_key = excluded.blob_key, hidden = excluded.hidden",
        NULL},
    [Q_ASSETS_LIST] = {"SELECT name, blob_key, hidden FROM problem_assets "
                       "WHERE problem_id = ? ORDER BY name",
        NULL},
    [Q_SUB_CREATE] = {"INSERT INTO submissions (id, room_id, user_id, problem_id, attempt, lang, "
                      "code_key, status, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)",
        NULL},
    [Q_SUB_START] = {"UPDATE submissions SET status = 2, started_ms = ? "
                     "WHERE id = ? AND status <> 3",
        NULL},
    [Q_SUB_STATUS] = {"SELECT status FROM submissions WHERE id = ?", NULL},
    [Q_VERDICT_INSERT] = {"INSERT INTO verdicts (submission_id, status, passed, total, time_ms, "
                          "result_key, stdout_key, stderr_key, finished_ms) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        NULL},
    [Q_SUB_DONE] = {"UPDATE submissions SET status = 3 WHERE id = ?", NULL},
    [Q_SUB_GET] = {"SELECT s.id, s.room_id, s.user_id, s.problem_id, s.attempt, s.lang, "
                   "s.code_key, s.status, s.created_ms, s.started_ms, v.status, v.passed, "
                   "v.total, v.time_ms, v.result_key, v.stdout_key, v.stderr_key, "
                   "v.finished_ms FROM submissions s "
                   "LEFT JOIN verdicts v ON v.submission_id = s.id WHERE s.id = ?",
        NULL},
    [Q_HEAD_ADVANCE] = {"INSERT INTO event_heads (room_id, last_seq) VALUES (?, ?) "
                        "ON CONFLICT (room_id) DO UPDATE SET "
                        "last_seq = event_heads.last_seq + excluded.last_seq RETURNING last_seq",
        NULL},
    [Q_HEAD_GET] = {"SELECT last_seq FROM event_heads WHERE room_id = ?", NULL},
    [Q_EVENT_INSERT] = {"INSERT INTO events (room_id, seq, ts_ms, type, payload) "
                        "VALUES (?, ?, ?, ?, ?)",
        NULL},
    [Q_EVENT_INSERT4] = {"INSERT INTO events (room_id, seq, ts_ms, type, payload) VALUES "
                         "(?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)",
        NULL},
    [Q_EVENT_INSERT16] = {"INSERT INTO events (room_id, seq, ts_ms, type, payload) VALUES "
                          "(?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?), "
                          "(?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?), "
                          "(?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?), "
                          "(?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)",
        NULL},
    [Q_CHUNK_INSERT] = {"INSERT INTO event_chunks (room_id, first_seq, last_seq, count, raw_len, "
                        "data) VALUES (?, ?, ?, ?, ?, ?)",
        NULL},
    [Q_EVENTS_RANGE] = {"SELECT seq, ts_ms, type, payload FROM events "
                        "WHERE room_id = ? AND seq >= ? AND seq <= ? ORDER BY seq",
        NULL},
    [Q_YJS_ROWS] = {"SELECT seq, ts_ms, type, payload FROM events "
                    "WHERE room_id = ? AND type = 1 ORDER BY seq LIMIT ?",
        NULL},
    [Q_YJS_ROWS_DELETE] = {"DELETE FROM events WHERE room_id = ? AND type = 1 "
                           "AND seq >= ? AND seq <= ?",
        NULL},
    [Q_CHUNKS_RANGE] = {"SELECT first_seq, last_seq, count, data FROM event_chunks "
                        "WHERE room_id = ? AND last_seq >= ? AND first_seq <= ? "
                        "ORDER BY first_seq",
        NULL},
};
