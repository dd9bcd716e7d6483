/*
 * core/clock.h - an injectable clock for timers.
 *
 * A node reads time through a struct tc_clock.  The real clock is
 * CLOCK_MONOTONIC in milliseconds; a fake clock only moves when a test calls
 * tc_clock_fake_advance(), which fires the due timers of every node using it
 * before it returns (their messages are posted, not yet handled).
 */
#ifndef CORE_CLOCK_H
#define CORE_CLOCK_H

#include <stdint.h>

#include "core/err.h"

struct tc_clock;

/* tc_clock_real returns the shared monotonic clock (never freed). */
struct tc_clock *tc_clock_real(void);

/*
 * tc_clock_fake_new creates a fake clock starting at start_ms.  The caller
 * owns it and frees it with tc_clock_free() after every node using it has
 * stopped.
 */
enum tc_err tc_clock_fake_new(uint64_t start_ms, struct tc_clock **out);
void tc_clock_free(struct tc_clock *clock);

/* tc_clock_now_ms reads the clock.  Thread: any.  Blocks: no. */
uint64_t tc_clock_now_ms(const struct tc_clock *clock);

/*
 * tc_clock_fake_advance moves a fake clock forward by ms and fires every
 * timer now due on the nodes that use it.  Returns TC_EINVAL for the real
 * clock.  Thread: any but a scheduler thread.  Blocks: briefly (timer lock).
 */
enum tc_err tc_clock_fake_advance(struct tc_clock *clock, uint64_t ms);

#endif /* CORE_CLOCK_H */
