/*
 * recorder.c - the recorder actor (actors/recorder.h).
 *
 * Design notes.
 * - State: per room, a queue of events not yet durable (payloads copied),
 *   the highest acknowledged seq and whether the room was told it is
 *   behind.  `buffered` counts every queued event, in flight or not.
 * - At most one flush is in flight.  A flush takes every room's queued
 *   events (up to ST_BATCH_MAX per room) into a job that owns copies of
 *   them and runs st_events_append_batches on the worker pool: one
 *   transaction, one commit, for all rooms.  Events arriving meanwhile
 *   wait; when the job is done they are flushed at once, so under load
 *   flushes run back to back and at light load every 50 ms at most.
 * - The job is reference counted (the pool's function and the actor each
 *   hold one), so an actor stopped while its job runs never frees memory
 *   the pool still uses.
 * - Nothing is dropped silently.  A committed event is acknowledged; a
 *   failed flush keeps the events and retries with backoff; an event that
 *   cannot be taken (buffer bound, a seq gap, malformed) is rejected back
 *   to its room with the reason.  A retried batch that the store already
 *   has (a commit whose reply was lost) comes back TC_EEXIST and is
 *   acknowledged from the stored head instead of written twice.
 */
#include <msgpack.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actors/recorder.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/node.h"

#define JOB_MAX_EVENTS 50000

struct pev {
	uint64_t seq;
	int64_t ts_ms;
	uint16_t type;
	uint32_t len;
	uint8_t *payload;
};

struct rroom {
	char id[ST_ID_MAX + 1];
	struct tc_addr owner;
	struct pev *q; /* q[head .. head+n) are queued */
	size_t head, n, cap;
	size_t inflight; /* the first inflight queued events are in the job */
	uint64_t durable;
	bool behind;
	size_t rows; /* Yjs updates committed as rows since the last compaction */
};

struct job {
	atomic_int refs;
	struct st_store *st;
	size_t nb;
	struct st_batch *b;
	size_t *room; /* index into rooms per batch */
	uint64_t *last_seq;
	bool *compact;
	struct st_event *evs;
	uint8_t *arena;
	char (*ids)[ST_ID_MAX + 1];
	enum tc_err rv;
	uint64_t started_ns;
};

struct rec {
	struct recorder_config cfg;
	struct rroom *rooms;
	size_t nrooms, roomcap;
	uint32_t *index;  /* open addressing by id hash: room index + 1, 0 empty */
	size_t index_cap; /* a power of two, at least twice nrooms */
	size_t buffered, buffered_bytes;
	struct job *job;
	bool timer_armed, retry_armed, failing;
	unsigned backoff;
	struct tc_metric *m_buffered, *m_behind, *m_errors, *m_committed, *m_rejected, *m_flush;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- message bodies ----------------------------------------------------- */

static void
pack_str(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

static enum tc_err
sbuf_take(msgpack_sbuffer *sb, uint8_t **buf, size_t *len)
{
	if (sb->data == NULL)
		return TC_ENOMEM;
	*buf = (uint8_t *)sb->data;
	*len = sb->size;
	return TC_OK;
}

enum tc_err
recorder_append_encode(
    const char *room, const struct st_event *evs, size_t n, uint8_t **buf, size_t *len)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	if (room == NULL || (evs == NULL && n > 0) || buf == NULL || len == NULL)
		return TC_EINVAL;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 2);
	pack_str(&pk, room);
	msgpack_pack_array(&pk, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		msgpack_pack_array(&pk, 4);
		msgpack_pack_uint64(&pk, evs[i].seq);
		msgpack_pack_int64(&pk, evs[i].ts_ms);
		msgpack_pack_uint16(&pk, evs[i].type);
		msgpack_pack_bin(&pk, evs[i].len);
		msgpack_pack_bin_body(&pk, evs[i].payload, evs[i].len);
	}
	return sbuf_take(&sb, buf, len);
}

/* send_body packs and sends one reply; failures are logged (the room may
 * have stopped, which is not the recorder's failure). */
