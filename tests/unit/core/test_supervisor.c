/*
 * Monitors and the one-for-one supervisor: DOWN reasons, restart policies
 * and restart intensity measured on a fake clock.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "core/actor.h"
#include "core/clock.h"
#include "core/node.h"
#include "core/supervisor.h"
#include "ct.h"
#include "xt.h"

enum {
	T_PING = TC_MSG_APP + 1,
	T_FAIL = TC_MSG_APP + 2,  /* children fail with TC_EIO */
	T_MON = TC_MSG_APP + 3,   /* watcher: monitor the address in the body */
	T_DEMON = TC_MSG_APP + 4, /* watcher: demonitor it */
};

static enum tc_err
child_script(struct tc_ctx *ctx, struct ct_probe *p, const struct tc_msg *m)
{
	return m->type == T_FAIL ? TC_EIO : TC_OK;
}

static enum tc_err
watcher_script(struct tc_ctx *ctx, struct ct_probe *p, const struct tc_msg *m)
{
	struct tc_addr a;
	if ((m->type == T_MON || m->type == T_DEMON) && m->len == sizeof(a)) {
		memcpy(&a, m->body, sizeof(a));
		atomic_store(
		    &p->rc, (int)(m->type == T_MON ? tc_monitor(ctx, a) : tc_demonitor(ctx, a)));
	}
	return TC_OK;
}

/* Has the watcher at w monitor (or demonitor) target; returns the call's result. */
static enum tc_err
watch(
    struct tc_node *n, struct tc_addr w, struct ct_probe *wp, uint32_t type, struct tc_addr target)
{
	XT_OK(tc_node_send(n, w, TC_ADDR_NONE, type, &target, sizeof(target)));
	ct_sync(n, w, wp);
	return (enum tc_err)atomic_load(&wp->rc);
}

/* The n-th DOWN the watcher received (0-based). */
static struct ct_rec
nth_down(struct ct_probe *p, size_t nth)
{
	cr_assert(ct_wait_count(p, TC_MSG_DOWN, nth + 1), "DOWN #%zu did not come", nth);
	size_t k = 0;
	for (size_t i = 0;; i++) {
		struct ct_rec r = ct_probe_rec(p, i);
		if (r.type == TC_MSG_DOWN && k++ == nth)
			return r;
	}
}

Test(core_supervisor, monitor_gets_down_with_the_stop_reason)
{
	struct tc_node *n = ct_node(1, "s", 2, NULL);
	struct ct_probe w, a, b, c;
	ct_probe_init(&w);
	ct_probe_init(&a);
	ct_probe_init(&b);
	ct_probe_init(&c);
	w.on_msg = watcher_script;
	a.on_msg = b.on_msg = c.on_msg = child_script;
	struct tc_addr wa = ct_spawn_probe(n, &w);
	struct tc_addr aa = ct_spawn_probe(n, &a);
	struct tc_addr ba = ct_spawn_probe(n, &b);
	struct tc_addr ca = ct_spawn_probe(n, &c);

	XT_OK(watch(n, wa, &w, T_MON, aa));
	XT_OK(watch(n, wa, &w, T_MON, ba));
	XT_OK(watch(n, wa, &w, T_MON, ca));
	XT_OK(watch(n, wa, &w, T_DEMON, ca));

	XT_OK(tc_node_send(n, aa, TC_ADDR_NONE, T_FAIL, NULL, 0));
	struct ct_rec r = nth_down(&w, 0);
	cr_assert(tc_addr_eq(r.down.who, aa));
	cr_assert_eq(r.down.reason, TC_EIO);

	XT_OK(tc_node_stop_actor(n, ba));
	r = nth_down(&w, 1);
	cr_assert(tc_addr_eq(r.down.who, ba));
	cr_assert_eq(r.down.reason, TC_OK);

	/* Demonitored: c's stop tells nobody. */
	XT_OK(tc_node_stop_actor(n, ca));
	cr_assert(ct_wait_actors(n, 1));
	ct_sync(n, wa, &w);
	cr_assert_eq(ct_probe_count(&w, TC_MSG_DOWN), 2);
	ct_node_stop_clean(n);
	cr_assert_eq(atomic_load(&w.errors), 0);
	ct_probe_fini(&w);
	ct_probe_fini(&a);
	ct_probe_fini(&b);
	ct_probe_fini(&c);
}

