/*
 * timer.c - a node's timers: a binary min-heap keyed by deadline, guarded
 * by one mutex, served by one thread (real clock) or by the fake clock's
 * advance (tests).  Firing posts a message to the owner; a timer whose
 * owner is gone is dropped.  Periodic timers are re-armed from their
 * previous deadline so they do not drift.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core_priv.h"

struct timer {
	uint64_t deadline;
	uint64_t period; /* 0: one-shot */
	uint64_t id;
	uint64_t corr;
	struct tc_addr owner;
	uint32_t type;
	uint32_t len;
	uint8_t *body;
};

struct tc__timers {
	struct tc_node *node;
	struct tc_clock *clock;
	pthread_mutex_t lock;
	pthread_cond_t cv;
	struct timer *heap;
	size_t n, cap;
	uint64_t next_id;
	bool running, stop;
	pthread_t thread;
};

static void
heap_swap(struct tc__timers *t, size_t i, size_t j)
{
	struct timer tmp = t->heap[i];
	t->heap[i] = t->heap[j];
	t->heap[j] = tmp;
}

static void
heap_up(struct tc__timers *t, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (t->heap[p].deadline <= t->heap[i].deadline)
			break;
		heap_swap(t, i, p);
		i = p;
	}
}

static void
heap_down(struct tc__timers *t, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < t->n && t->heap[l].deadline < t->heap[m].deadline)
			m = l;
		if (r < t->n && t->heap[r].deadline < t->heap[m].deadline)
			m = r;
		if (m == i)
			return;
		heap_swap(t, i, m);
		i = m;
	}
}

static void
heap_remove(struct tc__timers *t, size_t i)
{
	t->n--;
	if (i != t->n) {
		t->heap[i] = t->heap[t->n];
		heap_down(t, i);
		heap_up(t, i);
	}
}

static enum tc_err
heap_push(struct tc__timers *t, const struct timer *e)
{
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 64;
		struct timer *nh = realloc(t->heap, nc * sizeof(*nh));
		if (nh == NULL)
			return TC_ENOMEM;
		t->heap = nh;
		t->cap = nc;
	}
	t->heap[t->n] = *e;
	heap_up(t, t->n);
	t->n++;
	return TC_OK;
}

enum tc_err
tc__timers_new(struct tc_node *node, struct tc_clock *clock, struct tc__timers **out)
{
	struct tc__timers *t = calloc(1, sizeof(*t));
	pthread_condattr_t ca;

	if (t == NULL)
		return TC_ENOMEM;
	t->node = node;
	t->clock = clock;
	t->next_id = 1;
	pthread_mutex_init(&t->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cv, &ca);
	pthread_condattr_destroy(&ca);
	*out = t;
	return TC_OK;
}

void
tc__timers_run_due(struct tc__timers *t)
{
	uint64_t now = tc_clock_now_ms(t->clock);

	pthread_mutex_lock(&t->lock);
	while (t->n > 0 && t->heap[0].deadline <= now) {
		struct timer e = t->heap[0];
		heap_remove(t, 0);
		/* Posting never blocks, so it is done under the lock: a cancel
		 * that returns TC_OK is then sure the message was not sent. */
		struct tc_msg *m;
		enum tc_err rv = tc_msg_new(e.type, e.body, e.len, &m);
		if (rv == TC_OK) {
			m->to = e.owner;
			m->from = e.owner;
			m->corr = e.corr;
			rv = tc__node_deliver(t->node, m);
		}
		if (rv == TC_OK && e.period > 0) {
			e.deadline += e.period;
			if (e.deadline <= now)
				e.deadline = now + e.period;
			if (heap_push(t, &e) == TC_OK)
				continue;
		}
		if (rv == TC_ENOMEM)
			tc_log(TC_LOG_ERROR, "timer", "out of memory firing a timer");
		free(e.body);
	}
	pthread_mutex_unlock(&t->lock);
}

