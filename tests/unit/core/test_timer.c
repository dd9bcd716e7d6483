/*
 * Timers on a fake clock: one-shot, periodic, canceled, and dropped with
 * their actor.  Every "did not fire" is proven by a sync message posted
 * after the clock moved that comes back with no timer message before it.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "core/actor.h"
#include "core/clock.h"
#include "core/node.h"
#include "core_priv.h"
#include "ct.h"
#include "xt.h"

enum {
	T_AFTER = TC_MSG_APP + 1,  /* body: uint64 delay; arms a one-shot T_TICK */
	T_EVERY = TC_MSG_APP + 2,  /* body: uint64 period; arms a periodic T_TICK */
	T_CANCEL = TC_MSG_APP + 3, /* cancels the last timer; rc holds the result */
	T_TICK = TC_MSG_APP + 4,
	T_STOP = TC_MSG_APP + 5, /* arms timers, then stops itself */
};

static enum tc_err
timer_script(struct tc_ctx *ctx, struct ct_probe *p, const struct tc_msg *m)
{
	uint64_t v = 0;
	enum tc_err rv;

	if (m->len == sizeof(v))
		memcpy(&v, m->body, sizeof(v));
	switch (m->type) {
	case T_AFTER:
		rv = tc_send_after(ctx, v, T_TICK, "tick", 4, &p->u);
		atomic_store(&p->rc, (int)rv);
		break;
	case T_EVERY:
		rv = tc_send_every(ctx, v, T_TICK, "tick", 4, &p->u);
		atomic_store(&p->rc, (int)rv);
		break;
	case T_CANCEL:
		atomic_store(&p->rc, (int)tc_timer_cancel(ctx, p->u));
		break;
	case T_STOP:
		if (tc_send_after(ctx, 10, T_TICK, NULL, 0, NULL) != TC_OK ||
		    tc_send_every(ctx, 10, T_TICK, NULL, 0, NULL) != TC_OK)
			atomic_fetch_add(&p->errors, 1);
		tc_stop_self(ctx);
		break;
	default:
		break;
	}
	return TC_OK;
}

struct fixture {
	struct tc_clock *clk;
	struct tc_node *n;
	struct ct_probe p;
	struct tc_addr a;
};

static void
setup(struct fixture *f)
{
	XT_OK(tc_clock_fake_new(5000, &f->clk));
	f->n = ct_node(1, "t", 2, f->clk);
	ct_probe_init(&f->p);
	f->p.on_msg = timer_script;
	f->a = ct_spawn_probe(f->n, &f->p);
}

static void
teardown(struct fixture *f)
{
	ct_node_stop_clean(f->n);
	tc_clock_free(f->clk);
	cr_assert_eq(atomic_load(&f->p.errors), 0);
	ct_probe_fini(&f->p);
}

/* Sends a script command and waits until it ran; returns its rc. */
static enum tc_err
command(struct fixture *f, uint32_t type, uint64_t arg)
{
	XT_OK(tc_node_send(f->n, f->a, TC_ADDR_NONE, type, &arg, sizeof(arg)));
	ct_sync(f->n, f->a, &f->p);
	return (enum tc_err)atomic_load(&f->p.rc);
}

/* Advances the clock, then asserts how many ticks have come in total. */
static void
advance_expect(struct fixture *f, uint64_t ms, size_t ticks)
{
	XT_OK(tc_clock_fake_advance(f->clk, ms));
	ct_sync(f->n, f->a, &f->p);
	cr_assert_eq(ct_probe_count(&f->p, T_TICK), ticks, "after +%llu ms: %zu ticks, want %zu",
	    (unsigned long long)ms, ct_probe_count(&f->p, T_TICK), ticks);
}

Test(core_timer, send_after_fires_only_once_the_delay_has_passed)
{
	struct fixture f;
	setup(&f);

	XT_OK(command(&f, T_AFTER, 500));
	advance_expect(&f, 0, 0);
	advance_expect(&f, 499, 0);
	advance_expect(&f, 1, 1);
	long at = ct_probe_find(&f.p, T_TICK);
	struct ct_rec r = ct_probe_rec(&f.p, (size_t)at);
	cr_assert(tc_addr_eq(r.from, f.a), "a timer message comes from its owner");
	cr_assert_eq(r.len, 4);
	cr_assert_arr_eq(r.body, "tick", 4);
	/* One-shot: never again. */
	advance_expect(&f, 100000, 1);
	/* Already fired: cancel finds nothing. */
	cr_assert_eq(command(&f, T_CANCEL, 0), TC_ENOENT);
	teardown(&f);
}

