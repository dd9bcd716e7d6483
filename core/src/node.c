/*
 * node.c - actors, the scheduler and the name registry of one node.
 *
 * Design notes
 * - Actors live in slots of a chunked table.  Chunks are never freed while
 *   the node lives, so any thread may look a slot up without a lock; the
 *   slot's generation (the high half of an actor id) tells a live actor
 *   from a stale id.  A send to a stale id fails with TC_ENOENT.
 * - Each slot has an MPSC mailbox and a `scheduled` flag.  A sender pushes,
 *   then sets the flag if it was clear and puts the slot on the run queue:
 *   a slot is on the run queue at most once and run by one thread at a
 *   time, which is what makes actor state single-threaded.  After a turn
 *   the runner clears the flag and looks at the mailbox again, so a push
 *   that raced with the clear is never stranded (both sides use seq_cst).
 * - A message pushed just as its target stops lands in a mailbox whose
 *   generation moved on; it is dropped and counted as a dead letter when
 *   the slot next runs.  Slot memory is never freed, so this is safe.
 * - init runs as the first message (TC_MSG_INIT) on a scheduler thread, so
 *   spawning never runs actor code on the caller's thread.
 * - The run queue is one mutex-protected FIFO with a condition variable;
 *   workers spin briefly before sleeping.  Contention is per actor turn
 *   (up to `throughput` messages), not per message.
 */
#include <errno.h>
#include <msgpack.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core_priv.h"

#define CHUNK_BITS 12
#define CHUNK_SLOTS (1u << CHUNK_BITS)
#define MAX_CHUNKS 1024u /* up to 4M actors per node */
#define MAX_KINDS 32

enum slot_state {
	SLOT_FREE = 0,
	SLOT_ALIVE = 1,
};

struct pending_ask {
	uint64_t corr;
	uint64_t timer;
};

struct tc_actor {
	_Atomic uint32_t gen;
	_Atomic int state;
	_Atomic int scheduled;
	uint32_t index;
	struct tc_actor *runq_next;
	struct tc_actor *free_next;
	struct tc__mpsc mbox;

	/* Owned by the thread running the actor (published by the mailbox). */
	const struct tc_behaviour *beh;
	void *arg;
	void *state_ptr;
	bool inited;
	bool stop_req;
	enum tc_err reason;
	bool named;
	char name[TC_NAME_MAX];
	struct pending_ask *asks;
	size_t nasks, capasks;

	/* Watchers of this actor; guarded by mon_lock. */
	pthread_mutex_t mon_lock;
	struct tc_addr *monitors;
	size_t nmon, capmon;
};

struct tc_ctx {
	struct tc_node *node;
	struct tc_actor *actor;
	struct tc_addr self;
};

struct name_entry {
	struct name_entry *next;
	struct tc_addr addr;
	char name[];
};

struct kind_entry {
	char kind[TC_NAME_MAX];
	const struct tc_behaviour *beh;
};

struct tc_node {
	uint16_t id;
	char name[64];
	unsigned nworkers;
	unsigned pool_threads;
	char *listen_url;
	struct tc_clock *clock;
	size_t max_body;
	size_t max_batch;
	unsigned throughput;
	unsigned poll_yields;

	/* Slot table: chunk pointers are published once and never change. */
	_Atomic(struct tc_actor *) chunks[MAX_CHUNKS];
	pthread_mutex_t slot_lock; /* guards free_list, nchunks */
	struct tc_actor *free_list;
	uint32_t nchunks;
	_Atomic uint32_t nalive;
	pthread_cond_t alive_cv; /* signalled (with slot_lock) when nalive hits 0 */

	/* Run queue: guarded by rq_lock. */
	pthread_mutex_t rq_lock;
	pthread_cond_t rq_cv;
	struct tc_actor *rq_head, *rq_tail;
	_Atomic uint32_t rq_len;
	unsigned rq_idle;
	_Atomic int rq_spinning; /* workers polling before they sleep (at most one) */
	bool rq_stop;
	pthread_t *threads;
	unsigned nthreads;

	/* Names and kinds: guarded by reg_lock. */
	pthread_mutex_t reg_lock;
	struct name_entry **names;
	size_t nbuckets, nnames;
	struct kind_entry kinds[MAX_KINDS];
	size_t nkinds;

	_Atomic uint64_t next_corr;
	_Atomic int stopping;
	bool started, stopped;

	struct tc__timers *timers;
	struct tc__pool *pool;
	struct tc__remote *remote;
	struct tc_metrics *metrics;
	bool own_metrics;
	struct tc__node_counters ctr;
};

/* ---- slots ------------------------------------------------------------- */

static struct tc_actor *
slot_get(struct tc_node *n, uint32_t index)
{
	uint32_t c = index >> CHUNK_BITS;
	if (c >= MAX_CHUNKS)
		return NULL;
	struct tc_actor *chunk = atomic_load_explicit(&n->chunks[c], memory_order_acquire);
	if (chunk == NULL)
		return NULL;
	return &chunk[index & (CHUNK_SLOTS - 1)];
}

static enum tc_err
chunk_add(struct tc_node *n)
{
	if (n->nchunks >= MAX_CHUNKS)
		return TC_EFULL;
	struct tc_actor *chunk = calloc(CHUNK_SLOTS, sizeof(*chunk));
	if (chunk == NULL)
		return TC_ENOMEM;
	uint32_t base = n->nchunks << CHUNK_BITS;
	for (uint32_t i = CHUNK_SLOTS; i-- > 0;) {
		struct tc_actor *a = &chunk[i];
		a->index = base + i;
		atomic_init(&a->gen, 1);
		if (tc__mpsc_init(&a->mbox) != TC_OK) {
			for (uint32_t j = i + 1; j < CHUNK_SLOTS; j++) {
				tc__mpsc_fini(&chunk[j].mbox);
				pthread_mutex_destroy(&chunk[j].mon_lock);
			}
			free(chunk);
			return TC_ENOMEM;
		}
		pthread_mutex_init(&a->mon_lock, NULL);
		/* Index 0 is never used: id 0 means "no actor". */
		if (a->index != 0) {
			a->free_next = n->free_list;
			n->free_list = a;
		}
	}
	atomic_store_explicit(&n->chunks[n->nchunks], chunk, memory_order_release);
	n->nchunks++;
	return TC_OK;
}

