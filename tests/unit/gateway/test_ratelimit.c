/*
 * test_ratelimit.c - the per-connection token bucket, on a clock driven
 * by hand.
 */
#include "gw_priv.h"
#include "xt.h"

Test(gateway_ratelimit, burst_then_refuse)
{
	struct gw_bucket b;
	gw__bucket_init(&b, 5, 1000);
	for (int i = 0; i < 5; i++)
		cr_assert(gw__bucket_take(&b, 10, 5, 1000));
	cr_assert_not(gw__bucket_take(&b, 10, 5, 1000));
}

Test(gateway_ratelimit, refills_at_rate)
{
	struct gw_bucket b;
	gw__bucket_init(&b, 2, 0);
	cr_assert(gw__bucket_take(&b, 10, 2, 0));
	cr_assert(gw__bucket_take(&b, 10, 2, 0));
	cr_assert_not(gw__bucket_take(&b, 10, 2, 99)); /* 0.99 of a token */
	cr_assert(gw__bucket_take(&b, 10, 2, 100));    /* 10/s: one per 100 ms */
	cr_assert_not(gw__bucket_take(&b, 10, 2, 150));
	cr_assert(gw__bucket_take(&b, 10, 2, 200));
}

Test(gateway_ratelimit, refill_capped_at_burst)
{
	struct gw_bucket b;
	gw__bucket_init(&b, 3, 0);
	for (int i = 0; i < 3; i++)
		cr_assert(gw__bucket_take(&b, 100, 3, 0));
	uint64_t later = 1000000000ull; /* a long idle time refills only to the burst */
	for (int i = 0; i < 3; i++)
		cr_assert(gw__bucket_take(&b, 100, 3, later));
	cr_assert_not(gw__bucket_take(&b, 100, 3, later));
}

Test(gateway_ratelimit, clock_backwards_refills_nothing)
{
	struct gw_bucket b;
	gw__bucket_init(&b, 1, 5000);
	cr_assert(gw__bucket_take(&b, 1000, 1, 5000));
	cr_assert_not(gw__bucket_take(&b, 1000, 1, 4000));
	cr_assert(gw__bucket_take(&b, 1000, 1, 5001));
}

Test(gateway_ratelimit, sustained_rate_is_the_limit)
{
	struct gw_bucket b;
	unsigned taken = 0;
	gw__bucket_init(&b, 20, 0);
	/* offer 1000 messages a second for 10 seconds at 50/s, burst 20 */
	for (uint64_t t = 0; t < 10000; t++)
		taken += gw__bucket_take(&b, 50, 20, t);
	cr_assert_eq(taken, 20 + 50 * 10 - 1, "taken %u", taken);
}
