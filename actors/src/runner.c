/*
 * runner.c - the run dispatcher and the runner slots (actors/runner.h).
 *
 * Design notes.
 * - The dispatcher owns the FIFO and knows which room each busy slot
 *   serves; a room may have one run queued or running, which the room
 *   enforces too (RUN_BUSY) and the dispatcher re-checks (a room that
 *   restarted could otherwise queue twice).  Fairness then follows from
 *   FIFO order: a room waits at most for the runs of the rooms ahead of it.
 * - A job is forwarded with the room as its sender (tc_node_send lets the
 *   dispatcher name any sender), so the slot replies to the room directly
 *   and the dispatcher is not on the verdict's path.
 * - A slot's job runs on the worker pool.  The job owns copies of every
 *   string and, while it runs, the slot's sandbox worker; it is reference
 *   counted (pool and actor) so a slot stopped mid-run frees nothing the
 *   pool still uses, and the last holder frees the worker too.  The slot
 *   posts "running" when the job starts; the judge then reports each test
 *   as it ends (struct runner_job's progress hook, on a lane's thread), and
 *   that thread posts "running" with done/total itself (tc_node_send is
 *   safe from any thread), at most every RUNNER_PROGRESS_MS.
 * - The configuration is shared by every runner actor of the node and
 *   reference counted; the last actor to stop frees it.
 */
#include <msgpack.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actors/protocol.h"
#include "actors/runner.h"
#include "core/actor.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/node.h"
#include "mp_priv.h"
#include "sandbox/judge.h"

#define DEFAULT_MAX_QUEUE 1024u
#define MAX_RESULT (512u << 10) /* a verdict larger than this is summarised */

struct shared;

struct slot_arg {
	struct shared *sh;
	unsigned n;
};

struct shared {
	atomic_int refs;
	struct runner_config cfg;
	char *problems_dir;
	struct slot_arg *args; /* the slots' spawn arguments */
};

static void
shared_unref(struct shared *s)
{
	if (s != NULL && atomic_fetch_sub(&s->refs, 1) == 1) {
		free(s->problems_dir);
		free(s->args);
		free(s);
	}
}

/* ---- results ----------------------------------------------------------- */

static char *
error_result(const char *message)
{
	struct sbx_result r;
	char *out = NULL;

	memset(&r, 0, sizeof(r));
	r.status = SBX_INTERNAL_ERROR;
	r.message = (char *)message;
	if (sbx_result_format(&r, &out) != TC_OK)
		return strdup("{\"status\":\"INTERNAL_ERROR\",\"passed\":0,\"total\":0,"
		              "\"time_ms\":0,\"details\":[]}");
	return out;
}

static bool
valid_slug(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > ST_ID_MAX || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		        c == '-' || c == '_'))
			return false;
	}
	return true;
}

enum tc_err
runner_default_judge(void *arg, const struct runner_job *job, char **result, unsigned *total)
{
	const struct runner_config *cfg = arg;
	struct sbx_problem *p = NULL;
	char dir[4096], err[512] = "";
	enum tc_err rv;

	*result = NULL;
	if (!valid_slug(job->problem) || cfg->problems_dir == NULL) {
		*result = error_result("unknown problem");
		return *result != NULL ? TC_OK : TC_ENOMEM;
	}
	snprintf(dir, sizeof(dir), "%s/%s", cfg->problems_dir, job->problem);
	if ((rv = sbx_problem_load(dir, &p, err, sizeof(err))) != TC_OK) {
		tc_log(TC_LOG_ERROR, "runner", "problem %s: %s: %s", job->problem, tc_strerror(rv),
		    err);
		*result = error_result("the problem could not be loaded");
		return *result != NULL ? TC_OK : TC_ENOMEM;
	}
	*total = (unsigned)sbx_problem_ntests(p);
	if (*job->worker == NULL &&
	    (rv = sbx_worker_new(cfg->level, job->slot, job->worker)) != TC_OK) {
		tc_log(TC_LOG_ERROR, "runner", "slot %u: sandbox at level %s: %s", job->slot,
		    sbx_level_name(cfg->level), tc_strerror(rv));
		sbx_problem_free(p);
		*result = error_result("the sandbox is not available on this host");
		return *result != NULL ? TC_OK : TC_ENOMEM;
	}
	struct sbx_judge_opts o;
	struct sbx_result r;
	sbx_judge_opts_init(&o);
	o.policy.level = cfg->level;
	o.probe = cfg->probe;
	o.counterexample = cfg->counterexample;
	o.on_test = job->progress;
	o.on_test_arg = job->progress_ctx;
	rv = sbx_judge_run(*job->worker, p, job->code, job->code_len, &o, &r);
	sbx_problem_free(p);
	if (rv != TC_OK) {
		*result = error_result("the judge failed");
		return *result != NULL ? TC_OK : TC_ENOMEM;
	}
	rv = sbx_result_format(&r, result);
	sbx_result_fini(&r);
	return rv;
}