static void *
timer_main(void *arg)
{
	struct tc__timers *t = arg;
	bool fake = tc__clock_is_fake(t->clock);

	pthread_mutex_lock(&t->lock);
	while (!t->stop) {
		if (fake) {
			pthread_cond_wait(&t->cv, &t->lock);
			continue;
		}
		uint64_t now = tc_clock_now_ms(t->clock);
		if (t->n > 0 && t->heap[0].deadline <= now) {
			pthread_mutex_unlock(&t->lock);
			tc__timers_run_due(t);
			pthread_mutex_lock(&t->lock);
			continue;
		}
		if (t->n == 0) {
			pthread_cond_wait(&t->cv, &t->lock);
		} else {
			uint64_t wait = t->heap[0].deadline - now;
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += (time_t)(wait / 1000);
			ts.tv_nsec += (long)(wait % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&t->cv, &t->lock, &ts);
		}
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

enum tc_err
tc__timers_start(struct tc__timers *t)
{
	if (pthread_create(&t->thread, NULL, timer_main, t) != 0)
		return TC_ENOMEM;
	t->running = true;
	tc__clock_listen(t->clock, t);
	return TC_OK;
}

enum tc_err
tc__timers_add(struct tc__timers *t, struct tc_addr owner, uint64_t delay_ms, uint64_t period_ms,
    uint32_t type, uint64_t corr, const void *body, size_t len, uint64_t *id_out)
{
	struct timer e = {0};
	enum tc_err rv;

	if (len > UINT32_MAX)
		return TC_ETOOBIG;
	if (len > 0) {
		if ((e.body = malloc(len)) == NULL)
			return TC_ENOMEM;
		memcpy(e.body, body, len);
	}
	e.len = (uint32_t)len;
	e.owner = owner;
	e.type = type;
	e.corr = corr;
	e.period = period_ms;
	e.deadline = tc_clock_now_ms(t->clock) + delay_ms;
	pthread_mutex_lock(&t->lock);
	if (t->stop) {
		rv = TC_ESTOPPED;
	} else {
		e.id = t->next_id++;
		rv = heap_push(t, &e);
		if (rv == TC_OK && t->heap[0].id == e.id)
			pthread_cond_signal(&t->cv);
	}
	pthread_mutex_unlock(&t->lock);
	if (rv != TC_OK) {
		free(e.body);
		return rv;
	}
	if (id_out != NULL)
		*id_out = e.id;
	return TC_OK;
}

enum tc_err
tc__timers_cancel(struct tc__timers *t, struct tc_addr owner, uint64_t id)
{
	enum tc_err rv = TC_ENOENT;
	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->n; i++) {
		if (t->heap[i].id == id && tc_addr_eq(t->heap[i].owner, owner)) {
			free(t->heap[i].body);
			heap_remove(t, i);
			rv = TC_OK;
			break;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return rv;
}

void
tc__timers_cancel_owner(struct tc__timers *t, struct tc_addr owner)
{
	pthread_mutex_lock(&t->lock);
	for (size_t i = t->n; i-- > 0;) {
		if (tc_addr_eq(t->heap[i].owner, owner)) {
			free(t->heap[i].body);
			heap_remove(t, i);
			i = t->n; /* the heap moved; scan again from the end */
		}
	}
	pthread_mutex_unlock(&t->lock);
}

uint32_t
tc__timers_stop(struct tc__timers *t)
{
	uint32_t left;

	pthread_mutex_lock(&t->lock);
	t->stop = true;
	pthread_cond_signal(&t->cv);
	left = (uint32_t)t->n;
	pthread_mutex_unlock(&t->lock);
	if (t->running) {
		tc__clock_unlisten(t->clock, t);
		pthread_join(t->thread, NULL);
		t->running = false;
	}
	return left;
}

void
tc__timers_free(struct tc__timers *t)
{
	if (t == NULL)
		return;
	if (t->running)
		(void)tc__timers_stop(t);
	for (size_t i = 0; i < t->n; i++)
		free(t->heap[i].body);
	free(t->heap);
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->cv);
	free(t);
}