static struct tc_addr
slot_addr(struct tc_node *n, struct tc_actor *a)
{
	struct tc_addr addr = {tc__id_make(a->index, atomic_load(&a->gen)), n->id};
	return addr;
}

/* ---- run queue --------------------------------------------------------- */

/* The node whose scheduler thread this is, if any. */
static _Thread_local struct tc_node *tls_worker_node;

static void
runq_push(struct tc_node *n, struct tc_actor *a)
{
	pthread_mutex_lock(&n->rq_lock);
	a->runq_next = NULL;
	if (n->rq_tail != NULL)
		n->rq_tail->runq_next = a;
	else
		n->rq_head = a;
	n->rq_tail = a;
	atomic_fetch_add(&n->rq_len, 1);
	/*
	 * Wake a sleeping worker unless someone will take this soon anyway: a
	 * polling worker, or (for the only entry) the worker pushing it, which
	 * takes it after its current turn.  Scheduling a receiver from inside
	 * a turn then costs no futex wake; a second runnable actor does.
	 */
	uint32_t len = atomic_load(&n->rq_len);
	bool soon = atomic_load(&n->rq_spinning) != 0 || tls_worker_node == n;
	if (n->rq_idle > 0 && (!soon || len > 1))
		pthread_cond_signal(&n->rq_cv);
	pthread_mutex_unlock(&n->rq_lock);
}

static struct tc_actor *
runq_take_locked(struct tc_node *n)
{
	struct tc_actor *a = n->rq_head;
	if (a != NULL) {
		n->rq_head = a->runq_next;
		if (n->rq_head == NULL)
			n->rq_tail = NULL;
		atomic_fetch_sub(&n->rq_len, 1);
	}
	return a;
}

/*
 * One idle worker at a time polls the run queue briefly, yielding the CPU
 * between looks, before it sleeps: a burst of work then finds it awake
 * without a futex wake-up, and runnable threads (nng's, other nodes')
 * are not starved by the polling.
 */
static void
poll_briefly(struct tc_node *n)
{
	int expected = 0;
	if (!atomic_compare_exchange_strong(&n->rq_spinning, &expected, 1))
		return;
	for (unsigned i = 0; i < n->poll_yields; i++) {
		if (atomic_load_explicit(&n->rq_len, memory_order_relaxed) > 0)
			break;
		sched_yield();
	}
	atomic_store(&n->rq_spinning, 0);
}

static struct tc_actor *
runq_pop(struct tc_node *n)
{
	struct tc_actor *a = NULL;

	if (n->poll_yields > 0 && atomic_load_explicit(&n->rq_len, memory_order_relaxed) == 0)
		poll_briefly(n);
	pthread_mutex_lock(&n->rq_lock);
	for (;;) {
		a = runq_take_locked(n);
		if (a != NULL || n->rq_stop)
			break;
		n->rq_idle++;
		pthread_cond_wait(&n->rq_cv, &n->rq_lock);
		n->rq_idle--;
	}
	pthread_mutex_unlock(&n->rq_lock);
	return a;
}

static void
schedule(struct tc_node *n, struct tc_actor *a)
{
	if (!atomic_load(&a->scheduled) && !atomic_exchange(&a->scheduled, 1))
		runq_push(n, a);
}

/* ---- delivery ---------------------------------------------------------- */

enum tc_err
tc__node_deliver(struct tc_node *n, struct tc_msg *m)
{
	if (m->to.node != n->id && m->to.node != 0)
		return tc__remote_send(n->remote, m, NULL);
	struct tc_actor *a = slot_get(n, tc__id_index(m->to.id));
	if (a == NULL || tc__id_index(m->to.id) == 0 ||
	    atomic_load(&a->gen) != tc__id_gen(m->to.id) || atomic_load(&a->state) != SLOT_ALIVE) {
		tc_msg_free(m);
		return TC_ENOENT;
	}
	tc__mpsc_push(&a->mbox, m);
	schedule(n, a);
	return TC_OK;
}

enum tc_err
tc_node_post(struct tc_node *n, struct tc_msg *m)
{
	if (m == NULL)
		return TC_EINVAL;
	if (m->len > n->max_body) {
		tc_msg_free(m);
		return TC_ETOOBIG;
	}
	if (tc_addr_is_none(m->to)) {
		tc_msg_free(m);
		return TC_EINVAL;
	}
	return tc__node_deliver(n, m);
}

static enum tc_err
send_common(struct tc_node *n, struct tc_addr to, struct tc_addr from, uint32_t type,
    uint32_t flags, uint64_t corr, const void *body, size_t len)
{
	struct tc_msg *m;
	enum tc_err rv;

	if (tc_addr_is_none(to) || type == TC_MSG_INIT)
		return TC_EINVAL;
	if (len > n->max_body)
		return TC_ETOOBIG;
	if ((rv = tc_msg_new(type, body, len, &m)) != TC_OK)
		return rv;
	m->to = to;
	m->from = from;
	m->flags = flags;
	m->corr = corr;
	return tc__node_deliver(n, m);
}

enum tc_err
tc_node_send(struct tc_node *n, struct tc_addr to, struct tc_addr from, uint32_t type,
    const void *body, size_t len)
{
	return send_common(n, to, from, type, 0, 0, body, len);
}

/* ---- names ------------------------------------------------------------- */

static struct name_entry **
name_find_locked(struct tc_node *n, const char *name)
{
	struct name_entry **pp = &n->names[(size_t)tc_hash_str(name) & (n->nbuckets - 1)];
	while (*pp != NULL && strcmp((*pp)->name, name) != 0)
		pp = &(*pp)->next;
	return pp;
}

