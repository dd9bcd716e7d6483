#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testdb.h"
#include "xt.h"

bool
tdb_available(enum tdb_kind kind)
{
	if (kind == TDB_SQLITE)
		return true;
	const char *url = getenv("TANDEM_PG_URL");
	return url != NULL && url[0] != '\0';
}

void
tdb_pg_url_for(const char *url, const char *db, char *out, size_t outlen)
{
	const char *hostpart = strstr(url, "://");
	hostpart = hostpart != NULL ? hostpart + 3 : url;
	const char *slash = strchr(hostpart, '/');
	const char *query = strchr(hostpart, '?');
	size_t head = slash != NULL   ? (size_t)(slash - url)
	              : query != NULL ? (size_t)(query - url)
	                              : strlen(url);
	snprintf(out, outlen, "%.*s/%s%s", (int)head, url, db, query != NULL ? query : "");
}

static void
pg_admin(const char *url, const char *sql)
{
	PGconn *c = PQconnectdb(url);
	cr_assert(PQstatus(c) == CONNECTION_OK, "connect %s: %s", url, PQerrorMessage(c));
	PGresult *r = PQexec(c, sql);
	cr_assert(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK,
	    "%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

static void tdb_pg_ensure_running(void);

void
tdb_init(struct tdb *t, enum tdb_kind kind, const char *tag)
{
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	if (kind == TDB_SQLITE) {
		t->dir = xt_tmpdir(tag);
		cr_assert(t->dir != NULL);
		snprintf(t->target, sizeof(t->target), "%s/data/tandem.db", t->dir);
		return;
	}
	/* A test that stopped the shared server and then failed leaves it
	 * down; bring it back so one failure does not fail every later test. */
	if (tdb_pg_ctl_available())
		tdb_pg_ensure_running();
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(t->admin, sizeof(t->admin), "%s", getenv("TANDEM_PG_URL"));
	snprintf(t->dbname, sizeof(t->dbname), "t_%ld_%ld_%ld", (long)getpid(), (long)ts.tv_sec,
	    (long)(ts.tv_nsec / 1000));
	char sql[128];
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", t->dbname);
	pg_admin(t->admin, sql);
	tdb_pg_url_for(t->admin, t->dbname, t->target, sizeof(t->target));
}

void
tdb_fini(struct tdb *t)
{
	if (t->kind == TDB_SQLITE) {
		xt_rmtree(t->dir);
		free(t->dir);
		t->dir = NULL;
		return;
	}
	if (t->dbname[0] != '\0') {
		char sql[160];
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", t->dbname);
		pg_admin(t->admin, sql);
		t->dbname[0] = '\0';
	}
}

void
tdb_exec(struct tdb *t, const char *sqlite_sql, const char *pg_sql)
{
	if (t->kind == TDB_PG) {
		pg_admin(t->target, pg_sql);
		return;
	}
	sqlite3 *db = NULL;
	cr_assert(sqlite3_open(t->target, &db) == SQLITE_OK);
	char *err = NULL;
	int rc = sqlite3_exec(db, sqlite_sql, NULL, NULL, &err);
	cr_assert(rc == SQLITE_OK, "%s: %s", sqlite_sql, err != NULL ? err : "?");
	sqlite3_close(db);
}

bool
tdb_try_exec(struct tdb *t, const char *sqlite_sql, const char *pg_sql)
{
	if (t->kind == TDB_PG) {
		PGconn *c = PQconnectdb(t->target);
		cr_assert(PQstatus(c) == CONNECTION_OK, "connect: %s", PQerrorMessage(c));
		PGresult *r = PQexec(c, pg_sql);
		bool ok =
		    PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
		PQclear(r);
		PQfinish(c);
		return ok;
	}
	sqlite3 *db = NULL;
	cr_assert(sqlite3_open(t->target, &db) == SQLITE_OK);
	sqlite3_exec(db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
	int rc = sqlite3_exec(db, sqlite_sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK;
}

bool
tdb_pg_ctl_available(void)
{
	return tdb_available(TDB_PG) && getenv("TANDEM_PG_DIR") != NULL &&
	       getenv("TANDEM_PG_BIN") != NULL;
}

void
tdb_pg_ctl(const char *action)
{
	const char *bin = getenv("TANDEM_PG_BIN"), *dir = getenv("TANDEM_PG_DIR");
	const char *runas = getenv("TANDEM_PG_RUNAS");
	bool as = runas != NULL && runas[0] != '\0';
	char cmd[2048];
	cr_assert(bin != NULL && dir != NULL);
	snprintf(cmd, sizeof(cmd),
	    "%s%s%s '%s/pg_ctl' -D '%s/data' -m fast -w -t 60 -l '%s/server.log' %s >/dev/null",
	    as ? "runuser -u " : "", as ? runas : "", as ? " --" : "", bin, dir, dir, action);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

static void
tdb_pg_ensure_running(void)
{
	const char *bin = getenv("TANDEM_PG_BIN"), *dir = getenv("TANDEM_PG_DIR");
	const char *runas = getenv("TANDEM_PG_RUNAS");
	bool as = runas != NULL && runas[0] != '\0';
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "%s%s%s '%s/pg_ctl' -D '%s/data' status >/dev/null 2>&1",
	    as ? "runuser -u " : "", as ? runas : "", as ? " --" : "", bin, dir);
	if (system(cmd) == 0)
		return;
	/* Several test processes may race to start it: whoever wins, wait
	 * until it accepts connections. */
	char start[2048], ready[2048];
	snprintf(start, sizeof(start),
	    "%s%s%s '%s/pg_ctl' -D '%s/data' -w -t 60 -l '%s/server.log' start >/dev/null 2>&1",
	    as ? "runuser -u " : "", as ? runas : "", as ? " --" : "", bin, dir, dir);
	snprintf(
	    ready, sizeof(ready), "'%s/pg_isready' -q -d '%s' -t 5", bin, getenv("TANDEM_PG_URL"));
	(void)system(start);
	uint64_t end = xt_now_ms() + 60000;
	while (system(ready) != 0)
		cr_assert(xt_now_ms() < end, "the PostgreSQL server did not come back");
}
