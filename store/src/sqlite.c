/*
 * sqlite.c - the SQLite backend: the embedded default.
 *
 * Design notes.  One connection per handle (the domain layer serialises
 * calls, so the connection is opened SQLITE_OPEN_NOMUTEX).  WAL journal,
 * synchronous=FULL (an acknowledged commit survives power loss, not just a
 * process crash), foreign keys on, a busy timeout for other processes.
 * Statements are prepared once, on first use, and kept.  Write
 * transactions start with BEGIN IMMEDIATE so a writer takes the lock up
 * front instead of failing on upgrade.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_priv.h"

struct sq {
	sqlite3 *db;
	sqlite3_stmt *stmts[Q_COUNT];
	char path[4096];
	unsigned busy_ms;
};

static enum tc_err
map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return TC_OK;
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
			return TC_ENOENT;
		if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
			return TC_EEXIST;
		return TC_EINVAL;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return TC_EBUSY;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return TC_ECORRUPT;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return TC_EPERM;
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
	case SQLITE_FULL:
		return TC_EIO;
	case SQLITE_NOMEM:
		return TC_ENOMEM;
	default:
		return TC_EDB;
	}
}

/* fail records a failure of op with what to do about it. */
static enum tc_err
fail(struct st_store *st, int rc, const char *op)
{
	struct sq *s = st->impl;
	enum tc_err code = map_rc(rc);
	const char *msg = s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
	switch (code) {
	case TC_EBUSY:
		return st__seterr(st, code,
		    "sqlite database %s is locked by another process (waited %u ms during %s): "
		    "stop the other tandem process or use another database file",
		    s->path, s->busy_ms, op);
	case TC_ECORRUPT:
		return st__seterr(st, code,
		    "%s is not a SQLite database or is damaged (%s): move it aside and restore "
		    "it from a backup, or start with a new file",
		    s->path, msg);
	case TC_EPERM:
		return st__seterr(st, code,
		    "sqlite database %s is not writable (%s): fix its permissions or choose "
		    "another path",
		    s->path, msg);
	case TC_EIO:
		return st__seterr(st, code,
		    "cannot write sqlite database %s (%s during %s): check the disk and the "
		    "directory's permissions",
		    s->path, msg, op);
	default:
		return st__seterr(st, code, "sqlite %s on %s: %s", op, s->path, msg);
	}
}

/* mkdirs creates every missing directory of path's parent. */
static int
mkdirs_parent(const char *path)
{
	char buf[4096];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return ENAMETOOLONG;
	char *slash = strrchr(buf, '/');
	if (slash == NULL || slash == buf)
		return 0;
	*slash = '\0';
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0750) != 0 && errno != EEXIST)
			return errno;
		*p = '/';
	}
	if (mkdir(buf, 0750) != 0 && errno != EEXIST)
		return errno;
	struct stat sb;
	if (stat(buf, &sb) != 0)
		return errno;
	if (!S_ISDIR(sb.st_mode))
		return ENOTDIR;
	if (access(buf, W_OK | X_OK) != 0)
		return errno;
	return 0;
}

static enum tc_err
script(struct st_store *st, const char *sql)
{
	struct sq *s = st->impl;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? TC_OK : fail(st, rc, "a schema change");
}

static void
sq_close(struct st_store *st)
{
	struct sq *s = st->impl;
	if (s == NULL)
		return;
	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(s->stmts[i]);
	sqlite3_close_v2(s->db);
	free(s);
	st->impl = NULL;
}

static enum tc_err
sq_open(struct st_store *st, const char *target, const struct st_options *o)
{
	struct sq *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return TC_ENOMEM;
	st->impl = s;
	s->busy_ms = o->busy_timeout_ms;
	snprintf(s->path, sizeof(s->path), "%s", target);
	snprintf(st->target_desc, sizeof(st->target_desc), "%s", target);

	int err = mkdirs_parent(target);
	if (err != 0) {
		enum tc_err code =
		    err == EACCES || err == EPERM || err == EROFS ? TC_EPERM : TC_EIO;
		st__seterr(st, code,
		    "cannot use the data directory of %s (%s): create it writable, or choose "
		    "another database path",
		    target, strerror(err));
		sq_close(st);
		return code;
	}
	int rc = sqlite3_open_v2(
	    target, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		enum tc_err code = fail(st, rc, "open");
		sq_close(st);
		return code;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, (int)s->busy_ms);
	/* journal_mode reads the file header first: a file that is not a
	 * database, or a lock held by another process, shows here. */
	static const char *const pragmas[] = {
	    "PRAGMA journal_mode=WAL",
	    "PRAGMA synchronous=FULL",
	    "PRAGMA foreign_keys=ON",
	};
	for (size_t i = 0; i < sizeof(pragmas) / sizeof(pragmas[0]); i++) {
		rc = sqlite3_exec(s->db, pragmas[i], NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			enum tc_err code = fail(st, rc, "open");
			sq_close(st);
			return code;
		}
	}
	return TC_OK;
}

