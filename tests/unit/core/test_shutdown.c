/*
 * Shutdown: a clean stop reports all zero; blocking work still running is
 * reported; what a node counted survives its stop; a stopped node refuses
 * new work.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <sched.h>
#include <string.h>

#include "core/actor.h"
#include "core/node.h"
#include "ct.h"
#include "xt.h"

enum {
	T_PING = TC_MSG_APP + 1,
	T_TIMER = TC_MSG_APP + 2,
	T_WORK = TC_MSG_APP + 3,
	T_FLOOD_STOP = TC_MSG_APP + 4,
};

static enum tc_err
quick_job(void *arg)
{
	return TC_OK;
}

/* Threads of this process, from /proc. */
static unsigned
tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	unsigned n = 0;
	struct dirent *e;
	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/*
 * The stuck job runs until the node's stop has counted it: it waits for
 * the pool's idle thread to exit, which happens only after the pool was
 * told to stop (and the pending work counted) under the pool's lock.
 */
struct stuck {
	_Atomic int started, finished;
	_Atomic unsigned exit_below; /* 0 until the test arms it */
};

static struct stuck stuck;

static enum tc_err
stuck_job(void *arg)
{
	struct stuck *s = arg;
	atomic_store(&s->started, 1);
	uint64_t end = xt_now_ms() + CT_DEADLINE_MS;
	for (;;) {
		unsigned below = atomic_load(&s->exit_below);
		if ((below != 0 && tasks() < below) || xt_now_ms() > end)
			break;
		sched_yield();
	}
	atomic_store(&s->finished, 1);
	return TC_OK;
}

static enum tc_err
shutdown_script(struct tc_ctx *ctx, struct ct_probe *p, const struct tc_msg *m)
{
	enum tc_err rv = TC_OK;
	switch (m->type) {
	case T_TIMER:
		rv = tc_send_after(ctx, 3600000, T_PING, NULL, 0, NULL);
		break;
	case T_WORK:
		rv = tc_work(ctx, p->u ? stuck_job : quick_job, &stuck, 1);
		break;
	case T_FLOOD_STOP:
		/* Queued to itself, then stopped: these become dead letters. */
		for (int i = 0; i < 10; i++) {
			if (tc_send(ctx, tc_self(ctx), T_PING, NULL, 0) != TC_OK)
				atomic_fetch_add(&p->errors, 1);
		}
		tc_stop_self(ctx);
		break;
	default:
		break;
	}
	if (rv != TC_OK)
		atomic_fetch_add(&p->errors, 1);
	return TC_OK;
}

Test(core_shutdown, clean_shutdown_reports_all_zero)
{
	struct tc_node *n = ct_node(1, "z", 2, NULL);
	struct ct_probe p[4];
	struct tc_addr a[4];

	for (int i = 0; i < 4; i++) {
		ct_probe_init(&p[i]);
		p[i].on_msg = shutdown_script;
		a[i] = ct_spawn_probe(n, &p[i]);
		/* Live actors with armed timers and finished work, plus pings. */
		XT_OK(tc_node_send(n, a[i], TC_ADDR_NONE, T_TIMER, NULL, 0));
		XT_OK(tc_node_send(n, a[i], TC_ADDR_NONE, T_WORK, NULL, 0));
		XT_OK(tc_node_send(n, a[i], TC_ADDR_NONE, T_PING, NULL, 0));
	}
	for (int i = 0; i < 4; i++)
		ct_wait_type(&p[i], TC_MSG_WORK_DONE);

	struct tc_shutdown_report rep;
	memset(&rep, 0xff, sizeof(rep));
	XT_OK(tc_node_stop(n, CT_DEADLINE_MS, &rep));
	cr_assert_eq(rep.actors_alive, 0);
	cr_assert_eq(rep.timers_pending, 0);
	cr_assert_eq(rep.work_pending, 0);
	cr_assert_eq(rep.msgs_discarded, 0);

	/* Every actor's fini ran with a normal reason. */
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(atomic_load(&p[i].finis), 1);
		cr_assert_eq(atomic_load(&p[i].fini_reason), TC_OK);
		cr_assert_eq(atomic_load(&p[i].errors), 0);
	}

	/* Stats survive the stop; the node refuses new work; stop is idempotent. */
	struct tc_node_stats st;
	tc_node_stats(n, &st);
	cr_assert_eq(st.actors, 0);
	cr_assert_geq(st.delivered, 4 * 4, "delivered %llu", (unsigned long long)st.delivered);
	cr_assert_eq(st.dead_letters, 0);
	cr_assert_eq(st.rejected, 0);
	cr_assert_eq(st.remote_sent, 0);
	struct ct_probe late;
	ct_probe_init(&late);
	XT_ERR(tc_spawn(n, &ct_probe_b, &late, NULL), TC_ESTOPPED);
	XT_ERR(tc_node_send(n, a[0], TC_ADDR_NONE, T_PING, NULL, 0), TC_ENOENT);
	memset(&rep, 0xff, sizeof(rep));
	XT_OK(tc_node_stop(n, CT_DEADLINE_MS, &rep));
	cr_assert_eq(
	    rep.actors_alive + rep.timers_pending + rep.work_pending + rep.msgs_discarded, 0);
	tc_node_free(n);
	for (int i = 0; i < 4; i++)
		ct_probe_fini(&p[i]);
	ct_probe_fini(&late);
}