static void
send_reply(struct tc_ctx *ctx, struct tc_addr to, uint32_t type, const char *room, uint64_t a,
    uint64_t b, int64_t c, int nfields)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, (uint32_t)nfields);
	pack_str(&pk, room);
	msgpack_pack_uint64(&pk, a);
	if (nfields == 3) {
		if (b)
			msgpack_pack_true(&pk);
		else
			msgpack_pack_false(&pk);
	} else if (nfields == 4) {
		msgpack_pack_uint64(&pk, b);
		msgpack_pack_int64(&pk, c);
	}
	enum tc_err rv = tc_send(ctx, to, type, sb.data, sb.size);
	if (rv != TC_OK)
		tc_log(TC_LOG_DEBUG, "recorder", "room %s: reply %u not delivered: %s", room, type,
		    tc_strerror(rv));
	msgpack_sbuffer_destroy(&sb);
}

/* unpack checks outside bytes with tc_mp_check before msgpack-c sees them. */
static enum tc_err
unpack(const uint8_t *body, size_t len, msgpack_unpacked *u, size_t nfields)
{
	size_t used = 0;
	if (tc_mp_check(body, len, 4, &used) != TC_OK || used != len)
		return TC_EPROTO;
	msgpack_unpacked_init(u);
	size_t off = 0;
	if (msgpack_unpack_next(u, (const char *)body, len, &off) != MSGPACK_UNPACK_SUCCESS ||
	    u->data.type != MSGPACK_OBJECT_ARRAY || u->data.via.array.size != nfields ||
	    u->data.via.array.ptr[0].type != MSGPACK_OBJECT_STR ||
	    u->data.via.array.ptr[0].via.str.size == 0 ||
	    u->data.via.array.ptr[0].via.str.size > ST_ID_MAX) {
		msgpack_unpacked_destroy(u);
		return TC_EPROTO;
	}
	return TC_OK;
}

static void
copy_room(char *room, const msgpack_object *o)
{
	memcpy(room, o->via.str.ptr, o->via.str.size);
	room[o->via.str.size] = '\0';
}

static bool
get_u64(const msgpack_object *o, uint64_t *v)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return false;
	*v = o->via.u64;
	return true;
}

enum tc_err
recorder_ack_decode(const uint8_t *body, size_t len, char *room, uint64_t *seq)
{
	msgpack_unpacked u;
	if (unpack(body, len, &u, 2) != TC_OK)
		return TC_EPROTO;
	msgpack_object *a = u.data.via.array.ptr;
	enum tc_err rv = get_u64(&a[1], seq) ? TC_OK : TC_EPROTO;
	if (rv == TC_OK)
		copy_room(room, &a[0]);
	msgpack_unpacked_destroy(&u);
	return rv;
}

enum tc_err
recorder_behind_decode(const uint8_t *body, size_t len, char *room, uint64_t *pending, int *behind)
{
	msgpack_unpacked u;
	if (unpack(body, len, &u, 3) != TC_OK)
		return TC_EPROTO;
	msgpack_object *a = u.data.via.array.ptr;
	enum tc_err rv =
	    get_u64(&a[1], pending) && a[2].type == MSGPACK_OBJECT_BOOLEAN ? TC_OK : TC_EPROTO;
	if (rv == TC_OK) {
		*behind = a[2].via.boolean;
		copy_room(room, &a[0]);
	}
	msgpack_unpacked_destroy(&u);
	return rv;
}

enum tc_err
recorder_reject_decode(
    const uint8_t *body, size_t len, char *room, uint64_t *first, uint64_t *last, enum tc_err *err)
{
	msgpack_unpacked u;
	uint64_t code = 0;
	if (unpack(body, len, &u, 4) != TC_OK)
		return TC_EPROTO;
	msgpack_object *a = u.data.via.array.ptr;
	enum tc_err rv =
	    get_u64(&a[1], first) && get_u64(&a[2], last) && get_u64(&a[3], &code) && code < 1000
	        ? TC_OK
	        : TC_EPROTO;
	if (rv == TC_OK) {
		*err = (enum tc_err)code;
		copy_room(room, &a[0]);
	}
	msgpack_unpacked_destroy(&u);
	return rv;
}

/* ---- rooms and the buffer ----------------------------------------------- */

/* index_put records room i in an index with room for it. */
static void
index_put(uint32_t *index, size_t cap, const char *id, size_t i)
{
	size_t h = (size_t)tc_hash_str(id) & (cap - 1);
	while (index[h] != 0)
		h = (h + 1) & (cap - 1);
	index[h] = (uint32_t)(i + 1);
}