static enum tc_err
name_grow_locked(struct tc_node *n)
{
	size_t nb = n->nbuckets * 2;
	struct name_entry **nt = calloc(nb, sizeof(*nt));
	if (nt == NULL)
		return TC_ENOMEM;
	for (size_t i = 0; i < n->nbuckets; i++) {
		struct name_entry *e = n->names[i];
		while (e != NULL) {
			struct name_entry *next = e->next;
			size_t b = (size_t)tc_hash_str(e->name) & (nb - 1);
			e->next = nt[b];
			nt[b] = e;
			e = next;
		}
	}
	free(n->names);
	n->names = nt;
	n->nbuckets = nb;
	return TC_OK;
}

static enum tc_err
name_put_locked(struct tc_node *n, const char *name, struct tc_addr addr)
{
	if (n->nnames >= n->nbuckets && name_grow_locked(n) != TC_OK)
		return TC_ENOMEM;
	struct name_entry **pp = name_find_locked(n, name);
	if (*pp != NULL) {
		(*pp)->addr = addr;
		return TC_OK;
	}
	size_t len = strlen(name);
	struct name_entry *e = malloc(sizeof(*e) + len + 1);
	if (e == NULL)
		return TC_ENOMEM;
	memcpy(e->name, name, len + 1);
	e->addr = addr;
	e->next = NULL;
	*pp = e;
	n->nnames++;
	return TC_OK;
}

/* Removes name if it still points at addr. */
static void
name_drop(struct tc_node *n, const char *name, struct tc_addr addr)
{
	pthread_mutex_lock(&n->reg_lock);
	struct name_entry **pp = name_find_locked(n, name);
	if (*pp != NULL && tc_addr_eq((*pp)->addr, addr)) {
		struct name_entry *e = *pp;
		*pp = e->next;
		free(e);
		n->nnames--;
	}
	pthread_mutex_unlock(&n->reg_lock);
}

/* A live actor's address for name, or none. */
static bool
name_live_locked(struct tc_node *n, const char *name, struct tc_addr *out)
{
	struct name_entry *e = *name_find_locked(n, name);
	if (e == NULL)
		return false;
	struct tc_actor *a = slot_get(n, tc__id_index(e->addr.id));
	if (a == NULL || atomic_load(&a->gen) != tc__id_gen(e->addr.id) ||
	    atomic_load(&a->state) != SLOT_ALIVE)
		return false;
	*out = e->addr;
	return true;
}

enum tc_err
tc_node_whereis(struct tc_node *n, const char *name, struct tc_addr *out)
{
	pthread_mutex_lock(&n->reg_lock);
	bool found = name_live_locked(n, name, out);
	pthread_mutex_unlock(&n->reg_lock);
	return found ? TC_OK : TC_ENOENT;
}

enum tc_err
tc_node_register_kind(struct tc_node *n, const char *kind, const struct tc_behaviour *b)
{
	enum tc_err rv = TC_OK;
	if (kind == NULL || b == NULL || strlen(kind) == 0 || strlen(kind) >= TC_NAME_MAX ||
	    strchr(kind, '/') != NULL)
		return TC_EINVAL;
	pthread_mutex_lock(&n->reg_lock);
	size_t i;
	for (i = 0; i < n->nkinds; i++) {
		if (strcmp(n->kinds[i].kind, kind) == 0)
			break;
	}
	if (i == n->nkinds) {
		if (n->nkinds == MAX_KINDS) {
			rv = TC_EFULL;
		} else {
			strcpy(n->kinds[i].kind, kind);
			n->nkinds++;
		}
	}
	if (rv == TC_OK)
		n->kinds[i].beh = b;
	pthread_mutex_unlock(&n->reg_lock);
	return rv;
}

/* ---- spawning ---------------------------------------------------------- */

static enum tc_err
spawn_locked_name(struct tc_node *n, const char *name, const struct tc_behaviour *b, void *arg,
    bool arg_is_name_id, struct tc_addr *out)
{
	struct tc_actor *a;
	struct tc_msg *init;
	enum tc_err rv;

	if (b == NULL || b->handle == NULL)
		return TC_EINVAL;
	if (atomic_load(&n->stopping))
		return TC_ESTOPPED;
	if ((rv = tc_msg_new(TC_MSG_INIT, NULL, 0, &init)) != TC_OK)
		return rv;

	pthread_mutex_lock(&n->slot_lock);
	if (n->free_list == NULL && (rv = chunk_add(n)) != TC_OK) {
		pthread_mutex_unlock(&n->slot_lock);
		tc_msg_free(init);
		return rv;
	}
	a = n->free_list;
	n->free_list = a->free_next;
	atomic_fetch_add(&n->nalive, 1);
	pthread_mutex_unlock(&n->slot_lock);

	a->beh = b;
	a->arg = arg;
	a->state_ptr = NULL;
	a->inited = false;
	a->stop_req = false;
	a->reason = TC_OK;
	a->named = false;
	a->nasks = 0;
	if (name != NULL) {
		a->named = true;
		snprintf(a->name, sizeof(a->name), "%s", name);
		if (arg_is_name_id) {
			/* The init argument is the id part of the actor's own name. */
			char *slash = strchr(a->name, '/');
			a->arg = slash != NULL ? slash + 1 : a->name;
		}
	}
	pthread_mutex_lock(&a->mon_lock);
	a->nmon = 0;
	atomic_store(&a->state, SLOT_ALIVE);
	pthread_mutex_unlock(&a->mon_lock);

	struct tc_addr addr = slot_addr(n, a);
	init->to = addr;
	tc_counter_add(n->ctr.spawned, 1);
	tc_gauge_add(n->ctr.actors, 1);
	if (out != NULL)
		*out = addr;
	tc__mpsc_push(&a->mbox, init);
	schedule(n, a);
	return TC_OK;
}

