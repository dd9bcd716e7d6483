/*
 * store/store.h - the durable store: rooms, members, problems, submissions
 * and verdicts, and each room's event timeline.
 *
 * One interface, two backends behind an ops table (store/src/store_priv.h):
 * SQLite (the embedded default, a file path such as ./data/tandem.db) and
 * PostgreSQL (selected by a postgres:// or postgresql:// URL).  Both run the
 * same numbered migrations on open and refuse a schema newer than they know.
 *
 * Threads and blocking: every st_ call below blocks on disk or network I/O,
 * so it runs on the core's worker pool, never on a scheduler thread.  A
 * store handle may be shared by threads: calls on one handle serialise on
 * its lock (one database connection per handle).
 *
 * Identifiers (users, rooms, problems, submissions) are text of 1 to
 * ST_ID_MAX bytes of [A-Za-z0-9_.:-]; anything else is TC_EINVAL.
 */
#ifndef STORE_STORE_H
#define STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define ST_ID_MAX 64
#define ST_NAME_MAX 128
#define ST_ERRMSG_MAX 512
/* Blob keys are lowercase hex SHA-256: 64 characters. */
#define ST_KEY_MAX 64

/* Hard caps on what one call may carry. */
#define ST_EVENT_PAYLOAD_MAX (1u << 20) /* one event's payload: 1 MiB */
#define ST_BATCH_MAX 10000              /* events in one append */
#define ST_TIMELINE_MAX 2000000         /* events one timeline read returns */
#define ST_CHUNK_MIN 32                 /* fewer Yjs updates than this stay rows */

struct st_store;

/* Options for st_open_ex; zero-initialise and set what you need. */
struct st_options {
	/* SQLite: how long to wait for another process's lock (default 5000). */
	unsigned busy_timeout_ms;
	/* PostgreSQL: connect timeout in seconds (default 5). */
	unsigned connect_timeout_s;
};

/*
 * st_open opens (creating if needed) the store named by target: a
 * postgres:// or postgresql:// URL selects PostgreSQL, anything else is a
 * SQLite file path (its directory is created).  Migrations run before it
 * returns.  On success *out is set and the caller owns it (st_free).  On
 * failure *out is NULL, and err (if not NULL) receives one line naming the
 * problem and what to do; the codes are:
 *   TC_EPERM        the data directory or file is not writable
 *   TC_EBUSY        the SQLite file is locked by another process
 *   TC_ECORRUPT     the SQLite file is not a database or is damaged
 *   TC_ECONNREFUSED the PostgreSQL server is unreachable
 *   TC_EAUTH        PostgreSQL refused the credentials
 *   TC_ENOENT       the PostgreSQL database does not exist
 *   TC_ESCHEMA      the schema is newer than this build knows
 *   TC_EDB, TC_EIO  anything else the database or disk reported
 * Thread: any.  Blocks: yes (connects, migrates).
 */
enum tc_err st_open(const char *target, struct st_store **out, char *err, size_t errlen);
enum tc_err st_open_ex(const char *target, const struct st_options *opts, struct st_store **out,
    char *err, size_t errlen);

/* st_free closes the connection and frees st; NULL is a no-op.  Blocks: yes. */
void st_free(struct st_store *st);

/* st_backend_name is "sqlite" or "postgres".  Thread: any.  Blocks: no. */
const char *st_backend_name(const struct st_store *st);

/*
 * st_last_error copies the text of the most recent failure on st (one
 * line) into buf.  Thread: any.  Blocks: on st's lock.
 */
void st_last_error(struct st_store *st, char *buf, size_t len);

/* st_schema_version reports the schema version applied (and known, the
 * newest this build knows).  Blocks: yes. */
enum tc_err st_schema_version(struct st_store *st, int *applied, int *known);

/* ---- users, rooms, members ---------------------------------------------- */

struct st_user {
	char id[ST_ID_MAX + 1];
	char name[ST_NAME_MAX + 1];
	int64_t created_ms;
};

enum st_role {
	ST_ROLE_VIEWER = 1,
	ST_ROLE_EDITOR = 2,
	ST_ROLE_OWNER = 3,
};

struct st_room {
	char id[ST_ID_MAX + 1];
	char problem_id[ST_ID_MAX + 1]; /* "" when the room has no problem */
	int64_t created_ms;
};

struct st_member {
	char user_id[ST_ID_MAX + 1];
	enum st_role role;
	int64_t joined_ms;
};

/* st_user_put creates or renames a user.  Blocks: yes. */
enum tc_err st_user_put(struct st_store *st, const char *id, const char *name);
/* st_user_get fills *out; TC_ENOENT when unknown.  Blocks: yes. */
enum tc_err st_user_get(struct st_store *st, const char *id, struct st_user *out);

/* st_room_create: TC_EEXIST if the room exists, TC_ENOENT if problem_id
 * (NULL or "" for none) is unknown.  Blocks: yes. */