static enum tc_err
sq_begin(struct st_store *st)
{
	struct sq *s = st->impl;
	int rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	return rc == SQLITE_OK ? TC_OK : fail(st, rc, "begin");
}

static enum tc_err
sq_commit(struct st_store *st)
{
	struct sq *s = st->impl;
	int rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		return TC_OK;
	enum tc_err code = fail(st, rc, "commit");
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return code;
}

static void
sq_rollback(struct st_store *st)
{
	struct sq *s = st->impl;
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static enum tc_err
sq_migrate_lock(struct st_store *st)
{
	(void)st; /* BEGIN IMMEDIATE already holds the write lock */
	return TC_OK;
}

static enum tc_err
sq_exec(struct st_store *st, enum st_q q, const struct st_val *args, int nargs, st_row_fn fn,
    void *arg, int64_t *changes)
{
	struct sq *s = st->impl;
	sqlite3_stmt *stmt = s->stmts[q];
	int rc;

	if (stmt == NULL) {
		rc = sqlite3_prepare_v3(
		    s->db, st__queries[q].sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
		if (rc != SQLITE_OK)
			return fail(st, rc, "prepare");
		s->stmts[q] = stmt;
	}
	for (int i = 0; i < nargs; i++) {
		const struct st_val *v = &args[i];
		switch (v->t) {
		case ST_V_NULL:
			rc = sqlite3_bind_null(stmt, i + 1);
			break;
		case ST_V_INT:
			rc = sqlite3_bind_int64(stmt, i + 1, v->i);
			break;
		case ST_V_TEXT:
			rc = sqlite3_bind_text(stmt, i + 1, v->p, (int)v->n, SQLITE_STATIC);
			break;
		default:
			rc = sqlite3_bind_blob(stmt, i + 1, v->p, (int)v->n, SQLITE_STATIC);
			break;
		}
		if (rc != SQLITE_OK) {
			sqlite3_reset(stmt);
			sqlite3_clear_bindings(stmt);
			return fail(st, rc, "bind");
		}
	}
	struct st_val cols[24];
	int ncols = sqlite3_column_count(stmt);
	if (ncols > 24)
		ncols = 24;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (fn == NULL)
			continue;
		for (int i = 0; i < ncols; i++) {
			struct st_val *c = &cols[i];
			switch (sqlite3_column_type(stmt, i)) {
			case SQLITE_INTEGER:
				*c = (struct st_val){
				    .t = ST_V_INT, .i = sqlite3_column_int64(stmt, i)};
				break;
			case SQLITE_TEXT:
				c->t = ST_V_TEXT;
				c->p = sqlite3_column_text(stmt, i);
				c->n = (size_t)sqlite3_column_bytes(stmt, i);
				break;
			case SQLITE_BLOB:
				c->t = ST_V_BLOB;
				c->p = sqlite3_column_blob(stmt, i);
				c->n = (size_t)sqlite3_column_bytes(stmt, i);
				break;
			case SQLITE_FLOAT:
				*c = (struct st_val){
				    .t = ST_V_INT, .i = (int64_t)sqlite3_column_double(stmt, i)};
				break;
			default:
				*c = (struct st_val){.t = ST_V_NULL};
				break;
			}
		}
		if (fn(arg, cols, ncols) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	enum tc_err rv = TC_OK;
	if (rc != SQLITE_DONE) {
		rc = sqlite3_extended_errcode(s->db);
		rv = fail(st, rc, "a query");
	} else if (changes != NULL) {
		*changes = sqlite3_changes64(s->db);
	}
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return rv;
}

const struct st_ops st__sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .script = script,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .migrate_lock = sq_migrate_lock,
    .exec = sq_exec,
};