enum tc_err
tc_spawn(struct tc_node *n, const struct tc_behaviour *b, void *arg, struct tc_addr *out)
{
	return spawn_locked_name(n, NULL, b, arg, false, out);
}

static bool
name_valid(const char *name)
{
	size_t len = name != NULL ? strlen(name) : 0;
	return len > 0 && len < TC_NAME_MAX && strchr(name, '@') == NULL;
}

enum tc_err
tc_spawn_named(struct tc_node *n, const char *name, const struct tc_behaviour *b, void *arg,
    struct tc_addr *out)
{
	struct tc_addr addr;
	enum tc_err rv;

	if (!name_valid(name))
		return TC_EINVAL;
	pthread_mutex_lock(&n->reg_lock);
	if (name_live_locked(n, name, &addr)) {
		rv = TC_EEXIST;
	} else {
		rv = spawn_locked_name(n, name, b, arg, false, &addr);
		if (rv == TC_OK && (rv = name_put_locked(n, name, addr)) != TC_OK)
			(void)tc_node_stop_actor(n, addr);
	}
	pthread_mutex_unlock(&n->reg_lock);
	if (rv == TC_OK && out != NULL)
		*out = addr;
	return rv;
}

/* Resolves a local name, spawning a registered kind on first use. */
static enum tc_err
resolve_local(struct tc_node *n, const char *name, struct tc_addr *out)
{
	enum tc_err rv = TC_ENOENT;

	if (!name_valid(name))
		return TC_EINVAL;
	pthread_mutex_lock(&n->reg_lock);
	if (name_live_locked(n, name, out)) {
		rv = TC_OK;
	} else {
		const char *slash = strchr(name, '/');
		size_t klen = slash != NULL ? (size_t)(slash - name) : 0;
		for (size_t i = 0; slash != NULL && slash[1] != '\0' && i < n->nkinds; i++) {
			if (strlen(n->kinds[i].kind) == klen &&
			    memcmp(n->kinds[i].kind, name, klen) == 0) {
				rv = spawn_locked_name(n, name, n->kinds[i].beh, NULL, true, out);
				if (rv == TC_OK && (rv = name_put_locked(n, name, *out)) != TC_OK)
					(void)tc_node_stop_actor(n, *out);
				break;
			}
		}
	}
	pthread_mutex_unlock(&n->reg_lock);
	return rv;
}

enum tc_err
tc__node_deliver_name(struct tc_node *n, struct tc_msg *m, const char *name, struct tc_addr *to_out)
{
	enum tc_err rv = resolve_local(n, name, &m->to);
	if (rv != TC_OK) {
		tc_msg_free(m);
		return rv;
	}
	if (to_out != NULL)
		*to_out = m->to;
	return tc__node_deliver(n, m);
}

/*
 * Splits "kind/id@node" into the local part and a node: returns the node's
 * id, or this node's when there is no "@node".
 */
static enum tc_err
name_route(struct tc_node *n, const char *name, char local[TC_NAME_MAX], uint16_t *node)
{
	const char *at = strchr(name, '@');
	size_t llen = at != NULL ? (size_t)(at - name) : strlen(name);
	if (llen == 0 || llen >= TC_NAME_MAX)
		return TC_EINVAL;
	memcpy(local, name, llen);
	local[llen] = '\0';
	*node = n->id;
	if (at != NULL && strcmp(at + 1, n->name) != 0) {
		char *end;
		unsigned long v = strtoul(at + 1, &end, 10);
		/* "@<number>" names a node by id; a name is looked up in the peers. */
		if (*end == '\0' && v > 0 && v <= UINT16_MAX)
			*node = (uint16_t)v;
		else
			return tc__remote_peer_id(n->remote, at + 1, node);
	}
	return TC_OK;
}

static enum tc_err
send_name_common(struct tc_node *n, const char *name, struct tc_addr from, uint32_t type,
    const void *body, size_t len, struct tc_addr *to_out)
{
	char local[TC_NAME_MAX];
	uint16_t node;
	struct tc_msg *m;
	enum tc_err rv;

	if (name == NULL)
		return TC_EINVAL;
	if (len > n->max_body)
		return TC_ETOOBIG;
	if ((rv = name_route(n, name, local, &node)) != TC_OK)
		return rv;
	if ((rv = tc_msg_new(type, body, len, &m)) != TC_OK)
		return rv;
	m->from = from;
	if (node != n->id) {
		m->to.node = node;
		m->to.id = 0;
		return tc__remote_send(n->remote, m, local);
	}
	return tc__node_deliver_name(n, m, local, to_out);
}

enum tc_err
tc_node_send_name(struct tc_node *n, const char *name, struct tc_addr from, uint32_t type,
    const void *body, size_t len, struct tc_addr *to_out)
{
	return send_name_common(n, name, from, type, body, len, to_out);
}

/* ---- monitors ---------------------------------------------------------- */

static void
send_down(struct tc_node *n, struct tc_addr to, struct tc_addr who, enum tc_err reason)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 3);
	msgpack_pack_uint16(&pk, who.node);
	msgpack_pack_uint64(&pk, who.id);
	msgpack_pack_uint32(&pk, (uint32_t)reason);
	if (sb.data != NULL)
		(void)send_common(n, to, who, TC_MSG_DOWN, 0, 0, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
}

enum tc_err
tc_monitor(struct tc_ctx *ctx, struct tc_addr target)
{
	struct tc_node *n = ctx->node;
	if (target.node != n->id)
		return TC_ENOTSUP;
	struct tc_actor *a = slot_get(n, tc__id_index(target.id));
	bool added = false;
	enum tc_err rv = TC_OK;

	if (a != NULL && tc__id_index(target.id) != 0) {
		pthread_mutex_lock(&a->mon_lock);
		if (atomic_load(&a->gen) == tc__id_gen(target.id) &&
		    atomic_load(&a->state) == SLOT_ALIVE) {
			if (a->nmon == a->capmon) {
				size_t nc = a->capmon ? a->capmon * 2 : 4;
				struct tc_addr *nm = realloc(a->monitors, nc * sizeof(*nm));
				if (nm == NULL) {
					rv = TC_ENOMEM;
				} else {
					a->monitors = nm;
					a->capmon = nc;
				}
			}
			if (rv == TC_OK) {
				a->monitors[a->nmon++] = ctx->self;
				added = true;
			}
		}
		pthread_mutex_unlock(&a->mon_lock);
	}
	if (rv == TC_OK && !added)
		send_down(n, ctx->self, target, TC_ENOENT);
	return rv;
}

