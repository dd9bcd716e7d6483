/*
 * store.c - the store's domain layer: argument checks, transactions,
 * migrations, seq allocation and the timeline, written once over the
 * backend ops table (store_priv.h).
 *
 * Design notes.
 * - One connection per handle; every public call takes the handle's lock,
 *   so a handle is safe to share between worker threads and the backends
 *   never see two calls at once.
 * - Writes run in transactions (run_tx).  If the connection is lost before
 *   COMMIT is sent, the transaction is retried once on a new connection;
 *   if it is lost during COMMIT the outcome is unknown and the caller gets
 *   TC_ECONNREFUSED.  Event appends with explicit seqs are idempotent
 *   (a retried batch gets TC_EEXIST), which is what the recorder relies on.
 * - Seqs: event_heads.last_seq advances in the same transaction that
 *   stores the events, so a seq is taken only if its events commit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "store_priv.h"

#define CHUNK_RAW_TARGET (1u << 20) /* split a batch's Yjs updates past 1 MiB */

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum tc_err
st__seterr(struct st_store *st, enum tc_err code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->errmsg, sizeof(st->errmsg), fmt, ap);
	va_end(ap);
	if (!st->opening && code != TC_EEXIST && code != TC_ENOENT && code != TC_ESTATE &&
	    code != TC_EINVAL)
		tc_log(TC_LOG_WARN, "store", "%s: %s", st->ops != NULL ? st->ops->name : "store",
		    st->errmsg);
	return code;
}

static bool
valid_id(const char *s)
{
	if (s == NULL)
		return false;
	size_t n = strnlen(s, ST_ID_MAX + 1);
	if (n == 0 || n > ST_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		        c == '_' || c == '.' || c == ':' || c == '-'))
			return false;
	}
	return true;
}

/* A blob key: "" (none) or 64 lowercase hex digits. */
static bool
valid_key(const char *s, bool empty_ok)
{
	size_t n = strnlen(s, ST_KEY_MAX + 1);
	if (n == 0)
		return empty_ok;
	if (n != ST_KEY_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

static bool
valid_text(const char *s, size_t max, bool empty_ok)
{
	if (s == NULL)
		return false;
	size_t n = strnlen(s, max + 1);
	return n <= max && (empty_ok || n > 0);
}

static struct st_val
v_int(int64_t i)
{
	return (struct st_val){.t = ST_V_INT, .i = i};
}

static struct st_val
v_text(const char *s)
{
	return (struct st_val){.t = ST_V_TEXT, .p = s, .n = strlen(s)};
}

/* v_opt: "" becomes NULL. */
static struct st_val
v_opt(const char *s)
{
	if (s == NULL || s[0] == '\0')
		return (struct st_val){.t = ST_V_NULL};
	return v_text(s);
}

static struct st_val
v_blob(const void *p, size_t n)
{
	return (struct st_val){.t = ST_V_BLOB, .p = p, .n = n};
}

static void
col_text(char *dst, size_t cap, const struct st_val *v)
{
	size_t n = 0;
	if (v->t == ST_V_TEXT || v->t == ST_V_BLOB) {
		n = v->n < cap - 1 ? v->n : cap - 1;
		memcpy(dst, v->p, n);
	}
	dst[n] = '\0';
}

static int64_t
col_int(const struct st_val *v)
{
	return v->t == ST_V_INT ? v->i : 0;
}

/* ---- open, close, migrations -------------------------------------------- */

static bool
is_pg_url(const char *t)
{
	return strncmp(t, "postgres://", 11) == 0 || strncmp(t, "postgresql://", 13) == 0;
}

static int
row_int0(void *arg, const struct st_val *cols, int ncols)
{
	if (ncols > 0)
		*(int64_t *)arg = col_int(&cols[0]);
	return 0;
}

typedef enum tc_err (*tx_fn)(struct st_store *st, void *arg);

static enum tc_err
run_tx(struct st_store *st, tx_fn fn, void *arg)
{
	for (int attempt = 0;; attempt++) {
		enum tc_err rv = st->ops->begin(st);
		if (rv == TC_OK) {
			rv = fn(st, arg);
			if (rv != TC_OK) {
				st->ops->rollback(st);
			} else {
				rv = st->ops->commit(st);
				if (rv == TC_ECLOSED)
					return st__seterr(st, TC_ECONNREFUSED,
					    "connection to %s lost during commit; the outcome is "
					    "unknown, retry when it is back",
					    st->target_desc);
				return rv;
			}
		}
		if (rv == TC_ECLOSED && attempt == 0)
			continue; /* lost before commit: nothing was written, retry once */
		if (rv == TC_ECLOSED)
			return TC_ECONNREFUSED;
		return rv;
	}
}

/* exec_once runs one statement outside a transaction, retrying once on a
 * new connection if the old one was lost (reads and idempotent writes). */
static enum tc_err
exec_once(struct st_store *st, enum st_q q, const struct st_val *args, int nargs, st_row_fn fn,
    void *arg, int64_t *changes)
{
	enum tc_err rv = st->ops->exec(st, q, args, nargs, fn, arg, changes);
	if (rv == TC_ECLOSED)
		rv = st->ops->exec(st, q, args, nargs, fn, arg, changes);
	return rv == TC_ECLOSED ? TC_ECONNREFUSED : rv;
}

static const char bootstrap_sql[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                    " version BIGINT PRIMARY KEY,"
                                    " name TEXT NOT NULL,"
                                    " applied_ms BIGINT NOT NULL)";

static enum tc_err
migrate_tx(struct st_store *st, void *arg)
{
	bool is_pg = st->ops == &st__pg_ops;
	int known = st__nmigrations;
	int64_t have = 0;
	enum tc_err rv;

	(void)arg;
	if ((rv = st->ops->migrate_lock(st)) != TC_OK)
		return rv;
	if ((rv = st->ops->script(st, bootstrap_sql)) != TC_OK)
		return rv;
	if ((rv = st->ops->exec(st, Q_MIGRATIONS_MAX, NULL, 0, row_int0, &have, NULL)) != TC_OK)
		return rv;
	if (have > known)
		return st__seterr(st, TC_ESCHEMA,
		    "database %s has schema version %lld, newer than this build knows (%d): "
		    "upgrade tandem, or point it at another database",
		    st->target_desc, (long long)have, known);
	for (int i = (int)have; i < known; i++) {
		const struct st_migration *m = &st__migrations[i];
		rv = st->ops->script(st, is_pg ? m->pg : m->sqlite);
		if (rv != TC_OK)
			return rv;
		struct st_val args[] = {v_int(m->version), v_text(m->name), v_int(now_ms())};
		rv = st->ops->exec(st, Q_MIGRATION_INSERT, args, 3, NULL, NULL, NULL);
		if (rv != TC_OK)
			return rv;
		tc_log(TC_LOG_INFO, "store", "%s: applied migration %d (%s)", st->ops->name,
		    m->version, m->name);
	}
	return TC_OK;
}

enum tc_err
st_open(const char *target, struct st_store **out, char *err, size_t errlen)
{
	return st_open_ex(target, NULL, out, err, errlen);
}

enum tc_err
st_open_ex(const char *target, const struct st_options *opts, struct st_store **out, char *err,
    size_t errlen)
{
	struct st_options o = {0};
	enum tc_err rv;

	if (out != NULL)
		*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (target == NULL || target[0] == '\0' || out == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen,
			    "no database given: pass a file path or a "
			    "postgresql:// URL");
		return TC_EINVAL;
	}
	if (opts != NULL)
		o = *opts;
	if (o.busy_timeout_ms == 0)
		o.busy_timeout_ms = 5000;
	if (o.connect_timeout_s == 0)
		o.connect_timeout_s = 5;

	struct st_store *st = calloc(1, sizeof(*st));
	if (st == NULL)
		return TC_ENOMEM;
	pthread_mutex_init(&st->mu, NULL);
	st->opening = true;
	st->ops = is_pg_url(target) ? &st__pg_ops : &st__sqlite_ops;
	rv = st->ops->open(st, target, &o);
	if (rv == TC_OK) {
		rv = run_tx(st, migrate_tx, NULL);
		if (rv != TC_OK && rv != TC_ESCHEMA && st->errmsg[0] != '\0') {
			char detail[ST_ERRMSG_MAX];
			snprintf(detail, sizeof(detail), "%s", st->errmsg);
			st__seterr(
			    st, rv, "cannot prepare the schema of %s: %s", st->target_desc, detail);
		}
		if (rv != TC_OK)
			st->ops->close(st);
	}
	if (rv != TC_OK) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s",
			    st->errmsg[0] != '\0' ? st->errmsg : tc_strerror(rv));
		pthread_mutex_destroy(&st->mu);
		free(st);
		return rv;
	}
	st->errmsg[0] = '\0';
	st->opening = false;
	*out = st;
	return TC_OK;
}

