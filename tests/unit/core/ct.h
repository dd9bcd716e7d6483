/*
 * tests/unit/core/ct.h - helpers shared by the core's unit tests: start a
 * node, stop it and check the shutdown report, wait for an atomic counter.
 * Header-only (static functions) so each test executable stays one file.
 */
#ifndef CT_H
#define CT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/actor.h"
#include "core/clock.h"
#include "core/msg.h"
#include "core/node.h"
#include "xt.h"

/* The deadline that only bounds a failing test. */
#define CT_DEADLINE_MS 10000u

/* ct_node starts a node with `workers` scheduler threads on clock (NULL: real). */
static inline struct tc_node *
ct_node(uint16_t id, const char *name, unsigned workers, struct tc_clock *clock)
{
	struct tc_node_config cfg = {0};
	struct tc_node *n = NULL;

	cfg.id = id;
	cfg.name = name;
	cfg.workers = workers;
	cfg.clock = clock;
	XT_OK(tc_node_new(&cfg, &n));
	XT_OK(tc_node_start(n));
	return n;
}

/* ct_node_stop stops and frees n, returning its shutdown report. */
static inline struct tc_shutdown_report
ct_node_stop(struct tc_node *n)
{
	struct tc_shutdown_report rep;

	memset(&rep, 0xff, sizeof(rep));
	XT_OK(tc_node_stop(n, CT_DEADLINE_MS, &rep));
	tc_node_free(n);
	return rep;
}

/* ct_node_stop_clean stops and frees n and asserts a clean shutdown. */
static inline void
ct_node_stop_clean(struct tc_node *n)
{
	struct tc_shutdown_report rep = ct_node_stop(n);
	cr_assert_eq(rep.actors_alive, 0, "actors alive at stop: %u", rep.actors_alive);
	cr_assert_eq(rep.timers_pending, 0, "timers pending at stop: %u", rep.timers_pending);
	cr_assert_eq(rep.work_pending, 0, "work pending at stop: %u", rep.work_pending);
	cr_assert_eq(rep.msgs_discarded, 0, "messages discarded at stop: %u", rep.msgs_discarded);
}

struct ct_wait_u64 {
	_Atomic uint64_t *p;
	uint64_t want;
};

static inline bool
ct_u64_reached(void *arg)
{
	struct ct_wait_u64 *w = arg;
	return atomic_load(w->p) >= w->want;
}

/* ct_wait_ge waits until *p >= want (bounded by CT_DEADLINE_MS). */
static inline bool
ct_wait_ge(_Atomic uint64_t *p, uint64_t want)
{
	struct ct_wait_u64 w = {p, want};
	return xt_wait_until(ct_u64_reached, &w, CT_DEADLINE_MS);
}

struct ct_wait_actors {
	struct tc_node *node;
	uint32_t want;
};

static inline bool
ct_actors_reached(void *arg)
{
	struct ct_wait_actors *w = arg;
	struct tc_node_stats s;
	tc_node_stats(w->node, &s);
	return s.actors == w->want;
}

/* ct_wait_actors waits until the node hosts exactly want live actors. */
static inline bool
ct_wait_actors(struct tc_node *n, uint32_t want)
{
	struct ct_wait_actors w = {n, want};
	return xt_wait_until(ct_actors_reached, &w, CT_DEADLINE_MS);
}

struct ct_wait_stat {
	struct tc_node *node;
	size_t off;
	uint64_t want;
};

static inline bool
ct_stat_reached(void *arg)
{
	struct ct_wait_stat *w = arg;
	struct tc_node_stats s;
	uint64_t v;
	tc_node_stats(w->node, &s);
	memcpy(&v, (const char *)&s + w->off, sizeof(v));
	return v >= w->want;
}

/* CT_WAIT_STAT waits until tc_node_stats(n).field >= want (a uint64_t field). */
#define CT_WAIT_STAT(n, field, want)                                                    \
	xt_wait_until(ct_stat_reached,                                                  \
	    &(struct ct_wait_stat){(n), offsetof(struct tc_node_stats, field), (want)}, \
	    CT_DEADLINE_MS)