/* ---- a slot's job ------------------------------------------------------ */

struct job {
	atomic_int refs;
	struct shared *sh;
	struct tc_node *node;
	struct tc_addr slot_addr;
	struct tc_addr room_addr;
	char run[ST_ID_MAX + 1];
	char room[ST_ID_MAX + 1];
	char user[ST_ID_MAX + 1];
	char problem[ST_ID_MAX + 1];
	char lang[32];
	char *code;
	size_t code_len;
	uint64_t attempt;
	unsigned slot;
	struct sbx_worker *worker;
	char *result;        /* the verdict's JSON, set by the pool */
	int64_t progress_ms; /* when the pool last posted progress */
};

static void
job_unref(struct job *j)
{
	if (j == NULL || atomic_fetch_sub(&j->refs, 1) != 1)
		return;
	free(j->code);
	free(j->result);
	sbx_worker_free(j->worker);
	shared_unref(j->sh);
	free(j);
}

static int64_t
wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
post_progress(struct job *j, const char *state, uint64_t done, uint64_t total)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 4);
	act__pack_kv_str(&pk, "run", j->run);
	act__pack_kv_str(&pk, "state", state);
	act__pack_kv_u64(&pk, "done", done);
	act__pack_kv_u64(&pk, "total", total);
	if (sb.data != NULL)
		(void)tc_node_send(
		    j->node, j->room_addr, j->slot_addr, RUNNER_MSG_PROGRESS, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
}

/* The judge's progress hook (struct runner_job): tests ended so far, to the
 * room as "running" progress, at most every RUNNER_PROGRESS_MS. */
static void
job_progress(void *ctx, unsigned done, unsigned total)
{
	struct job *j = ctx;
	uint64_t now = tc_clock_now_ms(tc_clock_real());
	if (done < total && j->progress_ms != 0 && now - j->progress_ms < RUNNER_PROGRESS_MS)
		return; /* the first and the last always go out */
	j->progress_ms = now;
	post_progress(j, "running", done, total);
}

/* record_start stores the code and the submission; false when not recorded. */
static bool
record_start(struct job *j)
{
	const struct runner_config *cfg = &j->sh->cfg;
	struct st_submission s;
	enum tc_err rv;

	if (cfg->store == NULL)
		return false;
	memset(&s, 0, sizeof(s));
	snprintf(s.id, sizeof(s.id), "%s", j->run);
	snprintf(s.room_id, sizeof(s.room_id), "%s", j->room);
	snprintf(s.user_id, sizeof(s.user_id), "%s", j->user);
	snprintf(s.problem_id, sizeof(s.problem_id), "%s", j->problem);
	snprintf(s.lang, sizeof(s.lang), "%s", j->lang);
	s.attempt = (int64_t)(j->attempt > 0 ? j->attempt : 1);
	if (cfg->blobs != NULL &&
	    (rv = st_blob_put(cfg->blobs, j->code, j->code_len, s.code_key)) != TC_OK)
		tc_log(
		    TC_LOG_WARN, "runner", "run %s: code not stored: %s", j->run, tc_strerror(rv));
	rv = st_submission_create(cfg->store, &s);
	if (rv == TC_OK || rv == TC_EEXIST) /* EEXIST: a redelivered job */
		rv = st_submission_start(cfg->store, j->run, wall_ms());
	if (rv != TC_OK) {
		tc_log(TC_LOG_WARN, "runner", "run %s: submission not recorded: %s", j->run,
		    tc_strerror(rv));
		return false;
	}
	return true;
}