void
st_free(struct st_store *st)
{
	if (st == NULL)
		return;
	st->ops->close(st);
	pthread_mutex_destroy(&st->mu);
	free(st);
}

const char *
st_backend_name(const struct st_store *st)
{
	return st->ops->name;
}

void
st_last_error(struct st_store *st, char *buf, size_t len)
{
	if (buf == NULL || len == 0)
		return;
	pthread_mutex_lock(&st->mu);
	snprintf(buf, len, "%s", st->errmsg);
	pthread_mutex_unlock(&st->mu);
}

enum tc_err
st_schema_version(struct st_store *st, int *applied, int *known)
{
	int64_t have = 0;
	pthread_mutex_lock(&st->mu);
	enum tc_err rv = exec_once(st, Q_MIGRATIONS_MAX, NULL, 0, row_int0, &have, NULL);
	pthread_mutex_unlock(&st->mu);
	if (applied != NULL)
		*applied = (int)have;
	if (known != NULL)
		*known = st__nmigrations;
	return rv;
}

/* ---- users, rooms, members ---------------------------------------------- */

struct found {
	bool found;
	void *out;
};

enum tc_err
st_user_put(struct st_store *st, const char *id, const char *name)
{
	if (!valid_id(id) || !valid_text(name, ST_NAME_MAX, true))
		return TC_EINVAL;
	struct st_val args[] = {v_text(id), v_text(name), v_int(now_ms())};
	pthread_mutex_lock(&st->mu);
	enum tc_err rv = exec_once(st, Q_USER_PUT, args, 3, NULL, NULL, NULL);
	pthread_mutex_unlock(&st->mu);
	return rv;
}

static int
row_user(void *arg, const struct st_val *c, int n)
{
	struct found *f = arg;
	struct st_user *u = f->out;
	if (n < 3)
		return 1;
	col_text(u->id, sizeof(u->id), &c[0]);
	col_text(u->name, sizeof(u->name), &c[1]);
	u->created_ms = col_int(&c[2]);
	f->found = true;
	return 1;
}

