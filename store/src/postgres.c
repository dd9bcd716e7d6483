/*
 * postgres.c - the PostgreSQL backend (libpq), selected by a postgres:// or
 * postgresql:// URL.
 *
 * Design notes.  One connection per handle; the domain layer serialises
 * calls.  Queries are prepared on first use per connection (named "tqN",
 * '?' rewritten to $N) and results come back in binary format.  Integer
 * parameters travel as text, text and blobs as binary.
 *
 * Reconnecting: when a call finds the connection lost (the server
 * restarted, a network drop), the call reports TC_ECLOSED and the next call
 * resets the connection first and prepares its statements again; the
 * domain layer retries a transaction once when the loss came before
 * COMMIT.  A reset that cannot reach the server gives TC_ECONNREFUSED.
 * Passwords never appear in messages: targets are described as
 * user@host:port/db.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store_priv.h"

#define OID_BOOL 16
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23

#define PG_MAX_PARAMS 80
#define PG_MAX_COLS 24

struct pg {
	PGconn *conn;
	bool prepared[Q_COUNT];
	bool in_tx;
};

/* first_line copies the first line of a libpq message. */
static void
first_line(char *dst, size_t cap, const char *msg)
{
	size_t n = 0;
	if (msg == NULL)
		msg = "";
	while (msg[n] != '\0' && msg[n] != '\n' && n + 1 < cap)
		n++;
	memcpy(dst, msg, n);
	dst[n] = '\0';
}

static void
no_notices(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static enum tc_err
classify_connect(const char *msg)
{
	if (strstr(msg, "password") != NULL || strstr(msg, "authentication") != NULL ||
	    (strstr(msg, "role") != NULL && strstr(msg, "does not exist") != NULL))
		return TC_EAUTH;
	if (strstr(msg, "database") != NULL && strstr(msg, "does not exist") != NULL)
		return TC_ENOENT;
	return TC_ECONNREFUSED;
}

static enum tc_err
connect_fail(struct st_store *st)
{
	struct pg *p = st->impl;
	char line[256];
	first_line(line, sizeof(line), PQerrorMessage(p->conn));
	enum tc_err code = classify_connect(line);
	const char *todo = code == TC_EAUTH ? "check the user and password in the URL"
	                   : code == TC_ENOENT
	                       ? "create the database or fix its name in the URL"
	                       : "start the server or fix the host and port in the URL";
	return st__seterr(
	    st, code, "cannot connect to PostgreSQL at %s (%s): %s", st->target_desc, line, todo);
}

static void
pg_close(struct st_store *st)
{
	struct pg *p = st->impl;
	if (p == NULL)
		return;
	PQfinish(p->conn);
	free(p);
	st->impl = NULL;
}

static enum tc_err
pg_open(struct st_store *st, const char *target, const struct st_options *o)
{
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(target, &perr);
	if (opts == NULL) {
		char line[200];
		first_line(line, sizeof(line), perr != NULL ? perr : "out of memory");
		PQfreemem(perr);
		return st__seterr(st, TC_EINVAL,
		    "bad PostgreSQL URL (%s): write it as postgresql://user:password@host:port/db",
		    line);
	}
	const char *host = "localhost", *port = "5432", *db = "", *user = "";
	for (PQconninfoOption *c = opts; c->keyword != NULL; c++) {
		if (c->val == NULL)
			continue;
		if (strcmp(c->keyword, "host") == 0)
			host = c->val;
		else if (strcmp(c->keyword, "port") == 0)
			port = c->val;
		else if (strcmp(c->keyword, "dbname") == 0)
			db = c->val;
		else if (strcmp(c->keyword, "user") == 0)
			user = c->val;
	}
	snprintf(st->target_desc, sizeof(st->target_desc), "%s%s%s:%s/%s", user,
	    user[0] != '\0' ? "@" : "", host, port, db);
	PQconninfoFree(opts);

	struct pg *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return TC_ENOMEM;
	st->impl = p;
	char timeout[16];
	snprintf(timeout, sizeof(timeout), "%u", o->connect_timeout_s);
	/* Later entries override earlier ones: the URL's own settings win. */
	const char *const keys[] = {"connect_timeout", "application_name", "dbname", NULL};
	const char *const vals[] = {timeout, "tandem", target, NULL};
	p->conn = PQconnectdbParams(keys, vals, 1);
	if (p->conn == NULL) {
		pg_close(st);
		return TC_ENOMEM;
	}
	if (PQstatus(p->conn) != CONNECTION_OK) {
		enum tc_err code = connect_fail(st);
		pg_close(st);
		return code;
	}
	PQsetNoticeProcessor(p->conn, no_notices, NULL);
	return TC_OK;
}

/* ensure_conn resets a lost connection before a call. */
static enum tc_err
ensure_conn(struct st_store *st)
{
	struct pg *p = st->impl;
	if (PQstatus(p->conn) == CONNECTION_OK)
		return TC_OK;
	p->in_tx = false;
	PQreset(p->conn);
	memset(p->prepared, 0, sizeof(p->prepared));
	if (PQstatus(p->conn) != CONNECTION_OK) {
		enum tc_err code = connect_fail(st);
		return code == TC_ECONNREFUSED ? TC_ECONNREFUSED : code;
	}
	PQsetNoticeProcessor(p->conn, no_notices, NULL);
	tc_log(TC_LOG_INFO, "store", "postgres: reconnected to %s", st->target_desc);
	return TC_OK;
}

/* result_err maps a failed result (which it clears) to a code. */
static enum tc_err
result_err(struct st_store *st, PGresult *res, const char *op)
{
	struct pg *p = st->impl;
	char line[256], sqlstate[8] = "";
	const char *f = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *state = NULL;
	if (f != NULL) {
		snprintf(sqlstate, sizeof(sqlstate), "%s", f);
		state = sqlstate;
	}
	first_line(line, sizeof(line),
	    res != NULL && PQresultErrorMessage(res)[0] != '\0' ? PQresultErrorMessage(res)
	                                                        : PQerrorMessage(p->conn));
	PQclear(res);
	if (PQstatus(p->conn) != CONNECTION_OK) {
		p->in_tx = false;
		return st__seterr(st, TC_ECLOSED, "postgres %s on %s: connection lost (%s)", op,
		    st->target_desc, line);
	}
	enum tc_err code = TC_EDB;
	if (state != NULL) {
		if (strcmp(state, "23505") == 0)
			code = TC_EEXIST;
		else if (strcmp(state, "23503") == 0)
			code = TC_ENOENT;
		else if (strcmp(state, "23514") == 0 || strcmp(state, "23502") == 0)
			code = TC_EINVAL;
		else if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
		         strcmp(state, "55P03") == 0)
			code = TC_EBUSY;
		else if (strncmp(state, "53", 2) == 0)
			code = TC_EIO;
		else if (strcmp(state, "42501") == 0)
			code = TC_EPERM;
		else if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
			code = TC_ECLOSED;
	}
	return st__seterr(st, code, "postgres %s on %s: %s (SQLSTATE %s)", op, st->target_desc,
	    line, state != NULL ? state : "-");
}