static inline bool
ct_flag_set(void *arg)
{
	return atomic_load((_Atomic int *)arg) != 0;
}

/* ct_wait_flag waits until *flag is non-zero. */
static inline bool
ct_wait_flag(_Atomic int *flag)
{
	return xt_wait_until(ct_flag_set, flag, CT_DEADLINE_MS);
}

/*
 * struct ct_probe: a scriptable actor that records what it receives (the
 * first CT_LOG_MAX messages; `count` counts them all).  The
 * probe is the actor's state (passed as the spawn argument); on_init and
 * on_msg, when set, add behaviour.  The log is guarded by `lock`; counters
 * are atomics the test thread waits on.  Nothing in an actor callback may
 * use cr_assert (it must run on the test's thread): failures are recorded.
 */
#define CT_LOG_MAX 256

struct ct_rec {
	uint32_t type, flags;
	uint64_t corr;
	struct tc_addr from;
	uint32_t len;
	uint8_t body[32];
	struct tc_down down;      /* for TC_MSG_DOWN */
	struct tc_work_done work; /* for TC_MSG_WORK_DONE */
};

struct ct_probe {
	enum tc_err (*on_init)(struct tc_ctx *ctx, struct ct_probe *p);
	enum tc_err (*on_msg)(struct tc_ctx *ctx, struct ct_probe *p, const struct tc_msg *m);
	struct tc_addr peer; /* for the script's use */
	uint64_t u;          /* for the script's use (written by the actor) */
	struct tc_msg *held; /* a message kept by the script, freed at fini */
	_Atomic int rc;      /* for the script's use: a result to report */

	pthread_mutex_t lock;
	struct ct_rec log[CT_LOG_MAX];
	size_t nlog;
	struct tc_addr self;
	_Atomic uint64_t count, inits, finis, errors;
	_Atomic int fini_reason;
};

static inline void
ct_probe_init(struct ct_probe *p)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	atomic_init(&p->count, 0);
	atomic_init(&p->inits, 0);
	atomic_init(&p->finis, 0);
	atomic_init(&p->errors, 0);
	atomic_init(&p->fini_reason, -1);
	atomic_init(&p->rc, -1);
}

static inline void
ct_probe_fini(struct ct_probe *p)
{
	pthread_mutex_destroy(&p->lock);
}

static inline enum tc_err
ct_probe_on_init(struct tc_ctx *ctx, void *arg, void **state)
{
	struct ct_probe *p = arg;
	enum tc_err rv = TC_OK;

	*state = p;
	p->self = tc_self(ctx);
	if (p->on_init != NULL)
		rv = p->on_init(ctx, p);
	atomic_fetch_add(&p->inits, 1);
	return rv;
}

static inline enum tc_err
ct_probe_on_msg(struct tc_ctx *ctx, void *state, const struct tc_msg *m)
{
	struct ct_probe *p = state;
	struct ct_rec r;

	memset(&r, 0, sizeof(r));
	r.type = m->type;
	r.flags = m->flags;
	r.corr = m->corr;
	r.from = m->from;
	r.len = m->len;
	memcpy(r.body, m->body, m->len < sizeof(r.body) ? m->len : sizeof(r.body));
	if (m->type == TC_MSG_DOWN && tc_down_decode(m, &r.down) != TC_OK)
		atomic_fetch_add(&p->errors, 1);
	if (m->type == TC_MSG_WORK_DONE && tc_work_done_decode(m, &r.work) != TC_OK)
		atomic_fetch_add(&p->errors, 1);
	pthread_mutex_lock(&p->lock);
	if (p->nlog < CT_LOG_MAX)
		p->log[p->nlog++] = r; /* later messages are counted, not logged */
	pthread_mutex_unlock(&p->lock);
	enum tc_err rv = p->on_msg != NULL ? p->on_msg(ctx, p, m) : TC_OK;
	atomic_fetch_add(&p->count, 1);
	return rv;
}