enum tc_err
tc_demonitor(struct tc_ctx *ctx, struct tc_addr target)
{
	struct tc_node *n = ctx->node;
	struct tc_actor *a = slot_get(n, tc__id_index(target.id));
	enum tc_err rv = TC_ENOENT;

	if (a == NULL || target.node != n->id)
		return TC_ENOENT;
	pthread_mutex_lock(&a->mon_lock);
	if (atomic_load(&a->gen) == tc__id_gen(target.id)) {
		for (size_t i = 0; i < a->nmon; i++) {
			if (tc_addr_eq(a->monitors[i], ctx->self)) {
				a->monitors[i] = a->monitors[--a->nmon];
				rv = TC_OK;
				break;
			}
		}
	}
	pthread_mutex_unlock(&a->mon_lock);
	return rv;
}

/* ---- actor context API ------------------------------------------------- */

struct tc_addr
tc_self(const struct tc_ctx *ctx)
{
	return ctx->self;
}

struct tc_node *
tc_ctx_node(const struct tc_ctx *ctx)
{
	return ctx->node;
}

enum tc_err
tc_send(struct tc_ctx *ctx, struct tc_addr to, uint32_t type, const void *body, size_t len)
{
	return send_common(ctx->node, to, ctx->self, type, 0, 0, body, len);
}

enum tc_err
tc_send_name(struct tc_ctx *ctx, const char *name, uint32_t type, const void *body, size_t len,
    struct tc_addr *to_out)
{
	return send_name_common(ctx->node, name, ctx->self, type, body, len, to_out);
}

static bool
ask_take(struct tc_actor *a, uint64_t corr, uint64_t *timer)
{
	for (size_t i = 0; i < a->nasks; i++) {
		if (a->asks[i].corr == corr) {
			*timer = a->asks[i].timer;
			a->asks[i] = a->asks[--a->nasks];
			return true;
		}
	}
	return false;
}

enum tc_err
tc_ask(struct tc_ctx *ctx, struct tc_addr to, uint32_t type, const void *body, size_t len,
    uint32_t timeout_ms, uint64_t *corr_out)
{
	struct tc_node *n = ctx->node;
	struct tc_actor *a = ctx->actor;
	uint64_t corr = atomic_fetch_add(&n->next_corr, 1);
	uint64_t timer;
	enum tc_err rv;

	if (a->nasks == a->capasks) {
		size_t nc = a->capasks ? a->capasks * 2 : 4;
		struct pending_ask *na = realloc(a->asks, nc * sizeof(*na));
		if (na == NULL)
			return TC_ENOMEM;
		a->asks = na;
		a->capasks = nc;
	}
	rv = tc__timers_add(
	    n->timers, ctx->self, timeout_ms, 0, TC_MSG_ASK_TIMEOUT, corr, NULL, 0, &timer);
	if (rv != TC_OK)
		return rv;
	rv = send_common(n, to, ctx->self, type, TC_MSG_F_ASK, corr, body, len);
	if (rv != TC_OK) {
		(void)tc__timers_cancel(n->timers, ctx->self, timer);
		return rv;
	}
	a->asks[a->nasks].corr = corr;
	a->asks[a->nasks].timer = timer;
	a->nasks++;
	if (corr_out != NULL)
		*corr_out = corr;
	return TC_OK;
}

enum tc_err
tc_reply(struct tc_ctx *ctx, const struct tc_msg *req, uint32_t type, const void *body, size_t len)
{
	if (!(req->flags & TC_MSG_F_ASK))
		return TC_EINVAL;
	return send_common(
	    ctx->node, req->from, ctx->self, type, TC_MSG_F_REPLY, req->corr, body, len);
}

enum tc_err
tc_send_after(struct tc_ctx *ctx, uint64_t delay_ms, uint32_t type, const void *body, size_t len,
    uint64_t *timer_out)
{
	if (len > ctx->node->max_body)
		return TC_ETOOBIG;
	return tc__timers_add(
	    ctx->node->timers, ctx->self, delay_ms, 0, type, 0, body, len, timer_out);
}

enum tc_err
tc_send_every(struct tc_ctx *ctx, uint64_t period_ms, uint32_t type, const void *body, size_t len,
    uint64_t *timer_out)
{
	if (period_ms == 0)
		return TC_EINVAL;
	if (len > ctx->node->max_body)
		return TC_ETOOBIG;
	return tc__timers_add(
	    ctx->node->timers, ctx->self, period_ms, period_ms, type, 0, body, len, timer_out);
}

enum tc_err
tc_timer_cancel(struct tc_ctx *ctx, uint64_t timer)
{
	return tc__timers_cancel(ctx->node->timers, ctx->self, timer);
}

enum tc_err
tc_work(struct tc_ctx *ctx, tc_work_fn fn, void *arg, uint64_t tag)
{
	if (fn == NULL)
		return TC_EINVAL;
	return tc__pool_submit(ctx->node->pool, ctx->self, fn, arg, tag);
}

void
tc_stop_self(struct tc_ctx *ctx)
{
	ctx->actor->stop_req = true;
}

enum tc_err
tc_node_stop_actor(struct tc_node *n, struct tc_addr who)
{
	return send_common(n, who, TC_ADDR_NONE, TC_MSG_STOP, 0, 0, NULL, 0);
}