enum tc_err
st_user_get(struct st_store *st, const char *id, struct st_user *out)
{
	if (!valid_id(id) || out == NULL)
		return TC_EINVAL;
	struct found f = {false, out};
	struct st_val args[] = {v_text(id)};
	pthread_mutex_lock(&st->mu);
	enum tc_err rv = exec_once(st, Q_USER_GET, args, 1, row_user, &f, NULL);
	pthread_mutex_unlock(&st->mu);
	return rv == TC_OK && !f.found ? TC_ENOENT : rv;
}

enum tc_err
st_room_create(struct st_store *st, const char *id, const char *problem_id)
{
	if (!valid_id(id) || (problem_id != NULL && problem_id[0] != '\0' && !valid_id(problem_id)))
		return TC_EINVAL;
	struct st_val args[] = {v_text(id), v_opt(problem_id), v_int(now_ms())};
	pthread_mutex_lock(&st->mu);
	enum tc_err rv = exec_once(st, Q_ROOM_CREATE, args, 3, NULL, NULL, NULL);
	pthread_mutex_unlock(&st->mu);
	return rv;
}

static int
row_room(void *arg, const struct st_val *c, int n)
{
	struct found *f = arg;
	struct st_room *r = f->out;
	if (n < 3)
		return 1;
	col_text(r->id, sizeof(r->id), &c[0]);
	col_text(r->problem_id, sizeof(r->problem_id), &c[1]);
	r->created_ms = col_int(&c[2]);
	f->found = true;
	return 1;
}

enum tc_err
st_room_get(struct st_store *st, const char *id, struct st_room *out)
{
	if (!valid_id(id) || out == NULL)
		return TC_EINVAL;
	struct found f = {false, out};
	struct st_val args[] = {v_text(id)};
	pthread_mutex_lock(&st->mu);
	enum tc_err rv = exec_once(st, Q_ROOM_GET, args, 1, row_room, &f, NULL);
	pthread_mutex_unlock(&st->mu);
	return rv == TC_OK && !f.found ? TC_ENOENT : rv;
}

enum tc_err
st_member_set(struct st_store *st, const char *room, const char *user, enum st_role role)
{
	if (!valid_id(room) || !valid_id(user) || role < ST_ROLE_VIEWER || role > ST_ROLE_OWNER)
		return TC_EINVAL;
	struct st_val args[] = {v_text(room), v_text(user), v_int(role), v_int(now_ms())};
	pthread_mutex_lock(&st->mu);
	enum tc_err rv = exec_once(st, Q_MEMBER_SET, args, 4, NULL, NULL, NULL);
	pthread_mutex_unlock(&st->mu);
	return rv;
}

struct list {
	void *out;
	size_t max;
	size_t n;
};

static int
row_member(void *arg, const struct st_val *c, int n)
{
	struct list *l = arg;
	if (n < 3 || l->n >= l->max)
		return 1;
	struct st_member *m = (struct st_member *)l->out + l->n++;
	col_text(m->user_id, sizeof(m->user_id), &c[0]);
	m->role = (enum st_role)col_int(&c[1]);
	m->joined_ms = col_int(&c[2]);
	return 0;
}

enum tc_err
st_members_list(struct st_store *st, const char *room, struct st_member *out, size_t max, size_t *n)
{
	if (!valid_id(room) || (out == NULL && max > 0) || n == NULL)
		return TC_EINVAL;
	struct list l = {out, max, 0};
	struct st_val args[] = {v_text(room)};
	pthread_mutex_lock(&st->mu);
	enum tc_err rv = exec_once(st, Q_MEMBERS_LIST, args, 1, row_member, &l, NULL);
	pthread_mutex_unlock(&st->mu);
	*n = l.n;
	return rv;
}

/* ---- problems ----------------------------------------------------------- */

enum tc_err
st_problem_put(struct st_store *st, const struct st_problem *p)
{
	if (p == NULL || !valid_id(p->id) || !valid_text(p->title, ST_NAME_MAX, true) ||
	    p->time_limit_ms <= 0 || p->mem_limit_mb <= 0)
		return TC_EINVAL;
	struct st_val args[] = {v_text(p->id), v_text(p->title), v_int(p->time_limit_ms),
	    v_int(p->mem_limit_mb), v_int(now_ms())};
	pthread_mutex_lock(&st->mu);
	enum tc_err rv = exec_once(st, Q_PROBLEM_PUT, args, 5, NULL, NULL, NULL);
	pthread_mutex_unlock(&st->mu);
	return rv;
}

static int
row_problem(void *arg, const struct st_val *c, int n)
{
	struct found *f = arg;
	struct st_problem *p = f->out;
	if (n < 4)
		return 1;
	col_text(p->id, sizeof(p->id), &c[0]);
	col_text(p->title, sizeof(p->title), &c[1]);
	p->time_limit_ms = col_int(&c[2]);
	p->mem_limit_mb = col_int(&c[3]);
	f->found = true;
	return 1;
}

enum tc_err
st_problem_get(struct st_store *st, const char *id, struct st_problem *out)
{
	if (!valid_id(id) || out == NULL)
		return TC_EINVAL;
	struct found f = {false, out};
	struct st_val args[] = {v_text(id)};
	pthread_mutex_lock(&st->mu);
	enum tc_err rv = exec_once(st, Q_PROBLEM_GET, args, 1, row_problem, &f, NULL);
	pthread_mutex_unlock(&st->mu);
	return rv == TC_OK && !f.found ? TC_ENOENT : rv;
}