enum tc_err st_room_create(struct st_store *st, const char *id, const char *problem_id);
enum tc_err st_room_get(struct st_store *st, const char *id, struct st_room *out);

/* st_member_set adds a user to a room or changes their role; TC_ENOENT if
 * the room or user is unknown.  Blocks: yes. */
enum tc_err st_member_set(
    struct st_store *st, const char *room, const char *user, enum st_role role);
/* st_members_list writes up to max members (ordered by user id) to out and
 * their count to *n.  Blocks: yes. */
enum tc_err st_members_list(
    struct st_store *st, const char *room, struct st_member *out, size_t max, size_t *n);

/* ---- problems and their assets ------------------------------------------ */

struct st_problem {
	char id[ST_ID_MAX + 1];
	char title[ST_NAME_MAX + 1];
	int64_t time_limit_ms;
	int64_t mem_limit_mb;
};

struct st_asset {
	char name[ST_NAME_MAX + 1]; /* path inside the problem: "tests/3.in" */
	char blob_key[ST_KEY_MAX + 1];
	bool hidden; /* hidden tests never reach a user's browser */
};

/* st_problem_put creates or updates a problem.  Blocks: yes. */
enum tc_err st_problem_put(struct st_store *st, const struct st_problem *p);
enum tc_err st_problem_get(struct st_store *st, const char *id, struct st_problem *out);
/* st_asset_put creates or replaces one asset of a problem (TC_ENOENT if the
 * problem is unknown).  Blocks: yes. */
enum tc_err st_asset_put(struct st_store *st, const char *problem, const struct st_asset *a);
/* st_assets_list: up to max assets ordered by name, count in *n. */
enum tc_err st_assets_list(
    struct st_store *st, const char *problem, struct st_asset *out, size_t max, size_t *n);

/* ---- submissions and their one verdict ---------------------------------- */

enum st_sub_status {
	ST_SUB_QUEUED = 1,
	ST_SUB_RUNNING = 2,
	ST_SUB_DONE = 3, /* has its final verdict */
};

/* The final verdict of a submission, as the judge reported it. */
struct st_verdict {
	char status[32]; /* ACCEPTED, WRONG_ANSWER, TIMEOUT, ... */
	int64_t passed;
	int64_t total;
	int64_t time_ms;
	char result_key[ST_KEY_MAX + 1]; /* blob keys; "" when absent */
	char stdout_key[ST_KEY_MAX + 1];
	char stderr_key[ST_KEY_MAX + 1];
	int64_t finished_ms;
};

struct st_submission {
	char id[ST_ID_MAX + 1];
	char room_id[ST_ID_MAX + 1];
	char user_id[ST_ID_MAX + 1];
	char problem_id[ST_ID_MAX + 1];
	int64_t attempt; /* 1, 2, ... per (room, user, problem) */
	char lang[32];
	char code_key[ST_KEY_MAX + 1]; /* blob key of the submitted code */
	enum st_sub_status status;
	int64_t created_ms;
	int64_t started_ms; /* 0 until running */
	bool has_verdict;
	struct st_verdict verdict; /* valid when has_verdict */
};

/*
 * st_submission_create records a queued submission (status, times and
 * verdict fields of s are ignored).  TC_EEXIST if the id, or the attempt
 * number for that room, user and problem, exists; TC_ENOENT if the room,
 * user or problem is unknown.  Blocks: yes.
 */
enum tc_err st_submission_create(struct st_store *st, const struct st_submission *s);
/* st_submission_start marks it running; TC_ESTATE if it already has its
 * verdict, TC_ENOENT if unknown.  Blocks: yes. */
enum tc_err st_submission_start(struct st_store *st, const char *id, int64_t started_ms);
/*
 * st_submission_finish records the one final verdict.  The schema holds at
 * most one verdict per submission, so a second call (a duplicate delivery
 * of the same job) returns TC_EEXIST and changes nothing.  TC_ENOENT if
 * the submission is unknown.  Blocks: yes.
 */
enum tc_err st_submission_finish(struct st_store *st, const char *id, const struct st_verdict *v);
enum tc_err st_submission_get(struct st_store *st, const char *id, struct st_submission *out);

/* ---- events: each room's timeline --------------------------------------- */

/* Event types the store knows; any other value 1..65535 is stored as is. */
enum st_event_type {
	ST_EV_YJS = 1,       /* a Yjs document update: stored in zstd chunks */
	ST_EV_CHAT = 2,      /* a chat message */
	ST_EV_PRESENCE = 3,  /* join, leave, role change */
	ST_EV_RUN = 4,       /* a run was requested */
	ST_EV_VERDICT = 5,   /* a run's verdict */
	ST_EV_AWARENESS = 6, /* cursor and selection changes worth replaying */
};

