/*
 * store_priv.h - what the store's domain layer (store.c) and its backends
 * (sqlite.c, postgres.c) share: the backend ops table, query ids and the
 * value type rows and parameters travel in.
 *
 * The domain layer writes each operation once, as named queries run inside
 * transactions; a backend only knows how to prepare, bind, step and map
 * errors.  Query text uses '?' placeholders; the PostgreSQL backend
 * rewrites them to $1, $2, ... when it prepares.
 */
#ifndef STORE_PRIV_H
#define STORE_PRIV_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>

#include "store/store.h"

enum st_vt {
	ST_V_NULL = 0,
	ST_V_INT,
	ST_V_TEXT,
	ST_V_BLOB,
};

/* A parameter or column value.  Text and blobs are borrowed: parameters for
 * the call, columns until the row callback returns. */
struct st_val {
	enum st_vt t;
	int64_t i;
	const void *p;
	size_t n;
};

/* A row callback: return 0 to continue, non-zero to stop stepping. */
typedef int (*st_row_fn)(void *arg, const struct st_val *cols, int ncols);

/* Every query the store runs; text in queries.c. */
enum st_q {
	Q_MIGRATIONS_MAX,
	Q_MIGRATION_INSERT,
	Q_USER_PUT,
	Q_USER_GET,
	Q_ROOM_CREATE,
	Q_ROOM_GET,
	Q_MEMBER_SET,
	Q_MEMBERS_LIST,
	Q_PROBLEM_PUT,
	Q_PROBLEM_GET,
	Q_ASSET_PUT,
	Q_ASSETS_LIST,
	Q_SUB_CREATE,
	Q_SUB_START,
	Q_SUB_STATUS,
	Q_VERDICT_INSERT,
	Q_SUB_DONE,
	Q_SUB_GET,
	Q_HEAD_ADVANCE,
	Q_HEAD_GET,
	Q_EVENT_INSERT,
	Q_EVENT_INSERT4, /* 4 and 16 rows per statement: fewer round trips */
	Q_EVENT_INSERT16,
	Q_CHUNK_INSERT,
	Q_EVENTS_RANGE,
	Q_YJS_ROWS,
	Q_YJS_ROWS_DELETE,
	Q_CHUNKS_RANGE,
	Q_COUNT,
};

struct st_query {
	const char *sql; /* both backends */
	const char *pg;  /* PostgreSQL's text when it differs, else NULL */
};

extern const struct st_query st__queries[Q_COUNT];

/* One numbered migration; versions are 1, 2, ... with no gaps. */
struct st_migration {
	int version;
	const char *name;
	const char *sqlite;
	const char *pg;
};

extern const struct st_migration st__migrations[];
extern const int st__nmigrations;

struct st_ops {
	const char *name;
	/* Connect; on failure write one line to st->errmsg.  Blocks: yes. */
	enum tc_err (*open)(struct st_store *st, const char *target, const struct st_options *o);
	void (*close)(struct st_store *st);
	/* Run a multi-statement script (migrations), inside the open tx. */
	enum tc_err (*script)(struct st_store *st, const char *sql);
	/* Start a write transaction (SQLite: BEGIN IMMEDIATE). */
	enum tc_err (*begin)(struct st_store *st);
	enum tc_err (*commit)(struct st_store *st);
	void (*rollback)(struct st_store *st);
	/* Serialise schema migrations between processes (inside a tx). */
	enum tc_err (*migrate_lock)(struct st_store *st);
	/*
	 * Run query q with its parameters; call fn for each row (fn may be
	 * NULL).  *changes (if not NULL) receives the rows changed.
	 * Returns TC_EEXIST on a unique violation, TC_ENOENT on a foreign key
	 * violation, TC_ECLOSED when the connection was lost (the caller may
	 * retry the transaction), TC_EBUSY when locked, TC_EDB otherwise.
	 */
	enum tc_err (*exec)(struct st_store *st, enum st_q q, const struct st_val *args, int nargs,
	    st_row_fn fn, void *arg, int64_t *changes);
};

extern const struct st_ops st__sqlite_ops;
extern const struct st_ops st__pg_ops;

struct st_store {
	const struct st_ops *ops;
	void *impl;                 /* the backend's connection state */
	pthread_mutex_t mu;         /* serialises every call on this handle */
	char errmsg[ST_ERRMSG_MAX]; /* guarded by mu */
	char target_desc[256];      /* the database named without secrets */
	bool opening;               /* st_open reports its own failure: do not log it */
};

/* st__seterr formats the handle's last error text and logs it when the
 * code is not an expected outcome (EEXIST, ENOENT, ESTATE). */
enum tc_err st__seterr(struct st_store *st, enum tc_err code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* STORE_PRIV_H */
