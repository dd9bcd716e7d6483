/*
 * clock.c - the real monotonic clock and fake clocks for tests.
 * A fake clock keeps the timer services that use it and fires their due
 * timers from tc_clock_fake_advance(), on the caller's thread.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "core_priv.h"

#define MAX_LISTENERS 16

struct tc_clock {
	bool fake;
	_Atomic uint64_t now;
	pthread_mutex_t lock; /* guards listeners */
	struct tc__timers *listeners[MAX_LISTENERS];
	size_t nlisteners;
};

static struct tc_clock real_clock = {.fake = false};

struct tc_clock *
tc_clock_real(void)
{
	return &real_clock;
}

enum tc_err
tc_clock_fake_new(uint64_t start_ms, struct tc_clock **out)
{
	struct tc_clock *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return TC_ENOMEM;
	c->fake = true;
	atomic_init(&c->now, start_ms);
	pthread_mutex_init(&c->lock, NULL);
	*out = c;
	return TC_OK;
}

void
tc_clock_free(struct tc_clock *c)
{
	if (c == NULL || !c->fake)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c);
}

uint64_t
tc_clock_now_ms(const struct tc_clock *c)
{
	if (c != NULL && c->fake)
		return atomic_load(&((struct tc_clock *)c)->now);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

bool
tc__clock_is_fake(const struct tc_clock *c)
{
	return c != NULL && c->fake;
}

void
tc__clock_listen(struct tc_clock *c, struct tc__timers *t)
{
	if (!c->fake)
		return;
	pthread_mutex_lock(&c->lock);
	if (c->nlisteners < MAX_LISTENERS)
		c->listeners[c->nlisteners++] = t;
	pthread_mutex_unlock(&c->lock);
}

void
tc__clock_unlisten(struct tc_clock *c, struct tc__timers *t)
{
	if (!c->fake)
		return;
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->nlisteners; i++) {
		if (c->listeners[i] == t) {
			c->listeners[i] = c->listeners[--c->nlisteners];
			break;
		}
	}
	pthread_mutex_unlock(&c->lock);
}

enum tc_err
tc_clock_fake_advance(struct tc_clock *c, uint64_t ms)
{
	if (c == NULL || !c->fake)
		return TC_EINVAL;
	atomic_fetch_add(&c->now, ms);
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->nlisteners; i++)
		tc__timers_run_due(c->listeners[i]);
	pthread_mutex_unlock(&c->lock);
	return TC_OK;
}