static enum tc_err
simple(struct st_store *st, const char *sql, const char *op)
{
	struct pg *p = st->impl;
	PGresult *res = PQexec(p->conn, sql);
	ExecStatusType s = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
		PQclear(res);
		return TC_OK;
	}
	return result_err(st, res, op);
}

static enum tc_err
pg_script(struct st_store *st, const char *sql)
{
	return simple(st, sql, "schema change");
}

static enum tc_err
pg_begin(struct st_store *st)
{
	struct pg *p = st->impl;
	enum tc_err rv = ensure_conn(st);
	if (rv != TC_OK)
		return rv;
	rv = simple(st, "BEGIN", "begin");
	p->in_tx = rv == TC_OK;
	return rv;
}

static enum tc_err
pg_commit(struct st_store *st)
{
	struct pg *p = st->impl;
	enum tc_err rv = simple(st, "COMMIT", "commit");
	p->in_tx = false;
	return rv;
}

static void
pg_rollback(struct st_store *st)
{
	struct pg *p = st->impl;
	if (p->in_tx && PQstatus(p->conn) == CONNECTION_OK) {
		PGresult *res = PQexec(p->conn, "ROLLBACK");
		PQclear(res);
	}
	p->in_tx = false;
}

static enum tc_err
pg_migrate_lock(struct st_store *st)
{
	/* Held until the transaction ends: one migrator at a time. */
	return simple(st, "SELECT pg_advisory_xact_lock(7262011)", "migration lock");
}