static void
record_verdict(struct job *j)
{
	const struct runner_config *cfg = &j->sh->cfg;
	struct sbx_result r;
	struct st_verdict v;
	enum tc_err rv;

	memset(&v, 0, sizeof(v));
	if (sbx_result_parse(j->result, strlen(j->result), &r) == TC_OK) {
		snprintf(v.status, sizeof(v.status), "%s", sbx_status_name(r.status));
		v.passed = r.passed;
		v.total = r.total;
		v.time_ms = r.time_ms;
		sbx_result_fini(&r);
	} else {
		snprintf(v.status, sizeof(v.status), "INTERNAL_ERROR");
	}
	if (cfg->blobs != NULL &&
	    (rv = st_blob_put(cfg->blobs, j->result, strlen(j->result), v.result_key)) != TC_OK)
		tc_log(TC_LOG_WARN, "runner", "run %s: result not stored: %s", j->run,
		    tc_strerror(rv));
	v.finished_ms = wall_ms();
	rv = st_submission_finish(cfg->store, j->run, &v);
	if (rv != TC_OK && rv != TC_EEXIST)
		tc_log(TC_LOG_WARN, "runner", "run %s: verdict not recorded: %s", j->run,
		    tc_strerror(rv));
}

/* summarise keeps a verdict that would not fit a message to its headline. */
static void
summarise(struct job *j)
{
	struct sbx_result r, s;
	char *out = NULL;

	if (strlen(j->result) <= MAX_RESULT)
		return;
	memset(&s, 0, sizeof(s));
	if (sbx_result_parse(j->result, strlen(j->result), &r) == TC_OK) {
		s.status = r.status;
		s.passed = r.passed;
		s.total = r.total;
		s.time_ms = r.time_ms;
		sbx_result_fini(&r);
	} else {
		s.status = SBX_INTERNAL_ERROR;
	}
	s.message = "the details were too large to show";
	if (sbx_result_format(&s, &out) == TC_OK) {
		free(j->result);
		j->result = out;
	}
}

static enum tc_err
job_work(void *arg)
{
	struct job *j = arg;
	const struct runner_config *cfg = &j->sh->cfg;
	struct runner_job rj = {.run = j->run,
	    .room = j->room,
	    .user = j->user,
	    .problem = j->problem,
	    .lang = j->lang,
	    .code = j->code,
	    .code_len = j->code_len,
	    .attempt = j->attempt,
	    .slot = j->slot,
	    .worker = &j->worker,
	    .progress = job_progress,
	    .progress_ctx = j};
	unsigned total = 0;
	enum tc_err rv;

	bool recorded = record_start(j);
	if (cfg->judge != NULL)
		rv = cfg->judge(cfg->judge_arg, &rj, &j->result, &total);
	else
		rv = runner_default_judge((void *)cfg, &rj, &j->result, &total);
	if (rv != TC_OK || j->result == NULL) {
		free(j->result);
		j->result = error_result("the judge failed");
	}
	if (j->result != NULL) {
		summarise(j);
		if (recorded)
			record_verdict(j);
	}
	rv = j->result != NULL ? TC_OK : TC_ENOMEM;
	job_unref(j);
	return rv;
}

/* ---- the slot actor ---------------------------------------------------- */

struct slot {
	struct shared *sh;
	unsigned n;
	struct sbx_worker *worker;
	struct job *job;
};

static void
slot_ready(struct tc_ctx *ctx)
{
	enum tc_err rv = tc_send_name(ctx, RUNNER_QUEUE_NAME, RUNNER_MSG_READY, NULL, 0, NULL);
	if (rv != TC_OK)
		tc_log(TC_LOG_WARN, "runner", "dispatcher unreachable: %s", tc_strerror(rv));
}

static void
reply_rejected(struct tc_ctx *ctx, struct tc_addr to, const char *run, const char *message)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 2);
	act__pack_kv_str(&pk, "run", run);
	act__pack_kv_str(&pk, "message", message);
	if (sb.data != NULL)
		(void)tc_send(ctx, to, RUNNER_MSG_REJECTED, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
}