/* ---- running actors ---------------------------------------------------- */

static void
actor_finish(struct tc_node *n, struct tc_actor *a)
{
	struct tc_addr self = slot_addr(n, a);
	struct tc_addr *mons;
	size_t nmon;

	if (a->inited && a->beh->fini != NULL)
		a->beh->fini(a->state_ptr, a->reason);
	if (a->reason != TC_OK) {
		tc_counter_add(n->ctr.failed, 1);
		tc_log(TC_LOG_WARN, "node", "actor %s%s%s failed: %s",
		    a->beh->kind ? a->beh->kind : "?", a->named ? " " : "", a->named ? a->name : "",
		    tc_strerror(a->reason));
	}

	/* From here sends to this id fail; watchers are told after. */
	pthread_mutex_lock(&a->mon_lock);
	atomic_store(&a->state, SLOT_FREE);
	uint32_t ngen = atomic_load(&a->gen) + 1;
	atomic_store(&a->gen, ngen == 0 ? 1 : ngen);
	mons = a->monitors;
	nmon = a->nmon;
	a->monitors = NULL;
	a->nmon = a->capmon = 0;
	pthread_mutex_unlock(&a->mon_lock);

	for (size_t i = 0; i < nmon; i++)
		send_down(n, mons[i], self, a->reason);
	free(mons);
	if (a->named)
		name_drop(n, a->name, self);
	tc__timers_cancel_owner(n->timers, self);
	free(a->asks);
	a->asks = NULL;
	a->nasks = a->capasks = 0;

	struct tc_msg *m;
	while ((m = tc__mpsc_pop(&a->mbox)) != NULL) {
		tc_counter_add(n->ctr.dead_letters, 1);
		tc_msg_free(m);
	}
	tc_gauge_add(n->ctr.actors, -1);

	atomic_store(&a->scheduled, 0);
	if (!tc__mpsc_idle(&a->mbox) && !atomic_exchange(&a->scheduled, 1))
		runq_push(n, a); /* a racing send: drained as a dead letter */

	pthread_mutex_lock(&n->slot_lock);
	a->free_next = n->free_list;
	n->free_list = a;
	if (atomic_fetch_sub(&n->nalive, 1) == 1)
		pthread_cond_broadcast(&n->alive_cv);
	pthread_mutex_unlock(&n->slot_lock);
}

static void
dispatch(struct tc_node *n, struct tc_actor *a, const struct tc_msg *m)
{
	struct tc_ctx ctx = {n, a, m->to};
	enum tc_err rv = TC_OK;
	uint64_t timer;

	switch (m->type) {
	case TC_MSG_INIT:
		if (a->beh->init != NULL)
			rv = a->beh->init(&ctx, a->arg, &a->state_ptr);
		if (rv == TC_OK)
			a->inited = true;
		break;
	case TC_MSG_STOP:
		if (m->flags == 0) {
			a->stop_req = true;
			return;
		}
		rv = a->beh->handle(&ctx, a->state_ptr, m);
		break;
	case TC_MSG_ASK_TIMEOUT:
		if (!ask_take(a, m->corr, &timer))
			return; /* answered in time */
		rv = a->beh->handle(&ctx, a->state_ptr, m);
		break;
	default:
		if (m->flags & TC_MSG_F_REPLY) {
			if (!ask_take(a, m->corr, &timer)) {
				tc_counter_add(n->ctr.late_replies, 1);
				return;
			}
			(void)tc__timers_cancel(n->timers, ctx.self, timer);
		}
		rv = a->beh->handle(&ctx, a->state_ptr, m);
	}
	if (rv != TC_OK) {
		a->stop_req = true;
		a->reason = rv;
	}
}

static void
actor_run(struct tc_node *n, struct tc_actor *a)
{
	uint32_t gen = atomic_load(&a->gen);
	unsigned handled = 0;
	struct tc_msg *m;

	while (handled < n->throughput && (m = tc__mpsc_pop(&a->mbox)) != NULL) {
		handled++;
		/* Liveness is read per message: a slot reused while this turn
		 * drains dead letters gets its INIT after it was marked alive. */
		if (atomic_load(&a->state) != SLOT_ALIVE || tc__id_gen(m->to.id) != gen) {
			tc_counter_add(n->ctr.dead_letters, 1);
			tc_msg_free(m);
			continue;
		}
		dispatch(n, a, m);
		tc_msg_free(m);
		if (a->stop_req) {
			actor_finish(n, a);
			return;
		}
	}
	tc_counter_add(n->ctr.delivered, handled);
	if (handled == n->throughput) {
		runq_push(n, a); /* still scheduled: let others run first */
		return;
	}
	atomic_store(&a->scheduled, 0);
	if (!tc__mpsc_idle(&a->mbox) && !atomic_exchange(&a->scheduled, 1))
		runq_push(n, a);
}

static void *
worker_main(void *arg)
{
	struct tc_node *n = arg;
	struct tc_actor *a;

	tls_worker_node = n;
	while ((a = runq_pop(n)) != NULL)
		actor_run(n, a);
	return NULL;
}

/* ---- node lifecycle ---------------------------------------------------- */