static enum tc_err
prepare(struct st_store *st, enum st_q q)
{
	struct pg *p = st->impl;
	const char *sql = st__queries[q].pg != NULL ? st__queries[q].pg : st__queries[q].sql;
	size_t len = strlen(sql);
	char *buf = malloc(len * 4 + 1);
	char name[16];
	int n = 0;
	if (buf == NULL)
		return TC_ENOMEM;
	char *o = buf;
	for (const char *s = sql; *s != '\0'; s++) {
		if (*s == '?')
			o += sprintf(o, "$%d", ++n);
		else
			*o++ = *s;
	}
	*o = '\0';
	snprintf(name, sizeof(name), "tq%d", (int)q);
	PGresult *res = PQprepare(p->conn, name, buf, n, NULL);
	free(buf);
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK)
		return result_err(st, res, "prepare");
	PQclear(res);
	p->prepared[q] = true;
	return TC_OK;
}

static uint64_t
be(const char *s, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = (v << 8) | (uint8_t)s[i];
	return v;
}

static enum tc_err
pg_exec(struct st_store *st, enum st_q q, const struct st_val *args, int nargs, st_row_fn fn,
    void *arg, int64_t *changes)
{
	struct pg *p = st->impl;
	enum tc_err rv;
	char name[16];
	const char *values[PG_MAX_PARAMS];
	int lengths[PG_MAX_PARAMS], formats[PG_MAX_PARAMS];
	char ints[PG_MAX_PARAMS][24];

	if (nargs > PG_MAX_PARAMS)
		return TC_EINTERNAL;
	if (!p->in_tx && (rv = ensure_conn(st)) != TC_OK)
		return rv;
	if (!p->prepared[q] && (rv = prepare(st, q)) != TC_OK)
		return rv;
	for (int i = 0; i < nargs; i++) {
		const struct st_val *v = &args[i];
		switch (v->t) {
		case ST_V_NULL:
			values[i] = NULL;
			lengths[i] = 0;
			formats[i] = 0;
			break;
		case ST_V_INT:
			snprintf(ints[i], sizeof(ints[i]), "%lld", (long long)v->i);
			values[i] = ints[i];
			lengths[i] = 0;
			formats[i] = 0;
			break;
		default:
			values[i] = v->n > 0 ? v->p : "";
			lengths[i] = (int)v->n;
			formats[i] = 1;
			break;
		}
	}
	snprintf(name, sizeof(name), "tq%d", (int)q);
	PGresult *res = PQexecPrepared(p->conn, name, nargs, values, lengths, formats, 1);
	ExecStatusType s = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		return result_err(st, res, "query");
	if (changes != NULL) {
		const char *t = PQcmdTuples(res);
		*changes = t[0] != '\0' ? strtoll(t, NULL, 10) : 0;
	}
	int nrows = PQntuples(res), ncols = PQnfields(res);
	if (ncols > PG_MAX_COLS)
		ncols = PG_MAX_COLS;
	struct st_val cols[PG_MAX_COLS];
	for (int r = 0; fn != NULL && r < nrows; r++) {
		for (int c = 0; c < ncols; c++) {
			struct st_val *v = &cols[c];
			if (PQgetisnull(res, r, c)) {
				*v = (struct st_val){.t = ST_V_NULL};
				continue;
			}
			const char *d = PQgetvalue(res, r, c);
			int len = PQgetlength(res, r, c);
			switch (PQftype(res, c)) {
			case OID_INT8:
				*v = (struct st_val){
				    .t = ST_V_INT, .i = (int64_t)be(d, len == 8 ? 8 : 0)};
				break;
			case OID_INT4:
				*v = (struct st_val){
				    .t = ST_V_INT, .i = (int32_t)(uint32_t)be(d, len == 4 ? 4 : 0)};
				break;
			case OID_INT2:
				*v = (struct st_val){
				    .t = ST_V_INT, .i = (int16_t)(uint16_t)be(d, len == 2 ? 2 : 0)};
				break;
			case OID_BOOL:
				*v = (struct st_val){.t = ST_V_INT, .i = len == 1 && d[0] != 0};
				break;
			case OID_BYTEA:
				*v = (struct st_val){.t = ST_V_BLOB, .p = d, .n = (size_t)len};
				break;
			default:
				*v = (struct st_val){.t = ST_V_TEXT, .p = d, .n = (size_t)len};
				break;
			}
		}
		if (fn(arg, cols, ncols) != 0)
			break;
	}
	PQclear(res);
	return TC_OK;
}

const struct st_ops st__pg_ops = {
    .name = "postgres",
    .open = pg_open,
    .close = pg_close,
    .script = pg_script,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .migrate_lock = pg_migrate_lock,
    .exec = pg_exec,
};
