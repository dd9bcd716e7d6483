/*
 * testdb.h - a fresh, private database for one store test, on either
 * backend, so one test source runs against SQLite and PostgreSQL.
 *
 * SQLite: a file in a new temp directory.  PostgreSQL: a new database
 * created beside the one TANDEM_PG_URL names (tools/lib/pg.sh exports it);
 * without it the test is skipped, or fails when TANDEM_REQUIRE_ALL is set.
 */
#ifndef TESTDB_H
#define TESTDB_H

#include <stdbool.h>
#include <stddef.h>

enum tdb_kind {
	TDB_SQLITE,
	TDB_PG,
};

#ifdef ST_TEST_PG
#define TDB_DEFAULT TDB_PG
#else
#define TDB_DEFAULT TDB_SQLITE
#endif

struct tdb {
	enum tdb_kind kind;
	char target[1024]; /* what st_open takes */
	char *dir;         /* SQLite: the temp directory */
	char dbname[64];   /* PostgreSQL: the database created */
	char admin[1024];  /* PostgreSQL: TANDEM_PG_URL */
};

/* tdb_available reports whether kind can run here (PG needs a server). */
bool tdb_available(enum tdb_kind kind);

/* tdb_init creates the database (asserting on failure); call
 * xt_require(tdb_available(kind), ...) first. */
void tdb_init(struct tdb *t, enum tdb_kind kind, const char *tag);

/* tdb_fini drops the database; every store handle on it must be closed. */
void tdb_fini(struct tdb *t);

/* tdb_exec runs raw SQL on the database, the text for its backend. */
void tdb_exec(struct tdb *t, const char *sqlite_sql, const char *pg_sql);

/* tdb_try_exec is tdb_exec that reports failure instead of asserting. */
bool tdb_try_exec(struct tdb *t, const char *sqlite_sql, const char *pg_sql);

/* tdb_pg_ctl runs pg_ctl ACTION (stop, start, restart) on the cluster of
 * tools/lib/pg.sh (TANDEM_PG_DIR, TANDEM_PG_BIN, TANDEM_PG_RUNAS), waiting
 * for it to finish; asserts success. */
void tdb_pg_ctl(const char *action);

/* tdb_pg_ctl_available: whether those variables are set. */
bool tdb_pg_ctl_available(void);

/* tdb_pg_url_for writes url with its database name replaced by db. */
void tdb_pg_url_for(const char *url, const char *db, char *out, size_t outlen);

#endif /* TESTDB_H */