static enum tc_err
slot_init(struct tc_ctx *ctx, void *arg, void **state)
{
	struct slot_arg *a = arg;
	struct slot *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		shared_unref(a->sh); /* the reference runner_start took for it */
		return TC_ENOMEM;
	}
	s->sh = a->sh;
	s->n = a->n;
	*state = s;
	slot_ready(ctx);
	return TC_OK;
}

static void
slot_run(struct tc_ctx *ctx, struct slot *s, const struct tc_msg *msg)
{
	msgpack_unpacked u;
	const msgpack_object *map;
	const uint8_t *code;
	size_t clen;
	struct job *j;
	char run[ST_ID_MAX + 1] = "";

	if (act__map_open(msg->body, msg->len, &u, &map) != TC_OK ||
	    !act__get_str(map, "run", run, sizeof(run))) {
		msgpack_unpacked_destroy(&u);
		tc_log(TC_LOG_WARN, "runner", "slot %u: malformed run dropped", s->n);
		slot_ready(ctx);
		return;
	}
	if (s->job != NULL) {
		msgpack_unpacked_destroy(&u);
		reply_rejected(ctx, msg->from, run, "the runner is busy");
		return;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL || !act__get_str(map, "room", j->room, sizeof(j->room)) ||
	    !act__get_str(map, "user", j->user, sizeof(j->user)) ||
	    !act__get_str(map, "problem", j->problem, sizeof(j->problem)) ||
	    !act__get_str(map, "lang", j->lang, sizeof(j->lang)) ||
	    !act__get_raw(map, "code", &code, &clen) || (j->code = malloc(clen + 1)) == NULL) {
		msgpack_unpacked_destroy(&u);
		if (j != NULL)
			free(j->code);
		free(j);
		reply_rejected(ctx, msg->from, run, "the run request was malformed");
		slot_ready(ctx);
		return;
	}
	memcpy(j->code, code, clen);
	j->code[clen] = '\0';
	j->code_len = clen;
	(void)act__get_u64(map, "attempt", &j->attempt);
	msgpack_unpacked_destroy(&u);
	snprintf(j->run, sizeof(j->run), "%s", run);
	atomic_init(&j->refs, 2);
	atomic_fetch_add(&s->sh->refs, 1);
	j->sh = s->sh;
	j->node = tc_ctx_node(ctx);
	j->slot_addr = tc_self(ctx);
	j->room_addr = msg->from;
	j->slot = s->n;
	j->worker = s->worker; /* the job holds the worker while it runs */
	s->worker = NULL;
	post_progress(j, "running", 0, 0);
	enum tc_err rv = tc_work(ctx, job_work, j, s->n);
	if (rv != TC_OK) {
		s->worker = j->worker;
		j->worker = NULL;
		atomic_store(&j->refs, 1);
		job_unref(j);
		reply_rejected(ctx, msg->from, run, "the runner could not start the job");
		slot_ready(ctx);
		return;
	}
	s->job = j;
}

static void
slot_done(struct tc_ctx *ctx, struct slot *s)
{
	struct job *j = s->job;
	if (j == NULL)
		return;
	s->job = NULL;
	s->worker = j->worker;
	j->worker = NULL;
	if (j->result != NULL) {
		msgpack_sbuffer sb;
		msgpack_packer pk;
		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		msgpack_pack_map(&pk, 2);
		act__pack_kv_str(&pk, "run", j->run);
		act__pack_kv_raw(&pk, "result", j->result, strlen(j->result), false);
		if (sb.data != NULL)
			(void)tc_send(ctx, j->room_addr, RUNNER_MSG_VERDICT, sb.data, sb.size);
		msgpack_sbuffer_destroy(&sb);
	} else {
		reply_rejected(ctx, j->room_addr, j->run, "the judge ran out of memory");
	}
	job_unref(j);
	slot_ready(ctx);
}

static enum tc_err
slot_handle(struct tc_ctx *ctx, void *state, const struct tc_msg *msg)
{
	struct slot *s = state;
	switch (msg->type) {
	case RUNNER_MSG_RUN:
		slot_run(ctx, s, msg);
		break;
	case TC_MSG_WORK_DONE:
		slot_done(ctx, s);
		break;
	default:
		break;
	}
	return TC_OK;
}