enum tc_err
st_asset_put(struct st_store *st, const char *problem, const struct st_asset *a)
{
	if (!valid_id(problem) || a == NULL || !valid_text(a->name, ST_NAME_MAX, false) ||
	    !valid_key(a->blob_key, false))
		return TC_EINVAL;
	struct st_val args[] = {
	    v_text(problem), v_text(a->name), v_text(a->blob_key), v_int(a->hidden ? 1 : 0)};
	pthread_mutex_lock(&st->mu);
	enum tc_err rv = exec_once(st, Q_ASSET_PUT, args, 4, NULL, NULL, NULL);
	pthread_mutex_unlock(&st->mu);
	return rv;
}

static int
row_asset(void *arg, const struct st_val *c, int n)
{
	struct list *l = arg;
	if (n < 3 || l->n >= l->max)
		return 1;
	struct st_asset *a = (struct st_asset *)l->out + l->n++;
	col_text(a->name, sizeof(a->name), &c[0]);
	col_text(a->blob_key, sizeof(a->blob_key), &c[1]);
	a->hidden = col_int(&c[2]) != 0;
	return 0;
}

enum tc_err
st_assets_list(
    struct st_store *st, const char *problem, struct st_asset *out, size_t max, size_t *n)
{
	if (!valid_id(problem) || (out == NULL && max > 0) || n == NULL)
		return TC_EINVAL;
	struct list l = {out, max, 0};
	struct st_val args[] = {v_text(problem)};
	pthread_mutex_lock(&st->mu);
	enum tc_err rv = exec_once(st, Q_ASSETS_LIST, args, 1, row_asset, &l, NULL);
	pthread_mutex_unlock(&st->mu);
	*n = l.n;
	return rv;
}

/* ---- submissions -------------------------------------------------------- */

enum tc_err
st_submission_create(struct st_store *st, const struct st_submission *s)
{
	if (s == NULL || !valid_id(s->id) || !valid_id(s->room_id) || !valid_id(s->user_id) ||
	    !valid_id(s->problem_id) || s->attempt < 1 ||
	    !valid_text(s->lang, sizeof(s->lang) - 1, false) || !valid_key(s->code_key, false))
		return TC_EINVAL;
	struct st_val args[] = {v_text(s->id), v_text(s->room_id), v_text(s->user_id),
	    v_text(s->problem_id), v_int(s->attempt), v_text(s->lang), v_text(s->code_key),
	    v_int(s->created_ms != 0 ? s->created_ms : now_ms())};
	pthread_mutex_lock(&st->mu);
	enum tc_err rv = exec_once(st, Q_SUB_CREATE, args, 8, NULL, NULL, NULL);
	pthread_mutex_unlock(&st->mu);
	return rv;
}

static enum tc_err
sub_status(struct st_store *st, const char *id, int64_t *status)
{
	struct st_val args[] = {v_text(id)};
	*status = 0;
	enum tc_err rv = exec_once(st, Q_SUB_STATUS, args, 1, row_int0, status, NULL);
	if (rv == TC_OK && *status == 0)
		return st__seterr(st, TC_ENOENT, "no submission %s", id);
	return rv;
}

enum tc_err
st_submission_start(struct st_store *st, const char *id, int64_t started_ms)
{
	if (!valid_id(id))
		return TC_EINVAL;
	struct st_val args[] = {v_int(started_ms != 0 ? started_ms : now_ms()), v_text(id)};
	int64_t changes = 0, status = 0;
	pthread_mutex_lock(&st->mu);
	enum tc_err rv = exec_once(st, Q_SUB_START, args, 2, NULL, NULL, &changes);
	if (rv == TC_OK && changes == 0) {
		rv = sub_status(st, id, &status);
		if (rv == TC_OK)
			rv = st__seterr(st, TC_ESTATE, "submission %s already has its verdict", id);
	}
	pthread_mutex_unlock(&st->mu);
	return rv;
}

struct finish_ctx {
	const char *id;
	const struct st_verdict *v;
};

static enum tc_err
finish_tx(struct st_store *st, void *arg)
{
	struct finish_ctx *c = arg;
	const struct st_verdict *v = c->v;
	struct st_val args[] = {v_text(c->id), v_text(v->status), v_int(v->passed), v_int(v->total),
	    v_int(v->time_ms), v_opt(v->result_key), v_opt(v->stdout_key), v_opt(v->stderr_key),
	    v_int(v->finished_ms != 0 ? v->finished_ms : now_ms())};
	enum tc_err rv = st->ops->exec(st, Q_VERDICT_INSERT, args, 9, NULL, NULL, NULL);
	if (rv == TC_EEXIST)
		return st__seterr(st, TC_EEXIST, "submission %s already has its verdict", c->id);
	if (rv == TC_ENOENT)
		return st__seterr(st, TC_ENOENT, "no submission %s", c->id);
	if (rv != TC_OK)
		return rv;
	struct st_val a2[] = {v_text(c->id)};
	return st->ops->exec(st, Q_SUB_DONE, a2, 1, NULL, NULL, NULL);
}

enum tc_err
st_submission_finish(struct st_store *st, const char *id, const struct st_verdict *v)
{
	if (!valid_id(id) || v == NULL || !valid_text(v->status, sizeof(v->status) - 1, false) ||
	    !valid_key(v->result_key, true) || !valid_key(v->stdout_key, true) ||
	    !valid_key(v->stderr_key, true))
		return TC_EINVAL;
	struct finish_ctx c = {id, v};
	pthread_mutex_lock(&st->mu);
	enum tc_err rv = run_tx(st, finish_tx, &c);
	pthread_mutex_unlock(&st->mu);
	return rv;
}