struct st_event {
	uint64_t seq;  /* 1, 2, ... per room, without gaps */
	int64_t ts_ms; /* wall-clock time, ms since the epoch */
	uint16_t type; /* enum st_event_type or room-defined */
	uint32_t len;  /* payload length, at most ST_EVENT_PAYLOAD_MAX */
	const uint8_t *payload;
};

/*
 * st_events_append stores n (1..ST_BATCH_MAX) events of one room in one
 * transaction: all or none.  When a batch holds at least ST_CHUNK_MIN Yjs
 * updates they are grouped into zstd chunks; otherwise they, like every
 * other event, are stored one row each until st_events_compact packs them
 * (a chunk of one or two updates would be larger than the updates).
 *
 * Sequence numbers: if evs[0].seq is 0 the store assigns the next numbers
 * and writes them into evs[i].seq.  Otherwise the events must carry
 * consecutive numbers starting just after the room's last stored seq:
 * TC_EEXIST when evs[0].seq is at or below it (already stored, so a retried
 * batch is harmless) and TC_ESTATE when it would leave a gap.
 * Payloads are borrowed for the call.  Blocks: yes.
 */
enum tc_err st_events_append(struct st_store *st, const char *room, struct st_event *evs, size_t n);

/* One room's part of a multi-room append. */
struct st_batch {
	const char *room;
	struct st_event *evs;
	size_t n;
	enum tc_err rv; /* out: this room's outcome when the call failed */
};

/*
 * st_events_append_batches is st_events_append for several rooms (each
 * room at most once, explicit seqs only) in ONE transaction, so a recorder flush costs one
 * commit.  All or nothing: on failure nothing is stored, the call returns
 * the first failure and b[i].rv says which room caused it (TC_EEXIST,
 * TC_ESTATE as for st_events_append; TC_OK for rooms that were fine).
 * Blocks: yes.
 */
enum tc_err st_events_append_batches(struct st_store *st, struct st_batch *b, size_t nb);

/*
 * st_events_compact packs a room's Yjs updates that were stored one row
 * each (batches with fewer than ST_CHUNK_MIN of them) into zstd chunks, in
 * one transaction, up to ST_BATCH_MAX events per call; *packed (may be
 * NULL) receives how many were packed.  Reads see the same timeline before
 * and after.  The recorder calls it as rows accumulate.  Blocks: yes.
 */
enum tc_err st_events_compact(struct st_store *st, const char *room, size_t *packed);

/* st_events_last_seq: the room's highest stored seq (0 if none).  Blocks: yes. */
enum tc_err st_events_last_seq(struct st_store *st, const char *room, uint64_t *seq);

/* A corrupt stretch of a timeline that could not be read. */
struct st_bad_range {
	uint64_t first_seq;
	uint64_t last_seq;
};

/* A timeline read's result; owned by the caller (st_timeline_free). */
struct st_timeline {
	size_t n;            /* events, ordered by seq */
	struct st_event *ev; /* payloads point into memory the timeline owns */
	size_t nbad;         /* stretches lost to corrupt chunks */
	struct st_bad_range *bad;
	uint64_t raw_bytes;          /* payload bytes before compression */
	uint64_t stored_bytes;       /* bytes as stored (chunks compressed) */
	char msg[ST_ERRMSG_MAX];     /* the first corruption, described */
	struct st_timeline_mem *mem; /* internal */
};

/*
 * st_timeline_read returns the events of room with from <= seq <= to, in
 * order, decompressed.  If a stored chunk fails its integrity checks, the
 * call returns TC_ECORRUPT but still sets *out with every readable event;
 * out->bad lists the lost stretches and out->msg says what failed.
 * TC_ETOOBIG past ST_TIMELINE_MAX events.  On any other error *out is NULL.
 * Blocks: yes.
 */
enum tc_err st_timeline_read(
    struct st_store *st, const char *room, uint64_t from, uint64_t to, struct st_timeline **out);
void st_timeline_free(struct st_timeline *tl);

/* ---- the chunk codec (exposed for tests, benches and fuzzing) ----------- */

#define ST_CHUNK_RAW_MAX (8u << 20) /* a chunk's decompressed size cap */

/*
 * st_chunk_encode compresses n events (seqs increasing) into one chunk;
 * *out is malloc'd and owned by the caller.  Thread: any.  Blocks: no (CPU).
 */
enum tc_err st_chunk_encode(const struct st_event *evs, size_t n, uint8_t **out, size_t *outlen);
/*
 * st_chunk_decode checks and decompresses a chunk.  On success *evs (n
 * events) and *mem are malloc'd and owned by the caller, the payloads point
 * into *mem: free(*evs), free(*mem).  TC_ECORRUPT (or TC_ETOOBIG) on any
 * malformed input, with a description in why.  Thread: any.  Blocks: no.
 */
enum tc_err st_chunk_decode(const uint8_t *buf, size_t len, struct st_event **evs, size_t *n,
    uint8_t **mem, char *why, size_t whylen);

#endif /* STORE_STORE_H */
