/*
 * hub.c - the table of connections shared by the service thread and the
 * actors.
 *
 * Design notes: a connection is named by a generation-tagged id (slot
 * index low, generation high), never by a pointer, across threads.  Slots
 * live in chunks that are never freed while the hub lives, so a stale id
 * reads a newer generation and fails cleanly.  Each slot has its own lock
 * guarding its send queue, close request and REST reply; the hub lock
 * guards the free list and the wake list.  Only the service thread touches
 * slot->wsi.  Actors that queue something put the id on the wake list
 * (once per slot until drained) and call lws_cancel_service; the service
 * thread then asks lws for a writable callback on each woken connection.
 * The hub is reference counted because session actors may outlive the
 * server by a few messages.
 */
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "gw_priv.h"

#define CHUNK_SHIFT 10
#define CHUNK_SLOTS (1u << CHUNK_SHIFT)

struct gw_slot {
	pthread_mutex_t lock;
	uint32_t gen; /* guarded by lock */
	bool live;
	bool wake_queued;
	struct gw_out *head, *tail;
	size_t qbytes, qframes;
	int close_code; /* 0: none requested */
	char close_reason[124];
	struct gw_reply *reply;
	struct lws *wsi; /* service thread only */
};

struct gw_hub {
	atomic_int refs;
	struct gw_limits lim;
	struct gw_metrics m;
	_Atomic(struct lws_context *) ctx;
	pthread_mutex_t lock; /* guards everything below */
	_Atomic(struct gw_slot *) *chunks;
	size_t nchunks, max_chunks;
	uint32_t next_index; /* slots ever used; index 0 is never used */
	uint32_t *free_idx;
	size_t nfree;
	uint64_t *wake;
	size_t nwake, wake_cap;
};

void
gw__reply_free(struct gw_reply *r)
{
	if (r == NULL)
		return;
	free(r->body);
	free(r);
}

enum tc_err
gw__hub_new(const struct gw_limits *lim, const struct gw_metrics *m, struct gw_hub **out)
{
	struct gw_hub *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return TC_ENOMEM;
	atomic_init(&h->refs, 1);
	h->lim = *lim;
	if (m != NULL)
		h->m = *m;
	pthread_mutex_init(&h->lock, NULL);
	h->max_chunks = (lim->max_conns + 1 + CHUNK_SLOTS - 1) / CHUNK_SLOTS;
	h->chunks = calloc(h->max_chunks, sizeof(*h->chunks));
	h->free_idx = calloc(h->max_chunks * CHUNK_SLOTS, sizeof(uint32_t));
	if (h->chunks == NULL || h->free_idx == NULL) {
		free(h->chunks);
		free(h->free_idx);
		free(h);
		return TC_ENOMEM;
	}
	h->next_index = 1;
	*out = h;
	return TC_OK;
}

void
gw__hub_ref(struct gw_hub *h)
{
	atomic_fetch_add(&h->refs, 1);
}

static void
slot_drop_queue(struct gw_hub *h, struct gw_slot *s)
{
	struct gw_out *o = s->head;
	while (o != NULL) {
		struct gw_out *next = o->next;
		free(o);
		o = next;
	}
	tc_gauge_add(h->m.queue_bytes, -(int64_t)s->qbytes);
	s->head = s->tail = NULL;
	s->qbytes = s->qframes = 0;
}