static inline void
ct_probe_on_fini(void *state, enum tc_err reason)
{
	struct ct_probe *p = state;
	tc_msg_free(p->held);
	p->held = NULL;
	atomic_store(&p->fini_reason, (int)reason);
	atomic_fetch_add(&p->finis, 1);
}

static const struct tc_behaviour ct_probe_b = {
    .kind = "probe",
    .init = ct_probe_on_init,
    .handle = ct_probe_on_msg,
    .fini = ct_probe_on_fini,
};

/* ct_probe_rec copies log entry i (under the lock). */
static inline struct ct_rec
ct_probe_rec(struct ct_probe *p, size_t i)
{
	struct ct_rec r;
	pthread_mutex_lock(&p->lock);
	cr_assert_lt(i, p->nlog, "log entry %zu of %zu", i, p->nlog);
	r = p->log[i];
	pthread_mutex_unlock(&p->lock);
	return r;
}

/* ct_probe_find returns the index of the first entry of type, or -1. */
static inline long
ct_probe_find(struct ct_probe *p, uint32_t type)
{
	long at = -1;
	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < p->nlog && at < 0; i++) {
		if (p->log[i].type == type)
			at = (long)i;
	}
	pthread_mutex_unlock(&p->lock);
	return at;
}

/* ct_probe_count counts the entries of type. */
static inline size_t
ct_probe_count(struct ct_probe *p, uint32_t type)
{
	size_t k = 0;
	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < p->nlog; i++)
		k += p->log[i].type == type;
	pthread_mutex_unlock(&p->lock);
	return k;
}

struct ct_wait_type {
	struct ct_probe *p;
	uint32_t type;
};

static inline bool
ct_type_seen(void *arg)
{
	struct ct_wait_type *w = arg;
	return ct_probe_find(w->p, w->type) >= 0;
}

/* ct_wait_type waits until p has received a message of type; returns its index. */
static inline long
ct_wait_type(struct ct_probe *p, uint32_t type)
{
	struct ct_wait_type w = {p, type};
	cr_assert(
	    xt_wait_until(ct_type_seen, &w, CT_DEADLINE_MS), "no message of type %u came", type);
	return ct_probe_find(p, type);
}

/* The type of the message ct_sync sends. */
#define CT_SYNC (TC_MSG_APP + 999)

struct ct_wait_count {
	struct ct_probe *p;
	uint32_t type;
	size_t want;
};

static inline bool
ct_count_reached(void *arg)
{
	struct ct_wait_count *w = arg;
	return ct_probe_count(w->p, w->type) >= w->want;
}

/* ct_wait_count waits until p has received want messages of type. */
static inline bool
ct_wait_count(struct ct_probe *p, uint32_t type, size_t want)
{
	struct ct_wait_count w = {p, type, want};
	return xt_wait_until(ct_count_reached, &w, CT_DEADLINE_MS);
}

/*
 * ct_sync sends a CT_SYNC message to probe p at a and waits until it was
 * handled: everything posted to a before the call (from this thread, or
 * posted synchronously by a fake clock's advance) was handled before it.
 */
static inline void
ct_sync(struct tc_node *n, struct tc_addr a, struct ct_probe *p)
{
	size_t before = ct_probe_count(p, CT_SYNC);
	XT_OK(tc_node_send(n, a, TC_ADDR_NONE, CT_SYNC, NULL, 0));
	cr_assert(ct_wait_count(p, CT_SYNC, before + 1), "the sync message was not handled");
}

/* ct_spawn_probe starts a probe and waits for its init to have run. */
static inline struct tc_addr
ct_spawn_probe(struct tc_node *n, struct ct_probe *p)
{
	struct tc_addr a;
	XT_OK(tc_spawn(n, &ct_probe_b, p, &a));
	cr_assert(ct_wait_ge(&p->inits, 1), "init did not run");
	return a;
}

#endif /* CT_H */