static enum tc_err
counters_init(struct tc_node *n)
{
	struct tc_metrics *m = n->metrics;
	struct tc__node_counters *c = &n->ctr;
	char labels[96];
	enum tc_err rv = TC_OK;

	snprintf(labels, sizeof(labels), "node=\"%s\"", n->name);
#define CTR(field, name, help) \
	if (rv == TC_OK)       \
	rv = tc_metrics_counter(m, name, help, labels, &c->field)
	CTR(delivered, "tc_messages_delivered_total", "Messages handled by actors.");
	CTR(dead_letters, "tc_dead_letters_total", "Messages to actors that had stopped.");
	CTR(remote_sent, "tc_remote_envelopes_sent_total", "Envelopes sent to other nodes.");
	CTR(remote_batches, "tc_remote_batches_sent_total", "nng messages sent to other nodes.");
	CTR(remote_received, "tc_remote_envelopes_received_total",
	    "Envelopes received from other nodes.");
	CTR(remote_dropped, "tc_remote_envelopes_dropped_total",
	    "Envelopes lost because a send to a peer failed.");
	CTR(late_replies, "tc_late_replies_total", "Replies that came after their ask timed out.");
	CTR(spawned, "tc_actors_spawned_total", "Actors started.");
	CTR(failed, "tc_actors_failed_total", "Actors stopped by an error.");
#undef CTR
	static const char *const reasons[] = {"malformed", "oversized", "misaddressed"};
	struct tc_metric **slots[] = {
	    &c->rejected_malformed, &c->rejected_oversized, &c->rejected_misaddressed};
	for (int i = 0; i < 3 && rv == TC_OK; i++) {
		snprintf(labels, sizeof(labels), "node=\"%s\",reason=\"%s\"", n->name, reasons[i]);
		rv = tc_metrics_counter(m, "tc_envelopes_rejected_total",
		    "Incoming envelopes refused.", labels, slots[i]);
	}
	snprintf(labels, sizeof(labels), "node=\"%s\"", n->name);
	if (rv == TC_OK)
		rv = tc_metrics_gauge(m, "tc_actors", "Live actors.", labels, &c->actors);
	return rv;
}

enum tc_err
tc_node_new(const struct tc_node_config *cfg, struct tc_node **out)
{
	struct tc_node *n;
	enum tc_err rv;

	if (cfg == NULL || cfg->id == 0 || cfg->name == NULL || cfg->name[0] == '\0' ||
	    strlen(cfg->name) >= sizeof(n->name) || strpbrk(cfg->name, "/@\"\\") != NULL)
		return TC_EINVAL;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return TC_ENOMEM;
	n->id = cfg->id;
	snprintf(n->name, sizeof(n->name), "%s", cfg->name);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	n->nworkers = cfg->workers ? cfg->workers : (cores > 0 ? (unsigned)cores : 2);
	n->pool_threads = cfg->pool_threads ? cfg->pool_threads : 2;
	n->clock = cfg->clock ? cfg->clock : tc_clock_real();
	n->max_body = cfg->max_body ? cfg->max_body : TC_MSG_BODY_MAX_DEFAULT;
	n->max_batch = cfg->max_batch ? cfg->max_batch : 256u * 1024u;
	if (n->max_batch < n->max_body + 1024)
		n->max_batch = n->max_body + 1024;
	n->throughput = cfg->throughput ? cfg->throughput : 256;
	n->poll_yields = cfg->poll_yields;
	atomic_init(&n->next_corr, 1);
	pthread_mutex_init(&n->slot_lock, NULL);
	pthread_cond_init(&n->alive_cv, NULL);
	pthread_mutex_init(&n->rq_lock, NULL);
	pthread_cond_init(&n->rq_cv, NULL);
	pthread_mutex_init(&n->reg_lock, NULL);
	n->nbuckets = 64;
	n->names = calloc(n->nbuckets, sizeof(*n->names));
	if (cfg->listen_url != NULL)
		n->listen_url = strdup(cfg->listen_url);
	if (cfg->metrics != NULL) {
		n->metrics = cfg->metrics;
	} else if (tc_metrics_new(&n->metrics) == TC_OK) {
		n->own_metrics = true;
	}
	if (n->names == NULL || n->metrics == NULL ||
	    (cfg->listen_url != NULL && n->listen_url == NULL)) {
		rv = TC_ENOMEM;
		goto fail;
	}
	if ((rv = counters_init(n)) != TC_OK || (rv = tc__timers_new(n, n->clock, &n->timers)) ||
	    (rv = tc__pool_new(n, n->pool_threads, &n->pool)) ||
	    (rv = tc__remote_new(n, &n->remote)))
		goto fail;
	*out = n;
	return TC_OK;
fail:
	tc_node_free(n);
	return rv;
}

enum tc_err
tc_node_start(struct tc_node *n)
{
	enum tc_err rv;

	if (n->started)
		return TC_ESTATE;
	if ((rv = tc__timers_start(n->timers)) != TC_OK)
		return rv;
	n->threads = calloc(n->nworkers, sizeof(*n->threads));
	if (n->threads == NULL)
		return TC_ENOMEM;
	n->started = true;
	for (unsigned i = 0; i < n->nworkers; i++) {
		if (pthread_create(&n->threads[i], NULL, worker_main, n) != 0)
			return TC_ENOMEM;
		n->nthreads++;
	}
	if (n->listen_url != NULL && (rv = tc__remote_listen(n->remote, n->listen_url)) != TC_OK)
		return rv;
	tc_log(TC_LOG_INFO, "node", "node %s (id %u) started: %u workers%s%s", n->name, n->id,
	    n->nworkers, n->listen_url ? ", listening on " : "",
	    n->listen_url ? n->listen_url : "");
	return TC_OK;
}

enum tc_err
tc_node_connect(struct tc_node *n, uint16_t peer_id, const char *peer_name, const char *url)
{
	if (peer_id == 0 || peer_id == n->id || url == NULL)
		return TC_EINVAL;
	return tc__remote_connect(n->remote, peer_id, peer_name, url);
}

uint16_t
tc_node_id(const struct tc_node *n)
{
	return n->id;
}

const char *
tc_node_name(const struct tc_node *n)
{
	return n->name;
}

struct tc_clock *
tc_node_clock(const struct tc_node *n)
{
	return n->clock;
}

struct tc_metrics *
tc_node_metrics(struct tc_node *n)
{
	return n->metrics;
}

struct tc__node_counters *
tc__node_counters(struct tc_node *n)
{
	return &n->ctr;
}

size_t
tc__node_max_body(const struct tc_node *n)
{
	return n->max_body;
}

size_t
tc__node_max_batch(const struct tc_node *n)
{
	return n->max_batch;
}