static void
slot_fini(void *state, enum tc_err reason)
{
	struct slot *s = state;
	job_unref(s->job); /* the pool's reference frees it when the run ends */
	sbx_worker_free(s->worker);
	shared_unref(s->sh);
	free(s);
}

static const struct tc_behaviour slot_behaviour = {
    .kind = RUNNER_KIND,
    .init = slot_init,
    .handle = slot_handle,
    .fini = slot_fini,
};

/* ---- the dispatcher ---------------------------------------------------- */

struct busy {
	struct tc_addr slot;
	struct tc_addr room;
};

struct queue {
	struct shared *sh;
	struct tc_msg **q; /* FIFO ring of copies, from = the room */
	size_t head, n, cap;
	struct tc_addr *ready;
	size_t nready;
	struct busy *busy;
	size_t nbusy;
	size_t slots_cap;
};

static bool
room_has_run(const struct queue *d, struct tc_addr room)
{
	for (size_t i = 0; i < d->n; i++) {
		if (tc_addr_eq(d->q[(d->head + i) % d->cap]->from, room))
			return true;
	}
	for (size_t i = 0; i < d->nbusy; i++) {
		if (tc_addr_eq(d->busy[i].room, room))
			return true;
	}
	return false;
}

static void
dispatch(struct tc_ctx *ctx, struct queue *d)
{
	while (d->n > 0 && d->nready > 0 && d->nbusy < d->slots_cap) {
		struct tc_msg *m = d->q[d->head];
		struct tc_addr slot = d->ready[--d->nready];
		d->head = (d->head + 1) % d->cap;
		d->n--;
		enum tc_err rv =
		    tc_node_send(tc_ctx_node(ctx), slot, m->from, RUNNER_MSG_RUN, m->body, m->len);
		if (rv == TC_OK) {
			d->busy[d->nbusy++] = (struct busy){slot, m->from};
		} else {
			tc_log(TC_LOG_WARN, "runner", "slot unreachable: %s", tc_strerror(rv));
			msgpack_unpacked u;
			const msgpack_object *map;
			char run[ST_ID_MAX + 1] = "";
			if (act__map_open(m->body, m->len, &u, &map) == TC_OK)
				(void)act__get_str(map, "run", run, sizeof(run));
			msgpack_unpacked_destroy(&u);
			reply_rejected(ctx, m->from, run, "the runner is not available");
		}
		tc_msg_free(m);
	}
}

static void
queue_run(struct tc_ctx *ctx, struct queue *d, const struct tc_msg *msg)
{
	msgpack_unpacked u;
	const msgpack_object *map;
	char run[ST_ID_MAX + 1] = "";
	struct tc_msg *copy;

	if (act__map_open(msg->body, msg->len, &u, &map) != TC_OK ||
	    !act__get_str(map, "run", run, sizeof(run))) {
		msgpack_unpacked_destroy(&u);
		tc_log(TC_LOG_WARN, "runner", "malformed run request dropped");
		return;
	}
	msgpack_unpacked_destroy(&u);
	if (room_has_run(d, msg->from)) {
		reply_rejected(
		    ctx, msg->from, run, "this room already has a run queued or running");
		return;
	}
	if (d->n == d->cap) {
		reply_rejected(ctx, msg->from, run, "the judge queue is full; try again shortly");
		return;
	}
	if (tc_msg_new(RUNNER_MSG_RUN, msg->body, msg->len, &copy) != TC_OK) {
		reply_rejected(ctx, msg->from, run, "out of memory");
		return;
	}
	copy->from = msg->from;
	d->q[(d->head + d->n) % d->cap] = copy;
	d->n++;
	dispatch(ctx, d);
}

static void
slot_is_ready(struct tc_ctx *ctx, struct queue *d, struct tc_addr slot)
{
	for (size_t i = 0; i < d->nbusy; i++) {
		if (tc_addr_eq(d->busy[i].slot, slot)) {
			d->busy[i] = d->busy[--d->nbusy];
			break;
		}
	}
	for (size_t i = 0; i < d->nready; i++) {
		if (tc_addr_eq(d->ready[i], slot))
			return;
	}
	if (d->nready < d->slots_cap)
		d->ready[d->nready++] = slot;
	dispatch(ctx, d);
}