static int
row_sub(void *arg, const struct st_val *c, int n)
{
	struct found *f = arg;
	struct st_submission *s = f->out;
	if (n < 18)
		return 1;
	memset(s, 0, sizeof(*s));
	col_text(s->id, sizeof(s->id), &c[0]);
	col_text(s->room_id, sizeof(s->room_id), &c[1]);
	col_text(s->user_id, sizeof(s->user_id), &c[2]);
	col_text(s->problem_id, sizeof(s->problem_id), &c[3]);
	s->attempt = col_int(&c[4]);
	col_text(s->lang, sizeof(s->lang), &c[5]);
	col_text(s->code_key, sizeof(s->code_key), &c[6]);
	s->status = (enum st_sub_status)col_int(&c[7]);
	s->created_ms = col_int(&c[8]);
	s->started_ms = col_int(&c[9]);
	s->has_verdict = c[10].t != ST_V_NULL;
	if (s->has_verdict) {
		struct st_verdict *v = &s->verdict;
		col_text(v->status, sizeof(v->status), &c[10]);
		v->passed = col_int(&c[11]);
		v->total = col_int(&c[12]);
		v->time_ms = col_int(&c[13]);
		col_text(v->result_key, sizeof(v->result_key), &c[14]);
		col_text(v->stdout_key, sizeof(v->stdout_key), &c[15]);
		col_text(v->stderr_key, sizeof(v->stderr_key), &c[16]);
		v->finished_ms = col_int(&c[17]);
	}
	f->found = true;
	return 1;
}

enum tc_err
st_submission_get(struct st_store *st, const char *id, struct st_submission *out)
{
	if (!valid_id(id) || out == NULL)
		return TC_EINVAL;
	struct found f = {false, out};
	struct st_val args[] = {v_text(id)};
	pthread_mutex_lock(&st->mu);
	enum tc_err rv = exec_once(st, Q_SUB_GET, args, 1, row_sub, &f, NULL);
	pthread_mutex_unlock(&st->mu);
	return rv == TC_OK && !f.found ? TC_ENOENT : rv;
}

/* ---- events ------------------------------------------------------------- */

struct append_ctx {
	const char *room;
	struct st_event *evs;
	size_t n;
	bool autoseq;
	struct st_event *yjs; /* scratch: the batch's Yjs updates */
};

static enum tc_err
insert_chunk(struct st_store *st, const char *room, const struct st_event *evs, size_t n)
{
	uint8_t *buf;
	size_t len, raw = 0;
	enum tc_err rv = st_chunk_encode(evs, n, &buf, &len);
	if (rv != TC_OK)
		return st__seterr(st, rv, "cannot encode a chunk of %zu events", n);
	for (size_t i = 0; i < n; i++)
		raw += evs[i].len;
	struct st_val args[] = {v_text(room), v_int((int64_t)evs[0].seq),
	    v_int((int64_t)evs[n - 1].seq), v_int((int64_t)n), v_int((int64_t)raw),
	    v_blob(buf, len)};
	rv = st->ops->exec(st, Q_CHUNK_INSERT, args, 6, NULL, NULL, NULL);
	free(buf);
	return rv;
}

static enum tc_err
append_tx(struct st_store *st, void *arg)
{
	struct append_ctx *c = arg;
	int64_t last = -1;
	enum tc_err rv;

	struct st_val a2[] = {v_text(c->room), v_int((int64_t)c->n)};
	if ((rv = st->ops->exec(st, Q_HEAD_ADVANCE, a2, 2, row_int0, &last, NULL)) != TC_OK)
		return rv;
	if (last < (int64_t)c->n)
		return st__seterr(st, TC_EINTERNAL, "room %s: seq head did not advance", c->room);
	uint64_t prev = (uint64_t)last - c->n;
	if (c->autoseq) {
		for (size_t i = 0; i < c->n; i++)
			c->evs[i].seq = prev + 1 + i;
	} else if (c->evs[0].seq != prev + 1) {
		if (c->evs[0].seq <= prev)
			return st__seterr(st, TC_EEXIST,
			    "room %s: seq %llu is already stored (last is %llu)", c->room,
			    (unsigned long long)c->evs[0].seq, (unsigned long long)prev);
		return st__seterr(st, TC_ESTATE, "room %s: seq %llu would leave a gap after %llu",
		    c->room, (unsigned long long)c->evs[0].seq, (unsigned long long)prev);
	}

	size_t ny = 0, yraw = 0, nyjs = 0, nrow = 0;
	struct st_val rowv[16 * 5];
	for (size_t i = 0; i < c->n; i++)
		nyjs += c->evs[i].type == ST_EV_YJS;
	bool chunked = nyjs >= ST_CHUNK_MIN;
	for (size_t i = 0; i < c->n; i++) {
		const struct st_event *e = &c->evs[i];
		if (e->type == ST_EV_YJS && chunked) {
			if (ny > 0 && (ny >= ST_BATCH_MAX || yraw + e->len > CHUNK_RAW_TARGET)) {
				if ((rv = insert_chunk(st, c->room, c->yjs, ny)) != TC_OK)
					return rv;
				ny = 0;
				yraw = 0;
			}
			c->yjs[ny++] = *e;
			yraw += e->len + 8;
			continue;
		}
		/* Rows go in sixteen to a statement, the rest by four or one. */
		struct st_val *v = &rowv[nrow * 5];
		v[0] = v_text(c->room);
		v[1] = v_int((int64_t)e->seq);
		v[2] = v_int(e->ts_ms);
		v[3] = v_int(e->type);
		v[4] = v_blob(e->len > 0 ? e->payload : (const uint8_t *)"", e->len);
		if (++nrow == 16) {
			rv = st->ops->exec(st, Q_EVENT_INSERT16, rowv, 80, NULL, NULL, NULL);
			if (rv != TC_OK)
				return rv;
			nrow = 0;
		}
	}
	for (size_t r = 0; r < nrow;) {
		bool four = nrow - r >= 4;
		rv = st->ops->exec(st, four ? Q_EVENT_INSERT4 : Q_EVENT_INSERT, &rowv[r * 5],
		    four ? 20 : 5, NULL, NULL, NULL);
		if (rv != TC_OK)
			return rv;
		r += four ? 4 : 1;
	}
	if (ny > 0)
		rv = insert_chunk(st, c->room, c->yjs, ny);
	return rv;
}