void
tc_node_stats(struct tc_node *n, struct tc_node_stats *s)
{
	struct tc__node_counters *c = &n->ctr;
	s->delivered = tc_counter_get(c->delivered);
	s->dead_letters = tc_counter_get(c->dead_letters);
	s->rejected = tc_counter_get(c->rejected_malformed) +
	              tc_counter_get(c->rejected_oversized) +
	              tc_counter_get(c->rejected_misaddressed);
	s->remote_sent = tc_counter_get(c->remote_sent);
	s->remote_batches = tc_counter_get(c->remote_batches);
	s->remote_received = tc_counter_get(c->remote_received);
	s->remote_dropped = tc_counter_get(c->remote_dropped);
	s->late_replies = tc_counter_get(c->late_replies);
	s->actors = atomic_load(&n->nalive);
}

static void
deadline_after(struct timespec *ts, uint32_t ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

enum tc_err
tc_node_stop(struct tc_node *n, uint32_t timeout_ms, struct tc_shutdown_report *report)
{
	struct tc_shutdown_report rep = {0};

	if (n->stopped) {
		if (report != NULL)
			*report = rep;
		return TC_OK;
	}
	atomic_store(&n->stopping, 1);

	/* Ask every live actor to stop, then wait for them. */
	if (n->nthreads > 0) {
		for (uint32_t c = 0; c < n->nchunks; c++) {
			struct tc_actor *chunk = atomic_load(&n->chunks[c]);
			for (uint32_t i = 0; i < CHUNK_SLOTS; i++) {
				struct tc_actor *a = &chunk[i];
				if (atomic_load(&a->state) == SLOT_ALIVE)
					(void)tc_node_stop_actor(n, slot_addr(n, a));
			}
		}
		struct timespec dl;
		deadline_after(&dl, timeout_ms);
		pthread_mutex_lock(&n->slot_lock);
		while (atomic_load(&n->nalive) > 0) {
			if (pthread_cond_timedwait(&n->alive_cv, &n->slot_lock, &dl) == ETIMEDOUT)
				break;
		}
		pthread_mutex_unlock(&n->slot_lock);
	}
	rep.actors_alive = atomic_load(&n->nalive);

	/* Let queued envelopes reach nng before its sockets close (no linger in 1.5.2). */
	uint64_t until = tc_clock_now_ms(tc_clock_real()) + timeout_ms;
	while (!tc__remote_idle(n->remote) && tc_clock_now_ms(tc_clock_real()) < until)
		sched_yield();
	/* Work already handed to the pool may finish within the same budget. */
	uint64_t now = tc_clock_now_ms(tc_clock_real());
	tc__pool_wait_idle(n->pool, until > now ? (uint32_t)(until - now) : 0);
	rep.msgs_discarded += tc__remote_stop(n->remote);
	rep.timers_pending = tc__timers_stop(n->timers);
	rep.work_pending = tc__pool_stop(n->pool);

	pthread_mutex_lock(&n->rq_lock);
	n->rq_stop = true;
	pthread_cond_broadcast(&n->rq_cv);
	pthread_mutex_unlock(&n->rq_lock);
	for (unsigned i = 0; i < n->nthreads; i++)
		pthread_join(n->threads[i], NULL);
	n->nthreads = 0;

	for (uint32_t c = 0; c < n->nchunks; c++) {
		struct tc_actor *chunk = atomic_load(&n->chunks[c]);
		for (uint32_t i = 0; i < CHUNK_SLOTS; i++) {
			struct tc_msg *m;
			while ((m = tc__mpsc_pop(&chunk[i].mbox)) != NULL) {
				if (m->type != TC_MSG_STOP)
					rep.msgs_discarded++;
				tc_msg_free(m);
			}
		}
	}
	n->stopped = true;
	if (rep.actors_alive || rep.timers_pending || rep.work_pending || rep.msgs_discarded) {
		tc_log(TC_LOG_WARN, "node",
		    "node %s stopped with %u actors alive, %u timers armed, %u jobs pending, "
		    "%u messages discarded",
		    n->name, rep.actors_alive, rep.timers_pending, rep.work_pending,
		    rep.msgs_discarded);
	} else {
		tc_log(TC_LOG_INFO, "node", "node %s stopped cleanly", n->name);
	}
	if (report != NULL)
		*report = rep;
	return TC_OK;
}

void
tc_node_free(struct tc_node *n)
{
	if (n == NULL)
		return;
	if (n->started)
		(void)tc_node_stop(n, 1000, NULL);
	tc__remote_free(n->remote);
	tc__timers_free(n->timers);
	tc__pool_free(n->pool);
	for (uint32_t c = 0; c < n->nchunks; c++) {
		struct tc_actor *chunk = atomic_load(&n->chunks[c]);
		for (uint32_t i = 0; i < CHUNK_SLOTS; i++) {
			struct tc_actor *a = &chunk[i];
			/* Actors still alive (a stop that timed out) keep their state: report only. */
			struct tc_msg *m;
			while ((m = tc__mpsc_pop(&a->mbox)) != NULL)
				tc_msg_free(m);
			tc__mpsc_fini(&a->mbox);
			free(a->monitors);
			free(a->asks);
			pthread_mutex_destroy(&a->mon_lock);
		}
		free(chunk);
	}
	if (n->names != NULL) {
		for (size_t i = 0; i < n->nbuckets; i++) {
			struct name_entry *e = n->names[i];
			while (e != NULL) {
				struct name_entry *next = e->next;
				free(e);
				e = next;
			}
		}
		free(n->names);
	}
	if (n->own_metrics)
		tc_metrics_free(n->metrics);
	free(n->threads);
	free(n->listen_url);
	pthread_mutex_destroy(&n->slot_lock);
	pthread_cond_destroy(&n->alive_cv);
	pthread_mutex_destroy(&n->rq_lock);
	pthread_cond_destroy(&n->rq_cv);
	pthread_mutex_destroy(&n->reg_lock);
	free(n);
}