Test(core_timer, zero_delay_fires_on_the_next_advance)
{
	struct fixture f;
	setup(&f);
	XT_OK(command(&f, T_AFTER, 0));
	advance_expect(&f, 0, 1);
	teardown(&f);
}

Test(core_timer, periodic_timer_fires_once_per_period)
{
	struct fixture f;
	setup(&f);

	XT_OK(command(&f, T_EVERY, 100));
	advance_expect(&f, 50, 0);
	advance_expect(&f, 49, 0);
	advance_expect(&f, 1, 1);
	for (size_t k = 2; k <= 6; k++) {
		advance_expect(&f, 99, k - 1);
		advance_expect(&f, 1, k);
	}
	cr_assert_eq(command(&f, T_CANCEL, 0), TC_OK);
	advance_expect(&f, 1000, 6);
	cr_assert_eq(command(&f, T_CANCEL, 0), TC_ENOENT);
	teardown(&f);
}

Test(core_timer, zero_period_is_invalid)
{
	struct fixture f;
	setup(&f);
	cr_assert_eq(command(&f, T_EVERY, 0), TC_EINVAL);
	advance_expect(&f, 1000, 0);
	teardown(&f);
}

Test(core_timer, canceled_timer_never_fires)
{
	struct fixture f;
	setup(&f);

	XT_OK(command(&f, T_AFTER, 200));
	uint64_t first = f.p.u;
	XT_OK(command(&f, T_AFTER, 300)); /* a second one, kept */
	cr_assert_neq(f.p.u, first);
	f.p.u = first; /* the actor is idle: cancel the first */
	cr_assert_eq(command(&f, T_CANCEL, 0), TC_OK);
	advance_expect(&f, 250, 0);
	advance_expect(&f, 50, 1);
	advance_expect(&f, 10000, 1);
	teardown(&f);
}

Test(core_timer, timers_of_a_stopped_actor_are_dropped)
{
	struct fixture f;
	struct ct_probe next;
	setup(&f);
	ct_probe_init(&next);

	/* The actor arms a one-shot and a periodic timer, then stops. */
	XT_OK(tc_node_send(f.n, f.a, TC_ADDR_NONE, T_STOP, NULL, 0));
	cr_assert(ct_wait_actors(f.n, 0));
	cr_assert_eq(atomic_load(&f.p.fini_reason), TC_OK);

	/* A new actor takes the same slot; the dead one's timers must not reach it. */
	struct tc_addr b = ct_spawn_probe(f.n, &next);
	cr_assert_eq(tc__id_index(b.id), tc__id_index(f.a.id));
	XT_OK(tc_clock_fake_advance(f.clk, 1000));
	ct_sync(f.n, b, &next);
	cr_assert_eq(ct_probe_count(&next, T_TICK), 0);
	cr_assert_eq(ct_probe_count(&f.p, T_TICK), 0);

	/* And nothing is left armed at shutdown. */
	struct tc_shutdown_report rep = ct_node_stop(f.n);
	cr_assert_eq(rep.timers_pending, 0);
	cr_assert_eq(rep.actors_alive, 0);
	tc_clock_free(f.clk);
	cr_assert_eq(atomic_load(&f.p.errors), 0);
	ct_probe_fini(&f.p);
	ct_probe_fini(&next);
}

Test(core_timer, live_actors_timers_are_canceled_by_node_stop)
{
	struct fixture f;
	setup(&f);
	XT_OK(command(&f, T_AFTER, 1000000));
	XT_OK(command(&f, T_EVERY, 1000));
	/* teardown asserts a clean report: stopping the actor disarmed both. */
	teardown(&f);
}

Test(core_timer, real_clock_timer_fires)
{
	struct tc_node *n = ct_node(1, "t", 1, NULL);
	struct ct_probe p;
	ct_probe_init(&p);
	p.on_msg = timer_script;
	struct tc_addr a = ct_spawn_probe(n, &p);
	uint64_t delay = 1;

	XT_OK(tc_node_send(n, a, TC_ADDR_NONE, T_AFTER, &delay, sizeof(delay)));
	ct_wait_type(&p, T_TICK);
	cr_assert_eq(tc_clock_fake_advance(tc_clock_real(), 1), TC_EINVAL);
	ct_node_stop_clean(n);
	ct_probe_fini(&p);
}