Test(core_shutdown, running_blocking_work_is_reported_pending)
{
	struct tc_node_config cfg = {.id = 1, .name = "z", .workers = 1, .pool_threads = 2};
	struct tc_node *n;
	struct ct_probe p;

	XT_OK(tc_node_new(&cfg, &n));
	XT_OK(tc_node_start(n));
	ct_probe_init(&p);
	p.on_msg = shutdown_script;
	p.u = 1; /* submit the stuck job */
	struct tc_addr a = ct_spawn_probe(n, &p);
	XT_OK(tc_node_send(n, a, TC_ADDR_NONE, T_WORK, NULL, 0));
	cr_assert(ct_wait_flag(&stuck.started));

	/* Stopping waits for the pool to go idle within its budget (the job
	 * cannot end yet), joins the timer thread, then stops the pool, whose
	 * idle thread then exits: only then may the job end.  A short budget
	 * keeps the wait for the stuck job short; nothing is timed. */
	unsigned now = tasks();
	cr_assert_gt(now, 3, "cannot count threads");
	atomic_store(&stuck.exit_below, now - 1);
	struct tc_shutdown_report rep;
	XT_OK(tc_node_stop(n, 200, &rep));
	cr_assert(atomic_load(&stuck.finished));
	cr_assert_eq(rep.work_pending, 1, "work_pending %u", rep.work_pending);
	cr_assert_eq(rep.actors_alive, 0);
	cr_assert_eq(rep.timers_pending, 0);
	/* Its WORK_DONE had nowhere to go. */
	cr_assert_eq(ct_probe_find(&p, TC_MSG_WORK_DONE), -1);
	tc_node_free(n);
	ct_probe_fini(&p);
}

Test(core_shutdown, messages_queued_behind_a_stop_become_dead_letters)
{
	struct tc_node *n = ct_node(1, "z", 2, NULL);
	struct ct_probe p;
	ct_probe_init(&p);
	p.on_msg = shutdown_script;
	struct tc_addr a = ct_spawn_probe(n, &p);

	XT_OK(tc_node_send(n, a, TC_ADDR_NONE, T_FLOOD_STOP, NULL, 0));
	cr_assert(ct_wait_actors(n, 0));
	struct tc_node_stats st;
	tc_node_stats(n, &st);
	cr_assert_eq(st.dead_letters, 10, "dead letters %llu", (unsigned long long)st.dead_letters);
	ct_node_stop_clean(n);
	cr_assert_eq(ct_probe_count(&p, T_PING), 0);
	cr_assert_eq(atomic_load(&p.errors), 0);
	ct_probe_fini(&p);
}

Test(core_shutdown, a_node_never_started_frees_cleanly)
{
	struct tc_node_config cfg = {.id = 1, .name = "z"};
	struct tc_node *n;
	struct tc_shutdown_report rep;

	XT_OK(tc_node_new(&cfg, &n));
	XT_OK(tc_node_stop(n, 100, &rep));
	cr_assert_eq(
	    rep.actors_alive + rep.timers_pending + rep.work_pending + rep.msgs_discarded, 0);
	tc_node_free(n);

	XT_OK(tc_node_new(&cfg, &n));
	tc_node_free(n);
	tc_node_free(NULL);

	/* Invalid configurations. */
	struct tc_node_config bad[] = {
	    {.id = 0, .name = "z"},
	    {.id = 1, .name = NULL},
	    {.id = 1, .name = ""},
	    {.id = 1, .name = "a@b"},
	    {.id = 1, .name = "a/b"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		XT_ERR(tc_node_new(&bad[i], &n), TC_EINVAL);
}