Test(core_supervisor, monitor_of_a_dead_actor_is_down_at_once)
{
	struct tc_node *n = ct_node(1, "s", 2, NULL);
	struct ct_probe w, a;
	ct_probe_init(&w);
	ct_probe_init(&a);
	w.on_msg = watcher_script;
	struct tc_addr wa = ct_spawn_probe(n, &w);
	struct tc_addr aa = ct_spawn_probe(n, &a);
	XT_OK(tc_node_stop_actor(n, aa));
	cr_assert(ct_wait_actors(n, 1));

	XT_OK(watch(n, wa, &w, T_MON, aa));
	struct ct_rec r = nth_down(&w, 0);
	cr_assert(tc_addr_eq(r.down.who, aa));
	cr_assert_eq(r.down.reason, TC_ENOENT);
	/* A never-used id too; a remote one is not supported. */
	struct tc_addr never = {0x0000000100000abcull, 1};
	XT_OK(watch(n, wa, &w, T_MON, never));
	r = nth_down(&w, 1);
	cr_assert(tc_addr_eq(r.down.who, never));
	cr_assert_eq(r.down.reason, TC_ENOENT);
	struct tc_addr remote = {aa.id, 9};
	cr_assert_eq(watch(n, wa, &w, T_MON, remote), TC_ENOTSUP);
	cr_assert_eq(watch(n, wa, &w, T_DEMON, aa), TC_ENOENT);
	ct_node_stop_clean(n);
	ct_probe_fini(&w);
	ct_probe_fini(&a);
}

/* ---- supervisor -------------------------------------------------------- */

struct wait_new {
	struct tc_node *n;
	const char *name;
	struct tc_addr old, got;
};

static bool
name_moved(void *arg)
{
	struct wait_new *w = arg;
	return tc_node_whereis(w->n, w->name, &w->got) == TC_OK && !tc_addr_eq(w->got, w->old);
}

/* Waits until name resolves to a live actor other than old (TC_ADDR_NONE: any). */
static struct tc_addr
wait_name(struct tc_node *n, const char *name, struct tc_addr old)
{
	struct wait_new w = {n, name, old, TC_ADDR_NONE};
	cr_assert(xt_wait_until(name_moved, &w, CT_DEADLINE_MS), "%s was not (re)started", name);
	return w.got;
}

static bool
name_gone(void *arg)
{
	struct wait_new *w = arg;
	return tc_node_whereis(w->n, w->name, &w->got) == TC_ENOENT;
}

static void
wait_name_gone(struct tc_node *n, const char *name)
{
	struct wait_new w = {n, name, TC_ADDR_NONE, TC_ADDR_NONE};
	cr_assert(xt_wait_until(name_gone, &w, CT_DEADLINE_MS), "%s is still registered", name);
}

/* Fails the child registered as name and waits for its restart. */
static struct tc_addr
fail_and_wait_restart(struct tc_node *n, const char *name, struct tc_addr cur)
{
	XT_OK(tc_node_send(n, cur, TC_ADDR_NONE, T_FAIL, NULL, 0));
	return wait_name(n, name, cur);
}

Test(core_supervisor, permanent_child_is_restarted_under_its_name)
{
	struct tc_node *n = ct_node(1, "s", 2, NULL);
	struct ct_probe child;
	ct_probe_init(&child);
	child.on_msg = child_script;
	struct tc_child_spec spec[] = {{"worker/1", &ct_probe_b, &child, TC_RESTART_PERMANENT}};
	struct tc_sup_spec sup = {spec, 1, 5, 60000};
	struct tc_addr s, sw;

	XT_OK(tc_supervisor_spawn(n, "sup/main", &sup, &s));
	XT_OK(tc_node_whereis(n, "sup/main", &sw));
	cr_assert(tc_addr_eq(s, sw));
	struct tc_addr a1 = wait_name(n, "worker/1", TC_ADDR_NONE);
	struct tc_addr a2 = fail_and_wait_restart(n, "worker/1", a1);
	cr_assert(!tc_addr_eq(a1, a2), "a restarted child has a new address");
	XT_ERR(tc_node_send(n, a1, TC_ADDR_NONE, T_PING, NULL, 0), TC_ENOENT);
	cr_assert(ct_wait_ge(&child.inits, 2));

	/* A permanent child that stops normally is restarted too. */
	XT_OK(tc_node_stop_actor(n, a2));
	struct tc_addr a3 = wait_name(n, "worker/1", a2);
	cr_assert(ct_wait_ge(&child.inits, 3));

	/* The name reaches the current incarnation. */
	struct tc_addr via;
	XT_OK(tc_node_send_name(n, "worker/1", TC_ADDR_NONE, T_PING, NULL, 0, &via));
	cr_assert(tc_addr_eq(via, a3));
	ct_wait_type(&child, T_PING);
	ct_node_stop_clean(n);
	cr_assert_eq(atomic_load(&child.inits), 3);
	ct_probe_fini(&child);
}