/* index_grow makes room for one more room (rebuilding at twice the size). */
static bool
index_grow(struct rec *r)
{
	if (2 * (r->nrooms + 1) <= r->index_cap)
		return true;
	size_t cap = r->index_cap ? r->index_cap * 2 : 16;
	uint32_t *ix = calloc(cap, sizeof(*ix));
	if (ix == NULL)
		return false;
	for (size_t i = 0; i < r->nrooms; i++)
		index_put(ix, cap, r->rooms[i].id, i);
	free(r->index);
	r->index = ix;
	r->index_cap = cap;
	return true;
}

static struct rroom *
room_get(struct rec *r, const char *id)
{
	if (r->index_cap > 0) {
		size_t h = (size_t)tc_hash_str(id) & (r->index_cap - 1);
		for (; r->index[h] != 0; h = (h + 1) & (r->index_cap - 1)) {
			struct rroom *rm = &r->rooms[r->index[h] - 1];
			if (strcmp(rm->id, id) == 0)
				return rm;
		}
	}
	if (r->nrooms >= UINT32_MAX - 1 || !index_grow(r))
		return NULL;
	if (r->nrooms == r->roomcap) {
		size_t cap = r->roomcap ? r->roomcap * 2 : 8;
		struct rroom *g = realloc(r->rooms, cap * sizeof(*g));
		if (g == NULL)
			return NULL;
		r->rooms = g;
		r->roomcap = cap;
	}
	struct rroom *rm = &r->rooms[r->nrooms];
	memset(rm, 0, sizeof(*rm));
	snprintf(rm->id, sizeof(rm->id), "%s", id);
	index_put(r->index, r->index_cap, rm->id, r->nrooms);
	r->nrooms++;
	return rm;
}

static bool
room_push(struct rroom *rm, const struct pev *e)
{
	if (rm->head + rm->n == rm->cap) {
		if (rm->head > 0) {
			memmove(rm->q, rm->q + rm->head, rm->n * sizeof(*rm->q));
			rm->head = 0;
		}
		if (rm->n == rm->cap) {
			size_t cap = rm->cap ? rm->cap * 2 : 8;
			struct pev *g = realloc(rm->q, cap * sizeof(*g));
			if (g == NULL)
				return false;
			rm->q = g;
			rm->cap = cap;
		}
	}
	rm->q[rm->head + rm->n++] = *e;
	return true;
}

/* room_pop removes k events from the front, freeing them. */
static void
room_pop(struct rec *r, struct rroom *rm, size_t k)
{
	for (size_t i = 0; i < k; i++) {
		struct pev *e = &rm->q[rm->head + i];
		r->buffered--;
		r->buffered_bytes -= e->len;
		free(e->payload);
	}
	rm->head += k;
	rm->n -= k;
	if (rm->n == 0)
		rm->head = 0;
	if (rm->n == 0 && rm->inflight == 0 && rm->cap > 64) { /* a burst is over */
		free(rm->q);
		rm->q = NULL;
		rm->cap = 0;
	}
}

static void
reject(struct tc_ctx *ctx, struct rec *r, struct rroom *rm, struct tc_addr to, uint64_t first,
    uint64_t last, enum tc_err why)
{
	tc_log(TC_LOG_WARN, "recorder", "room %s: rejected seqs %llu..%llu: %s", rm->id,
	    (unsigned long long)first, (unsigned long long)last, tc_strerror(why));
	tc_counter_add(r->m_rejected, last >= first ? last - first + 1 : 1);
	send_reply(ctx, to, RECORDER_MSG_REJECT, rm->id, first, last, why, 4);
}

static void
set_behind(struct tc_ctx *ctx, struct rec *r, struct rroom *rm, bool behind)
{
	if (rm->behind == behind || tc_addr_is_none(rm->owner))
		return;
	rm->behind = behind;
	send_reply(ctx, rm->owner, RECORDER_MSG_BEHIND, rm->id, rm->n, behind, 0, 3);
}

/* ---- flushing ----------------------------------------------------------- */

static void
job_unref(struct job *j)
{
	if (j == NULL || atomic_fetch_sub(&j->refs, 1) != 1)
		return;
	free(j->b);
	free(j->room);
	free(j->last_seq);
	free(j->compact);
	free(j->evs);
	free(j->arena);
	free(j->ids);
	free(j);
}