static enum tc_err
queue_init(struct tc_ctx *ctx, void *arg, void **state)
{
	struct shared *sh = arg;
	struct queue *d = calloc(1, sizeof(*d));
	if (d == NULL) {
		shared_unref(sh);
		return TC_ENOMEM;
	}
	d->cap = sh->cfg.max_queue;
	d->slots_cap = sh->cfg.count;
	d->q = calloc(d->cap, sizeof(*d->q));
	d->ready = calloc(d->slots_cap, sizeof(*d->ready));
	d->busy = calloc(d->slots_cap, sizeof(*d->busy));
	if (d->q == NULL || d->ready == NULL || d->busy == NULL) {
		free(d->q);
		free(d->ready);
		free(d->busy);
		free(d);
		shared_unref(sh);
		return TC_ENOMEM;
	}
	d->sh = sh;
	*state = d;
	return TC_OK;
}

static enum tc_err
queue_handle(struct tc_ctx *ctx, void *state, const struct tc_msg *msg)
{
	struct queue *d = state;
	switch (msg->type) {
	case RUNNER_MSG_RUN:
		queue_run(ctx, d, msg);
		break;
	case RUNNER_MSG_READY:
		slot_is_ready(ctx, d, msg->from);
		break;
	default:
		break;
	}
	return TC_OK;
}

static void
queue_fini(void *state, enum tc_err reason)
{
	struct queue *d = state;
	for (size_t i = 0; i < d->n; i++)
		tc_msg_free(d->q[(d->head + i) % d->cap]);
	free(d->q);
	free(d->ready);
	free(d->busy);
	shared_unref(d->sh);
	free(d);
}

static const struct tc_behaviour queue_behaviour = {
    .kind = RUNNER_KIND,
    .init = queue_init,
    .handle = queue_handle,
    .fini = queue_fini,
};

enum tc_err
runner_start(struct tc_node *node, const struct runner_config *cfg)
{
	struct shared *sh;
	struct tc_addr a;
	enum tc_err rv;

	if (node == NULL || cfg == NULL)
		return TC_EINVAL;
	if (tc_node_whereis(node, RUNNER_QUEUE_NAME, &a) == TC_OK)
		return TC_EEXIST;
	sh = calloc(1, sizeof(*sh));
	if (sh == NULL)
		return TC_ENOMEM;
	atomic_init(&sh->refs, 1); /* this function's, dropped at the end */
	sh->cfg = *cfg;
	if (sh->cfg.count == 0)
		sh->cfg.count = 1;
	if (sh->cfg.max_queue == 0)
		sh->cfg.max_queue = DEFAULT_MAX_QUEUE;
	sh->args = calloc(sh->cfg.count, sizeof(*sh->args));
	if (sh->args == NULL ||
	    (cfg->problems_dir != NULL && (sh->problems_dir = strdup(cfg->problems_dir)) == NULL)) {
		free(sh->args);
		free(sh);
		return TC_ENOMEM;
	}
	sh->cfg.problems_dir = sh->problems_dir;

	/* Each actor's reference is taken before its spawn (init may run late). */
	atomic_fetch_add(&sh->refs, 1);
	rv = tc_spawn_named(node, RUNNER_QUEUE_NAME, &queue_behaviour, sh, NULL);
	if (rv != TC_OK)
		shared_unref(sh);
	for (unsigned i = 0; rv == TC_OK && i < sh->cfg.count; i++) {
		char name[TC_NAME_MAX];
		snprintf(name, sizeof(name), "%s/%u", RUNNER_KIND, i);
		sh->args[i] = (struct slot_arg){sh, i};
		atomic_fetch_add(&sh->refs, 1);
		rv = tc_spawn_named(node, name, &slot_behaviour, &sh->args[i], NULL);
		if (rv != TC_OK)
			shared_unref(sh);
	}
	if (rv != TC_OK)
		tc_log(TC_LOG_ERROR, "runner", "starting the runners: %s", tc_strerror(rv));
	shared_unref(sh);
	return rv;
}