Test(core_supervisor, transient_child_is_restarted_only_after_a_failure)
{
	struct tc_node *n = ct_node(1, "s", 2, NULL);
	struct ct_probe tr, pm;
	ct_probe_init(&tr);
	ct_probe_init(&pm);
	tr.on_msg = pm.on_msg = child_script;
	struct tc_child_spec spec[] = {
	    {"tr/1", &ct_probe_b, &tr, TC_RESTART_TRANSIENT},
	    {"pm/1", &ct_probe_b, &pm, TC_RESTART_PERMANENT},
	};
	struct tc_sup_spec sup = {spec, 2, 10, 60000};

	XT_OK(tc_supervisor_spawn(n, NULL, &sup, NULL));
	struct tc_addr t1 = wait_name(n, "tr/1", TC_ADDR_NONE);
	struct tc_addr p1 = wait_name(n, "pm/1", TC_ADDR_NONE);

	/* Failed: restarted. */
	struct tc_addr t2 = fail_and_wait_restart(n, "tr/1", t1);
	cr_assert(ct_wait_ge(&tr.inits, 2));

	/* Stopped normally: not restarted.  The transient's DOWN reaches the
	 * supervisor before the permanent's, so once the permanent child has
	 * been restarted, the supervisor has decided about the transient. */
	XT_OK(tc_node_stop_actor(n, t2));
	wait_name_gone(n, "tr/1");
	fail_and_wait_restart(n, "pm/1", p1);
	struct tc_addr where;
	XT_ERR(tc_node_whereis(n, "tr/1", &where), TC_ENOENT);
	cr_assert_eq(atomic_load(&tr.inits), 2);
	cr_assert_eq(atomic_load(&tr.fini_reason), TC_OK);
	ct_node_stop_clean(n);
	ct_probe_fini(&tr);
	ct_probe_fini(&pm);
}

Test(core_supervisor, too_many_restarts_in_the_window_fail_the_supervisor)
{
	struct tc_clock *clk;
	XT_OK(tc_clock_fake_new(0, &clk));
	struct tc_node *n = ct_node(1, "s", 2, clk);
	struct ct_probe child, other, w;
	ct_probe_init(&child);
	ct_probe_init(&other);
	ct_probe_init(&w);
	child.on_msg = other.on_msg = child_script;
	w.on_msg = watcher_script;
	struct tc_child_spec spec[] = {
	    {"worker/1", &ct_probe_b, &child, TC_RESTART_PERMANENT},
	    {"worker/2", &ct_probe_b, &other, TC_RESTART_PERMANENT},
	};
	struct tc_sup_spec sup = {spec, 2, 2, 1000}; /* at most 2 restarts per second */
	struct tc_addr s;

	struct tc_addr wa = ct_spawn_probe(n, &w);
	XT_OK(tc_supervisor_spawn(n, "sup/main", &sup, &s));
	XT_OK(watch(n, wa, &w, T_MON, s));
	struct tc_addr a = wait_name(n, "worker/1", TC_ADDR_NONE);
	wait_name(n, "worker/2", TC_ADDR_NONE);

	/* Restarts at t=0, 600, 1200: never more than 2 within 1000 ms. */
	a = fail_and_wait_restart(n, "worker/1", a);
	XT_OK(tc_clock_fake_advance(clk, 600));
	a = fail_and_wait_restart(n, "worker/1", a);
	XT_OK(tc_clock_fake_advance(clk, 600));
	a = fail_and_wait_restart(n, "worker/1", a);
	cr_assert_eq(ct_probe_count(&w, TC_MSG_DOWN), 0);
	cr_assert(ct_wait_ge(&child.inits, 4));

	/* A third restart within the window (600, 1200, 1200): the supervisor gives up. */
	XT_OK(tc_node_send(n, a, TC_ADDR_NONE, T_FAIL, NULL, 0));
	struct ct_rec r = nth_down(&w, 0);
	cr_assert(tc_addr_eq(r.down.who, s));
	cr_assert_eq(r.down.reason, TC_EINTERNAL, "reason %s", tc_errname(r.down.reason));

	/* It took its children down with it and released its name. */
	wait_name_gone(n, "worker/1");
	wait_name_gone(n, "worker/2");
	wait_name_gone(n, "sup/main");
	cr_assert(ct_wait_actors(n, 1));
	cr_assert_eq(atomic_load(&child.inits), 4);
	cr_assert_eq(atomic_load(&other.inits), 1);
	cr_assert_eq(atomic_load(&other.fini_reason), TC_OK);
	ct_node_stop_clean(n);
	tc_clock_free(clk);
	ct_probe_fini(&child);
	ct_probe_fini(&other);
	ct_probe_fini(&w);
}

Test(core_supervisor, bad_specs_are_refused)
{
	struct tc_node *n = ct_node(1, "s", 1, NULL);
	struct tc_child_spec noname[] = {{NULL, &ct_probe_b, NULL, TC_RESTART_PERMANENT}};
	struct tc_child_spec nobeh[] = {{"x/1", NULL, NULL, TC_RESTART_PERMANENT}};
	struct tc_sup_spec s1 = {noname, 1, 1, 1000}, s2 = {nobeh, 1, 1, 1000},
	                   s3 = {NULL, 1, 1, 1};

	XT_ERR(tc_supervisor_spawn(n, NULL, &s1, NULL), TC_EINVAL);
	XT_ERR(tc_supervisor_spawn(n, NULL, &s2, NULL), TC_EINVAL);
	XT_ERR(tc_supervisor_spawn(n, NULL, &s3, NULL), TC_EINVAL);
	XT_ERR(tc_supervisor_spawn(n, NULL, NULL, NULL), TC_EINVAL);
	ct_node_stop_clean(n);
}
