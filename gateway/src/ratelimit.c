/*
 * ratelimit.c - the per-connection token bucket, in thousandths of a
 * message so that integer arithmetic refills smoothly.  The clock is an
 * argument: tests drive it by hand.
 */
#include "gw_priv.h"

void
gw__bucket_init(struct gw_bucket *b, unsigned burst, uint64_t now_ms)
{
	b->milli = (uint64_t)burst * 1000;
	b->last_ms = now_ms;
}

bool
gw__bucket_take(struct gw_bucket *b, unsigned rate, unsigned burst, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)burst * 1000;
	if (now_ms > b->last_ms) {
		uint64_t elapsed = now_ms - b->last_ms;
		/* rate tokens per second is rate thousandths per millisecond */
		uint64_t add = elapsed > cap ? cap * (uint64_t)(rate > 0) : elapsed * rate;
		b->milli = b->milli + add > cap ? cap : b->milli + add;
		b->last_ms = now_ms;
	}
	if (b->milli < 1000)
		return false;
	b->milli -= 1000;
	return true;
}