static enum tc_err
append_check(const char *room, const struct st_event *evs, size_t n)
{
	if (!valid_id(room) || evs == NULL || n == 0 || n > ST_BATCH_MAX)
		return TC_EINVAL;
	bool autoseq = evs[0].seq == 0;
	for (size_t i = 0; i < n; i++) {
		const struct st_event *e = &evs[i];
		if (e->type == 0 || e->len > ST_EVENT_PAYLOAD_MAX ||
		    (e->len > 0 && e->payload == NULL))
			return TC_EINVAL;
		if (autoseq ? e->seq != 0 : e->seq != evs[0].seq + i)
			return TC_EINVAL;
	}
	if (!autoseq && evs[0].seq > (uint64_t)INT64_MAX - n)
		return TC_EINVAL;
	return TC_OK;
}

struct batches_ctx {
	struct st_batch *b;
	size_t nb;
	struct st_event *yjs;
};

static enum tc_err
batches_tx(struct st_store *st, void *arg)
{
	struct batches_ctx *k = arg;
	for (size_t i = 0; i < k->nb; i++)
		k->b[i].rv = TC_OK;
	for (size_t i = 0; i < k->nb; i++) {
		struct st_batch *b = &k->b[i];
		struct append_ctx c = {b->room, b->evs, b->n, false, k->yjs};
		enum tc_err rv = append_tx(st, &c);
		if (rv != TC_OK) {
			b->rv = rv;
			return rv;
		}
	}
	return TC_OK;
}

enum tc_err
st_events_append_batches(struct st_store *st, struct st_batch *b, size_t nb)
{
	size_t most = 0;
	if (b == NULL || nb == 0)
		return TC_EINVAL;
	for (size_t i = 0; i < nb; i++) {
		b[i].rv = append_check(b[i].room, b[i].evs, b[i].n);
		if (b[i].rv == TC_OK && b[i].evs[0].seq == 0)
			b[i].rv = TC_EINVAL; /* explicit seqs only */
		if (b[i].rv != TC_OK)
			return b[i].rv;
		most = b[i].n > most ? b[i].n : most;
		for (size_t j = 0; j < i; j++) {
			if (strcmp(b[i].room, b[j].room) == 0)
				return b[i].rv = TC_EINVAL;
		}
	}
	struct batches_ctx k = {b, nb, malloc(most * sizeof(struct st_event))};
	if (k.yjs == NULL)
		return TC_ENOMEM;
	pthread_mutex_lock(&st->mu);
	enum tc_err rv = run_tx(st, batches_tx, &k);
	pthread_mutex_unlock(&st->mu);
	free(k.yjs);
	return rv;
}

enum tc_err
st_events_append(struct st_store *st, const char *room, struct st_event *evs, size_t n)
{
	enum tc_err rv = append_check(room, evs, n);
	if (rv != TC_OK)
		return rv;
	bool autoseq = evs[0].seq == 0;
	struct append_ctx c = {room, evs, n, autoseq, malloc(n * sizeof(struct st_event))};
	if (c.yjs == NULL)
		return TC_ENOMEM;
	pthread_mutex_lock(&st->mu);
	rv = run_tx(st, append_tx, &c);
	pthread_mutex_unlock(&st->mu);
	free(c.yjs);
	if (rv != TC_OK && autoseq) {
		for (size_t i = 0; i < n; i++)
			evs[i].seq = 0;
	}
	return rv;
}

enum tc_err
st_events_last_seq(struct st_store *st, const char *room, uint64_t *seq)
{
	if (!valid_id(room) || seq == NULL)
		return TC_EINVAL;
	int64_t last = 0;
	struct st_val args[] = {v_text(room)};
	pthread_mutex_lock(&st->mu);
	enum tc_err rv = exec_once(st, Q_HEAD_GET, args, 1, row_int0, &last, NULL);
	pthread_mutex_unlock(&st->mu);
	*seq = rv == TC_OK && last > 0 ? (uint64_t)last : 0;
	return rv;
}

struct compact_ctx {
	const char *room;
	struct st_event *evs; /* up to ST_BATCH_MAX */
	uint8_t **bufs;
	size_t n;
	enum tc_err rv;
	size_t packed;
};