static enum tc_err
job_run(void *arg)
{
	struct job *j = arg;
	enum tc_err rv = st_events_append_batches(j->st, j->b, j->nb);
	if (rv == TC_EEXIST || rv == TC_ESTATE) {
		for (size_t i = 0; i < j->nb; i++) {
			if (j->b[i].rv == rv &&
			    st_events_last_seq(j->st, j->b[i].room, &j->last_seq[i]) != TC_OK)
				rv = TC_EDB; /* cannot resync now: retry later */
		}
	}
	for (size_t i = 0; rv == TC_OK && i < j->nb; i++) {
		if (j->compact[i] && st_events_compact(j->st, j->b[i].room, NULL) != TC_OK)
			tc_log(TC_LOG_WARN, "recorder", "room %s: compaction failed; will retry",
			    j->b[i].room);
	}
	j->rv = rv;
	job_unref(j);
	return rv;
}

static void schedule(struct tc_ctx *ctx, struct rec *r);

static void
flush(struct tc_ctx *ctx, struct rec *r)
{
	size_t nb = 0, nev = 0, bytes = 0;
	for (size_t i = 0; i < r->nrooms; i++) {
		struct rroom *rm = &r->rooms[i];
		if (rm->n == 0 || nev >= JOB_MAX_EVENTS)
			continue;
		size_t k = rm->n < ST_BATCH_MAX ? rm->n : ST_BATCH_MAX;
		if (nev + k > JOB_MAX_EVENTS)
			k = JOB_MAX_EVENTS - nev;
		nb++;
		nev += k;
		for (size_t e = 0; e < k; e++)
			bytes += rm->q[rm->head + e].len;
	}
	if (nb == 0)
		return;
	struct job *j = calloc(1, sizeof(*j));
	if (j == NULL)
		goto oom;
	atomic_init(&j->refs, 1);
	j->st = r->cfg.store;
	j->b = calloc(nb, sizeof(*j->b));
	j->room = calloc(nb, sizeof(*j->room));
	j->last_seq = calloc(nb, sizeof(*j->last_seq));
	j->compact = calloc(nb, sizeof(*j->compact));
	j->evs = calloc(nev, sizeof(*j->evs));
	j->arena = malloc(bytes > 0 ? bytes : 1);
	j->ids = calloc(nb, sizeof(*j->ids));
	if (j->b == NULL || j->room == NULL || j->last_seq == NULL || j->compact == NULL ||
	    j->evs == NULL || j->arena == NULL || j->ids == NULL)
		goto oom;
	size_t at = 0, ev = 0;
	for (size_t i = 0; i < r->nrooms && j->nb < nb; i++) {
		struct rroom *rm = &r->rooms[i];
		if (rm->n == 0)
			continue;
		size_t k = rm->n < ST_BATCH_MAX ? rm->n : ST_BATCH_MAX;
		if (ev + k > nev)
			k = nev - ev;
		size_t yjs = 0;
		for (size_t e = 0; e < k; e++) {
			const struct pev *p = &rm->q[rm->head + e];
			if (p->len > 0)
				memcpy(j->arena + at, p->payload, p->len);
			j->evs[ev + e] = (struct st_event){.seq = p->seq,
			    .ts_ms = p->ts_ms,
			    .type = p->type,
			    .len = p->len,
			    .payload = j->arena + at};
			at += p->len;
			yjs += p->type == ST_EV_YJS;
		}
		snprintf(j->ids[j->nb], sizeof(j->ids[0]), "%s", rm->id);
		j->b[j->nb] = (struct st_batch){j->ids[j->nb], j->evs + ev, k, TC_OK};
		j->room[j->nb] = i;
		/* Small batches are stored as rows; pack them now and then. */
		if (yjs < ST_CHUNK_MIN)
			rm->rows += yjs;
		j->compact[j->nb] = rm->rows >= 256;
		rm->inflight = k;
		ev += k;
		j->nb++;
	}
	atomic_store(&j->refs, 2); /* the pool's function and this actor */
	j->started_ns = now_ns();
	enum tc_err rv = tc_work(ctx, job_run, j, 1);
	if (rv != TC_OK) {
		atomic_store(&j->refs, 1);
		job_unref(j);
		for (size_t i = 0; i < r->nrooms; i++)
			r->rooms[i].inflight = 0;
		tc_log(TC_LOG_ERROR, "recorder", "cannot queue a flush: %s", tc_strerror(rv));
		r->failing = true;
		schedule(ctx, r);
		return;
	}
	r->job = j;
	return;
oom:
	job_unref(j);
	tc_log(TC_LOG_ERROR, "recorder", "out of memory building a flush; will retry");
	r->failing = true;
	schedule(ctx, r);
}