void
gw__hub_unref(struct gw_hub *h)
{
	if (h == NULL || atomic_fetch_sub(&h->refs, 1) != 1)
		return;
	for (size_t c = 0; c < h->nchunks; c++) {
		struct gw_slot *chunk = atomic_load(&h->chunks[c]);
		for (size_t i = 0; i < CHUNK_SLOTS; i++) {
			/* The metrics may be gone with their node: no gauge here. */
			for (struct gw_out *o = chunk[i].head, *next; o != NULL; o = next) {
				next = o->next;
				free(o);
			}
			gw__reply_free(chunk[i].reply);
			pthread_mutex_destroy(&chunk[i].lock);
		}
		free(chunk);
	}
	free(h->chunks);
	free(h->free_idx);
	free(h->wake);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

void
gw__hub_set_context(struct gw_hub *h, struct lws_context *ctx)
{
	atomic_store(&h->ctx, ctx);
}

/* Finds the slot of id, locked, if id is current; NULL otherwise. */
static struct gw_slot *
slot_lock(struct gw_hub *h, uint64_t id)
{
	uint32_t idx = (uint32_t)id, gen = (uint32_t)(id >> 32);
	size_t c = idx >> CHUNK_SHIFT;
	if (idx == 0 || c >= h->max_chunks)
		return NULL;
	struct gw_slot *chunk = atomic_load(&h->chunks[c]);
	if (chunk == NULL)
		return NULL;
	struct gw_slot *s = &chunk[idx & (CHUNK_SLOTS - 1)];
	pthread_mutex_lock(&s->lock);
	if (!s->live || s->gen != gen) {
		pthread_mutex_unlock(&s->lock);
		return NULL;
	}
	return s;
}

enum tc_err
gw__hub_open(struct gw_hub *h, struct lws *wsi, uint64_t *id)
{
	uint32_t idx;

	pthread_mutex_lock(&h->lock);
	if (h->nfree > 0) {
		idx = h->free_idx[--h->nfree];
	} else {
		idx = h->next_index;
		size_t c = idx >> CHUNK_SHIFT;
		if (c >= h->max_chunks || idx - 1 >= h->lim.max_conns) {
			pthread_mutex_unlock(&h->lock);
			return TC_EFULL;
		}
		if (atomic_load(&h->chunks[c]) == NULL) {
			struct gw_slot *chunk = calloc(CHUNK_SLOTS, sizeof(*chunk));
			if (chunk == NULL) {
				pthread_mutex_unlock(&h->lock);
				return TC_ENOMEM;
			}
			for (size_t i = 0; i < CHUNK_SLOTS; i++)
				pthread_mutex_init(&chunk[i].lock, NULL);
			atomic_store(&h->chunks[c], chunk);
			h->nchunks = c + 1;
		}
		h->next_index++;
	}
	pthread_mutex_unlock(&h->lock);
	struct gw_slot *s = &atomic_load(&h->chunks[idx >> CHUNK_SHIFT])[idx & (CHUNK_SLOTS - 1)];
	pthread_mutex_lock(&s->lock);
	s->live = true;
	s->wake_queued = false;
	s->close_code = 0;
	s->close_reason[0] = '\0';
	s->wsi = wsi;
	*id = (uint64_t)s->gen << 32 | idx;
	pthread_mutex_unlock(&s->lock);
	return TC_OK;
}

void
gw__hub_close(struct gw_hub *h, uint64_t id)
{
	struct gw_slot *s = slot_lock(h, id);
	if (s == NULL)
		return;
	slot_drop_queue(h, s);
	gw__reply_free(s->reply);
	s->reply = NULL;
	s->live = false;
	s->wsi = NULL;
	s->gen++;
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_lock(&h->lock);
	h->free_idx[h->nfree++] = (uint32_t)id;
	pthread_mutex_unlock(&h->lock);
}

/* Puts a locked slot on the wake list (once) and wakes lws; unlocks it. */
static void
wake_unlock(struct gw_hub *h, struct gw_slot *s, uint64_t id)
{
	bool first = !s->wake_queued;
	s->wake_queued = true;
	pthread_mutex_unlock(&s->lock);
	if (!first)
		return;
	pthread_mutex_lock(&h->lock);
	if (h->nwake == h->wake_cap) {
		size_t cap = h->wake_cap ? h->wake_cap * 2 : 64;
		uint64_t *w = realloc(h->wake, cap * sizeof(*w));
		if (w == NULL) {
			/* Out of memory: the connection is not woken now; its
			 * next push or the close grace timeout ends it. */
			pthread_mutex_unlock(&h->lock);
			return;
		}
		h->wake = w;
		h->wake_cap = cap;
	}
	/* Only the first entry since the service thread last took the list
	 * wakes it: that wake-up's drain takes every entry added before it. */
	bool kick = h->nwake == 0;
	h->wake[h->nwake++] = id;
	pthread_mutex_unlock(&h->lock);
	struct lws_context *ctx = atomic_load(&h->ctx);
	if (kick && ctx != NULL)
		lws_cancel_service(ctx);
}

enum tc_err
gw__hub_push(struct gw_hub *h, uint64_t id, const uint8_t *frame, size_t len)
{
	struct gw_slot *s = slot_lock(h, id);
	if (s == NULL)
		return TC_ENOENT;
	if (s->close_code != 0) {
		pthread_mutex_unlock(&s->lock);
		return TC_ECLOSED;
	}
	if (s->qbytes + len > h->lim.sendq_bytes || s->qframes + 1 > h->lim.sendq_frames) {
		/* Never half-fed: drop every queued frame and close. */
		slot_drop_queue(h, s);
		s->close_code = 4010;
		snprintf(s->close_reason, sizeof(s->close_reason), "slow reader: send queue full");
		tc_counter_add(h->m.closed_slow, 1);
		wake_unlock(h, s, id);
		return TC_EFULL;
	}
	struct gw_out *o = malloc(sizeof(*o) + GW_PRE + len);
	if (o == NULL) {
		pthread_mutex_unlock(&s->lock);
		return TC_ENOMEM;
	}
	o->next = NULL;
	o->len = len;
	memcpy(o->buf + GW_PRE, frame, len);
	if (s->tail != NULL)
		s->tail->next = o;
	else
		s->head = o;
	s->tail = o;
	s->qbytes += len;
	s->qframes++;
	tc_gauge_add(h->m.queue_bytes, (int64_t)len);
	wake_unlock(h, s, id);
	return TC_OK;
}

enum tc_err
gw__hub_close_req(struct gw_hub *h, uint64_t id, int code, const char *reason, bool discard)
{
	struct gw_slot *s = slot_lock(h, id);
	if (s == NULL)
		return TC_ENOENT;
	if (discard)
		slot_drop_queue(h, s);
	if (s->close_code == 0) {
		s->close_code = code;
		snprintf(
		    s->close_reason, sizeof(s->close_reason), "%s", reason != NULL ? reason : "");
	}
	wake_unlock(h, s, id);
	return TC_OK;
}

enum tc_err
gw__hub_pop(struct gw_hub *h, uint64_t id, struct gw_out **out, int *close_code, char *reason,
    size_t cap, bool *more)
{
	struct gw_slot *s = slot_lock(h, id);
	*out = NULL;
	*close_code = 0;
	*more = false;
	if (s == NULL)
		return TC_ENOENT;
	if (s->head != NULL) {
		struct gw_out *o = s->head;
		s->head = o->next;
		if (s->head == NULL)
			s->tail = NULL;
		s->qbytes -= o->len;
		s->qframes--;
		tc_gauge_add(h->m.queue_bytes, -(int64_t)o->len);
		o->next = NULL;
		*out = o;
		*more = s->head != NULL || s->close_code != 0;
	} else if (s->close_code != 0) {
		*close_code = s->close_code;
		snprintf(reason, cap, "%s", s->close_reason);
	}
	pthread_mutex_unlock(&s->lock);
	return TC_OK;
}

enum tc_err
gw__hub_reply(struct gw_hub *h, uint64_t id, struct gw_reply *r)
{
	struct gw_slot *s = slot_lock(h, id);
	if (s == NULL) {
		gw__reply_free(r);
		return TC_ENOENT;
	}
	gw__reply_free(s->reply);
	s->reply = r;
	wake_unlock(h, s, id);
	return TC_OK;
}

struct gw_reply *
gw__hub_take_reply(struct gw_hub *h, uint64_t id)
{
	struct gw_slot *s = slot_lock(h, id);
	struct gw_reply *r = NULL;
	if (s == NULL)
		return NULL;
	r = s->reply;
	s->reply = NULL;
	pthread_mutex_unlock(&s->lock);
	return r;
}

void
gw__hub_drain_wakes(
    struct gw_hub *h, void (*fn)(struct lws *wsi, bool closing, void *arg), void *arg)
{
	uint64_t *ids;
	size_t n;

	pthread_mutex_lock(&h->lock);
	ids = h->wake;
	n = h->nwake;
	h->wake = NULL;
	h->nwake = h->wake_cap = 0;
	pthread_mutex_unlock(&h->lock);
	for (size_t i = 0; i < n; i++) {
		struct gw_slot *s = slot_lock(h, ids[i]);
		if (s == NULL)
			continue;
		s->wake_queued = false;
		struct lws *wsi = s->wsi;
		bool closing = s->close_code != 0;
		pthread_mutex_unlock(&s->lock);
		fn(wsi, closing, arg);
	}
	free(ids);
}