static int
row_yjs(void *arg, const struct st_val *c, int n)
{
	struct compact_ctx *k = arg;
	if (n < 4 || k->n >= ST_BATCH_MAX)
		return 1;
	size_t len = c[3].t == ST_V_BLOB ? c[3].n : 0;
	uint8_t *p = malloc(len > 0 ? len : 1);
	if (p == NULL) {
		k->rv = TC_ENOMEM;
		return 1;
	}
	if (len > 0)
		memcpy(p, c[3].p, len);
	k->bufs[k->n] = p;
	k->evs[k->n++] = (struct st_event){.seq = (uint64_t)col_int(&c[0]),
	    .ts_ms = col_int(&c[1]),
	    .type = (uint16_t)col_int(&c[2]),
	    .len = (uint32_t)len,
	    .payload = p};
	return 0;
}

static enum tc_err
compact_tx(struct st_store *st, void *arg)
{
	struct compact_ctx *k = arg;
	for (size_t i = 0; i < k->n; i++)
		free(k->bufs[i]);
	k->n = 0;
	k->packed = 0;
	k->rv = TC_OK;
	struct st_val a1[] = {v_text(k->room), v_int(ST_BATCH_MAX)};
	enum tc_err rv = st->ops->exec(st, Q_YJS_ROWS, a1, 2, row_yjs, k, NULL);
	if (rv == TC_OK)
		rv = k->rv;
	if (rv != TC_OK || k->n < 2)
		return rv;
	size_t start = 0, raw = 0;
	for (size_t i = 0; i <= k->n; i++) {
		if (i < k->n && (raw + k->evs[i].len <= CHUNK_RAW_TARGET || i == start)) {
			raw += k->evs[i].len + 8;
			continue;
		}
		if ((rv = insert_chunk(st, k->room, k->evs + start, i - start)) != TC_OK)
			return rv;
		struct st_val a2[] = {v_text(k->room), v_int((int64_t)k->evs[start].seq),
		    v_int((int64_t)k->evs[i - 1].seq)};
		if ((rv = st->ops->exec(st, Q_YJS_ROWS_DELETE, a2, 3, NULL, NULL, NULL)) != TC_OK)
			return rv;
		start = i;
		raw = i < k->n ? k->evs[i].len + 8 : 0;
	}
	k->packed = k->n;
	return TC_OK;
}

enum tc_err
st_events_compact(struct st_store *st, const char *room, size_t *packed)
{
	if (packed != NULL)
		*packed = 0;
	if (!valid_id(room))
		return TC_EINVAL;
	struct compact_ctx k = {room, calloc(ST_BATCH_MAX, sizeof(struct st_event)),
	    calloc(ST_BATCH_MAX, sizeof(uint8_t *)), 0, TC_OK, 0};
	enum tc_err rv = TC_ENOMEM;
	if (k.evs != NULL && k.bufs != NULL) {
		pthread_mutex_lock(&st->mu);
		rv = run_tx(st, compact_tx, &k);
		pthread_mutex_unlock(&st->mu);
	}
	for (size_t i = 0; k.bufs != NULL && i < k.n; i++)
		free(k.bufs[i]);
	free(k.evs);
	free(k.bufs);
	if (rv == TC_OK && packed != NULL)
		*packed = k.packed;
	return rv;
}

/* ---- timeline ----------------------------------------------------------- */

struct st_timeline_mem {
	size_t n, cap;
	void **blocks;
	size_t evcap;
	size_t badcap;
};

struct read_ctx {
	struct st_store *st;
	struct st_timeline *tl;
	const char *room;
	uint64_t from, to;
	enum tc_err rv; /* TC_ENOMEM, TC_ETOOBIG stop the read */
};

static bool
tl_keep(struct st_timeline *tl, void *block)
{
	struct st_timeline_mem *m = tl->mem;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		void **b = realloc(m->blocks, cap * sizeof(*b));
		if (b == NULL)
			return false;
		m->blocks = b;
		m->cap = cap;
	}
	m->blocks[m->n++] = block;
	return true;
}

static enum tc_err
tl_reserve(struct st_timeline *tl, size_t more)
{
	struct st_timeline_mem *m = tl->mem;
	if (tl->n + more > ST_TIMELINE_MAX)
		return TC_ETOOBIG;
	if (tl->n + more <= m->evcap)
		return TC_OK;
	size_t cap = m->evcap ? m->evcap : 256;
	while (cap < tl->n + more)
		cap *= 2;
	struct st_event *ev = realloc(tl->ev, cap * sizeof(*ev));
	if (ev == NULL)
		return TC_ENOMEM;
	tl->ev = ev;
	m->evcap = cap;
	return TC_OK;
}

static int
row_event(void *arg, const struct st_val *c, int n)
{
	struct read_ctx *r = arg;
	struct st_timeline *tl = r->tl;
	if (n < 4)
		return 0;
	if ((r->rv = tl_reserve(tl, 1)) != TC_OK)
		return 1;
	size_t len = c[3].t == ST_V_BLOB ? c[3].n : 0;
	uint8_t *p = malloc(len > 0 ? len : 1);
	if (p == NULL || !tl_keep(tl, p)) {
		free(p);
		r->rv = TC_ENOMEM;
		return 1;
	}
	if (len > 0)
		memcpy(p, c[3].p, len);
	struct st_event *e = &tl->ev[tl->n++];
	e->seq = (uint64_t)col_int(&c[0]);
	e->ts_ms = col_int(&c[1]);
	e->type = (uint16_t)col_int(&c[2]);
	e->len = (uint32_t)len;
	e->payload = p;
	tl->raw_bytes += len;
	tl->stored_bytes += len;
	return 0;
}