/* schedule arms what comes next: a retry after backoff when failing, an
 * immediate flush past flush_events, else the flush timer. */
static void
schedule(struct tc_ctx *ctx, struct rec *r)
{
	if (r->job != NULL || r->buffered == 0)
		return;
	if (r->failing) {
		if (!r->retry_armed &&
		    tc_send_after(ctx, r->backoff, RECORDER_MSG_RETRY, NULL, 0, NULL) == TC_OK)
			r->retry_armed = true;
		return;
	}
	if (r->buffered >= r->cfg.flush_events) {
		flush(ctx, r);
		return;
	}
	if (!r->timer_armed &&
	    tc_send_after(ctx, r->cfg.flush_ms, RECORDER_MSG_FLUSH, NULL, 0, NULL) == TC_OK)
		r->timer_armed = true;
}

static void
job_done(struct tc_ctx *ctx, struct rec *r)
{
	struct job *j = r->job;
	r->job = NULL;
	tc_hist_observe(r->m_flush, (double)(now_ns() - j->started_ns) / 1e9);
	enum tc_err rv = j->rv;
	if (rv == TC_OK) {
		for (size_t i = 0; i < j->nb; i++) {
			struct rroom *rm = &r->rooms[j->room[i]];
			size_t k = j->b[i].n;
			rm->durable = j->b[i].evs[k - 1].seq;
			if (j->compact[i])
				rm->rows = 0;
			rm->inflight = 0;
			room_pop(r, rm, k);
			tc_counter_add(r->m_committed, k);
			send_reply(ctx, rm->owner, RECORDER_MSG_ACK, rm->id, rm->durable, 0, 0, 2);
		}
		if (r->failing)
			tc_log(TC_LOG_INFO, "recorder",
			    "the store is back; %zu events still buffered", r->buffered);
		r->failing = false;
		r->backoff = r->cfg.backoff_min_ms;
	} else {
		for (size_t i = 0; i < r->nrooms; i++)
			r->rooms[i].inflight = 0;
	}
	bool resync = false;
	for (size_t i = 0; rv != TC_OK && i < j->nb; i++) {
		struct rroom *rm = &r->rooms[j->room[i]];
		if (j->b[i].rv != rv || (rv != TC_EEXIST && rv != TC_ESTATE && rv != TC_EINVAL))
			continue;
		resync = true;
		uint64_t last = j->last_seq[i];
		size_t k = 0;
		while (k < rm->n && rm->q[rm->head + k].seq <= last)
			k++;
		if (k > 0 || last > rm->durable) {
			/* Already stored (a commit whose reply was lost). */
			room_pop(r, rm, k);
			rm->durable = last > rm->durable ? last : rm->durable;
			send_reply(ctx, rm->owner, RECORDER_MSG_ACK, rm->id, rm->durable, 0, 0, 2);
		}
		if (rv != TC_EEXIST && rm->n > 0) {
			/* A gap before them, or malformed: they can never be stored. */
			reject(ctx, r, rm, rm->owner, rm->q[rm->head].seq,
			    rm->q[rm->head + rm->n - 1].seq, rv);
			room_pop(r, rm, rm->n);
		}
	}
	if (rv != TC_OK && !resync) {
		char why[ST_ERRMSG_MAX];
		st_last_error(r->cfg.store, why, sizeof(why));
		tc_log(TC_LOG_WARN, "recorder",
		    "flush failed (%s: %s); %zu events buffered, retrying in %u ms", tc_errname(rv),
		    why, r->buffered, r->backoff);
		tc_counter_add(r->m_errors, 1);
		r->failing = true;
		for (size_t i = 0; i < r->nrooms; i++) {
			if (r->rooms[i].n > 0)
				set_behind(ctx, r, &r->rooms[i], true);
		}
		unsigned next = r->backoff * 2;
		r->backoff = next > r->cfg.backoff_max_ms ? r->cfg.backoff_max_ms : next;
	}
	job_unref(j);
	tc_gauge_set(r->m_buffered, (int64_t)r->buffered);
	if (!r->failing) {
		for (size_t i = 0; i < r->nrooms; i++) {
			if (r->buffered <= r->cfg.max_events / 4 && r->rooms[i].behind)
				set_behind(ctx, r, &r->rooms[i], false);
		}
	}
	tc_gauge_set(r->m_behind, r->failing ? 1 : 0);
	/* Events that arrived during the commit go now, not 50 ms later. */
	if (!r->failing && r->buffered > 0)
		flush(ctx, r);
	else
		schedule(ctx, r);
}