static void
tl_bad(struct read_ctx *r, uint64_t first, uint64_t last, const char *why)
{
	struct st_timeline *tl = r->tl;
	struct st_timeline_mem *m = tl->mem;
	if (tl->nbad == m->badcap) {
		size_t cap = m->badcap ? m->badcap * 2 : 4;
		struct st_bad_range *b = realloc(tl->bad, cap * sizeof(*b));
		if (b == NULL) {
			r->rv = TC_ENOMEM;
			return;
		}
		tl->bad = b;
		m->badcap = cap;
	}
	tl->bad[tl->nbad++] = (struct st_bad_range){first, last};
	if (tl->msg[0] == '\0')
		snprintf(tl->msg, sizeof(tl->msg),
		    "room %s: the stored chunk holding seqs %llu..%llu is corrupt (%s); those "
		    "events are skipped and the rest of the timeline is read",
		    r->room, (unsigned long long)first, (unsigned long long)last, why);
	tc_log(TC_LOG_ERROR, "store", "room %s: chunk %llu..%llu is corrupt: %s", r->room,
	    (unsigned long long)first, (unsigned long long)last, why);
}

static int
row_chunk(void *arg, const struct st_val *c, int n)
{
	struct read_ctx *r = arg;
	struct st_timeline *tl = r->tl;
	struct st_event *evs = NULL;
	uint8_t *mem = NULL;
	size_t cnt = 0;
	char why[160] = "";
	if (n < 4)
		return 0;
	uint64_t first = (uint64_t)col_int(&c[0]), last = (uint64_t)col_int(&c[1]);
	uint64_t want = (uint64_t)col_int(&c[2]);
	const uint8_t *data = c[3].t == ST_V_BLOB ? c[3].p : NULL;
	size_t dlen = c[3].t == ST_V_BLOB ? c[3].n : 0;
	tl->stored_bytes += dlen;
	enum tc_err rv = st_chunk_decode(data, dlen, &evs, &cnt, &mem, why, sizeof(why));
	if (rv == TC_OK && (cnt != want || evs[0].seq != first || evs[cnt - 1].seq != last)) {
		snprintf(why, sizeof(why), "its contents do not match its index row");
		rv = TC_ECORRUPT;
	}
	if (rv == TC_ENOMEM) {
		r->rv = rv;
		return 1;
	}
	if (rv != TC_OK) {
		free(evs);
		free(mem);
		tl_bad(r, first, last, why);
		return r->rv != TC_OK;
	}
	if (!tl_keep(tl, mem) || (r->rv = tl_reserve(tl, cnt)) != TC_OK) {
		if (r->rv == TC_OK) {
			free(mem);
			r->rv = TC_ENOMEM;
		}
		free(evs);
		return 1;
	}
	for (size_t i = 0; i < cnt; i++) {
		if (evs[i].seq < r->from || evs[i].seq > r->to)
			continue;
		tl->ev[tl->n++] = evs[i];
		tl->raw_bytes += evs[i].len;
	}
	free(evs);
	return 0;
}

static int
cmp_seq(const void *a, const void *b)
{
	const struct st_event *x = a, *y = b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

enum tc_err
st_timeline_read(
    struct st_store *st, const char *room, uint64_t from, uint64_t to, struct st_timeline **out)
{
	if (out != NULL)
		*out = NULL;
	if (!valid_id(room) || out == NULL || from > to)
		return TC_EINVAL;
	if (from == 0)
		from = 1;
	if (to > (uint64_t)INT64_MAX)
		to = (uint64_t)INT64_MAX;
	struct st_timeline *tl = calloc(1, sizeof(*tl));
	if (tl == NULL || (tl->mem = calloc(1, sizeof(*tl->mem))) == NULL) {
		free(tl);
		return TC_ENOMEM;
	}
	struct read_ctx r = {st, tl, room, from, to, TC_OK};
	struct st_val args[] = {v_text(room), v_int((int64_t)from), v_int((int64_t)to)};
	pthread_mutex_lock(&st->mu);
	enum tc_err rv = exec_once(st, Q_EVENTS_RANGE, args, 3, row_event, &r, NULL);
	if (rv == TC_OK && r.rv == TC_OK)
		rv = exec_once(st, Q_CHUNKS_RANGE, args, 3, row_chunk, &r, NULL);
	if (rv == TC_OK && r.rv != TC_OK)
		rv = st__seterr(
		    st, r.rv, "room %s: cannot read the timeline: %s", room, tc_strerror(r.rv));
	if (rv == TC_OK && tl->nbad > 0)
		st__seterr(st, TC_ECORRUPT, "%s", tl->msg);
	pthread_mutex_unlock(&st->mu);
	if (rv != TC_OK) {
		st_timeline_free(tl);
		return rv;
	}
	if (tl->n > 1)
		qsort(tl->ev, tl->n, sizeof(*tl->ev), cmp_seq);
	*out = tl;
	return tl->nbad > 0 ? TC_ECORRUPT : TC_OK;
}

void
st_timeline_free(struct st_timeline *tl)
{
	if (tl == NULL)
		return;
	if (tl->mem != NULL) {
		for (size_t i = 0; i < tl->mem->n; i++)
			free(tl->mem->blocks[i]);
		free(tl->mem->blocks);
		free(tl->mem);
	}
	free(tl->ev);
	free(tl->bad);
	free(tl);
}