/* ---- the behaviour ------------------------------------------------------ */

static void
on_append(struct tc_ctx *ctx, struct rec *r, const struct tc_msg *msg)
{
	msgpack_unpacked u;
	char id[ST_ID_MAX + 1];
	if (unpack(msg->body, msg->len, &u, 2) != TC_OK) {
		tc_log(TC_LOG_WARN, "recorder",
		    "malformed append from %llu dropped (no room named)",
		    (unsigned long long)msg->from.id);
		tc_counter_add(r->m_rejected, 1);
		return;
	}
	msgpack_object *a = u.data.via.array.ptr;
	copy_room(id, &a[0]);
	struct rroom *rm = room_get(r, id);
	if (rm == NULL) {
		msgpack_unpacked_destroy(&u);
		tc_log(TC_LOG_ERROR, "recorder", "room %s: out of memory", id);
		return;
	}
	rm->owner = msg->from;
	const msgpack_object *list = &a[1];
	bool reack = false;
	if (list->type != MSGPACK_OBJECT_ARRAY) {
		reject(ctx, r, rm, msg->from, 0, 0, TC_EINVAL);
		msgpack_unpacked_destroy(&u);
		return;
	}
	uint32_t n = list->via.array.size;
	for (uint32_t i = 0; i < n; i++) {
		const msgpack_object *e = &list->via.array.ptr[i];
		const msgpack_object *f = e->via.array.ptr;
		uint64_t seq = 0, type = 0;
		bool ok = e->type == MSGPACK_OBJECT_ARRAY && e->via.array.size == 4 &&
		          get_u64(&f[0], &seq) && seq > 0 && get_u64(&f[2], &type) && type > 0 &&
		          type <= 0xffff &&
		          (f[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
		              f[1].type == MSGPACK_OBJECT_NEGATIVE_INTEGER) &&
		          (f[3].type == MSGPACK_OBJECT_BIN || f[3].type == MSGPACK_OBJECT_STR) &&
		          f[3].via.bin.size <= ST_EVENT_PAYLOAD_MAX;
		if (!ok) {
			reject(ctx, r, rm, msg->from, seq, seq, TC_EINVAL);
			continue;
		}
		if (seq <= rm->durable) {
			reack = true; /* a resend of something already durable */
			continue;
		}
		uint64_t last_in_msg = seq + (n - 1 - i);
		if (rm->n > 0 && seq <= rm->q[rm->head + rm->n - 1].seq)
			continue; /* already buffered: its ack will come */
		if (rm->n > 0 && seq != rm->q[rm->head + rm->n - 1].seq + 1) {
			reject(ctx, r, rm, msg->from, seq, last_in_msg, TC_ESTATE);
			break;
		}
		uint32_t len = f[3].via.bin.size;
		if (r->buffered >= r->cfg.max_events ||
		    r->buffered_bytes + len > r->cfg.max_bytes) {
			reject(ctx, r, rm, msg->from, seq, last_in_msg, TC_EFULL);
			set_behind(ctx, r, rm, true);
			break;
		}
		struct pev p = {.seq = seq,
		    .ts_ms = f[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (int64_t)f[1].via.u64
		                                                          : f[1].via.i64,
		    .type = (uint16_t)type,
		    .len = len,
		    .payload = malloc(len > 0 ? len : 1)};
		if (p.payload == NULL || !room_push(rm, &p)) {
			free(p.payload);
			reject(ctx, r, rm, msg->from, seq, last_in_msg, TC_ENOMEM);
			break;
		}
		if (len > 0)
			memcpy(p.payload, f[3].via.bin.ptr, len);
		r->buffered++;
		r->buffered_bytes += len;
	}
	msgpack_unpacked_destroy(&u);
	if (reack)
		send_reply(ctx, msg->from, RECORDER_MSG_ACK, rm->id, rm->durable, 0, 0, 2);
	if (r->buffered > r->cfg.max_events / 2)
		set_behind(ctx, r, rm, true);
	tc_gauge_set(r->m_buffered, (int64_t)r->buffered);
	schedule(ctx, r);
}

static enum tc_err
rec_init(struct tc_ctx *ctx, void *arg, void **state)
{
	const struct recorder_config *cfg = arg;
	if (cfg == NULL || cfg->store == NULL)
		return TC_EINVAL;
	struct rec *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return TC_ENOMEM;
	r->cfg = *cfg;
	if (r->cfg.flush_ms == 0)
		r->cfg.flush_ms = 50;
	if (r->cfg.flush_events == 0)
		r->cfg.flush_events = 1000;
	if (r->cfg.max_events == 0)
		r->cfg.max_events = 200000;
	if (r->cfg.max_bytes == 0)
		r->cfg.max_bytes = 64u << 20;
	if (r->cfg.backoff_min_ms == 0)
		r->cfg.backoff_min_ms = 50;
	if (r->cfg.backoff_max_ms < r->cfg.backoff_min_ms)
		r->cfg.backoff_max_ms = r->cfg.backoff_min_ms > 5000 ? r->cfg.backoff_min_ms : 5000;
	r->backoff = r->cfg.backoff_min_ms;
	struct tc_metrics *m = tc_node_metrics(tc_ctx_node(ctx));
	static const double bounds[] = {
	    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
	if (m != NULL) {
		tc_metrics_gauge(m, "recorder_buffered_events", "events waiting to be durable",
		    NULL, &r->m_buffered);
		tc_metrics_gauge(
		    m, "recorder_behind", "1 while the store is failing", NULL, &r->m_behind);
		tc_metrics_counter(
		    m, "recorder_store_errors_total", "failed flushes", NULL, &r->m_errors);
		tc_metrics_counter(m, "recorder_events_committed_total", "events made durable",
		    NULL, &r->m_committed);
		tc_metrics_counter(m, "recorder_events_rejected_total",
		    "events refused back to their room", NULL, &r->m_rejected);
		tc_metrics_histogram(m, "recorder_flush_seconds", "time to commit one flush", NULL,
		    bounds, sizeof(bounds) / sizeof(bounds[0]), &r->m_flush);
	}
	*state = r;
	return TC_OK;
}

static enum tc_err
rec_handle(struct tc_ctx *ctx, void *state, const struct tc_msg *msg)
{
	struct rec *r = state;
	switch (msg->type) {
	case RECORDER_MSG_APPEND:
		on_append(ctx, r, msg);
		break;
	case RECORDER_MSG_FLUSH:
		r->timer_armed = false;
		if (r->job == NULL && !r->failing)
			flush(ctx, r);
		break;
	case RECORDER_MSG_RETRY:
		r->retry_armed = false;
		if (r->job == NULL)
			flush(ctx, r);
		break;
	case TC_MSG_WORK_DONE:
		if (r->job != NULL)
			job_done(ctx, r);
		break;
	default:
		tc_log(TC_LOG_DEBUG, "recorder", "ignored message type %u", msg->type);
		break;
	}
	return TC_OK;
}

static void
rec_fini(void *state, enum tc_err reason)
{
	struct rec *r = state;
	if (r->buffered > 0)
		tc_log(TC_LOG_WARN, "recorder",
		    "stopping with %zu events not yet durable (never acknowledged; their rooms "
		    "still hold them)",
		    r->buffered);
	job_unref(r->job);
	for (size_t i = 0; i < r->nrooms; i++) {
		struct rroom *rm = &r->rooms[i];
		for (size_t k = 0; k < rm->n; k++)
			free(rm->q[rm->head + k].payload);
		free(rm->q);
	}
	free(r->rooms);
	free(r->index);
	free(r);
}

const struct tc_behaviour recorder_behaviour = {
    .kind = RECORDER_KIND,
    .init = rec_init,
    .handle = rec_handle,
    .fini = rec_fini,
};
