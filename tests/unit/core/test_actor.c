/*
 * Actors: addressing dead and reused slots, names and spawn-on-first-
 * message, failures, ask/reply (with a fake clock for timeouts) and
 * blocking work on the pool.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/actor.h"
#include "core/clock.h"
#include "core/node.h"
#include "core_priv.h"
#include "ct.h"
#include "xt.h"

enum {
	T_PING = TC_MSG_APP + 1,
	T_FAIL = TC_MSG_APP + 2,
	T_GO = TC_MSG_APP + 3,
	T_REQ = TC_MSG_APP + 4,
	T_RESP = TC_MSG_APP + 5,
	T_RELEASE = TC_MSG_APP + 6,
};

static void
ping(struct tc_node *n, struct tc_addr to, uint32_t type)
{
	XT_OK(tc_node_send(n, to, TC_ADDR_NONE, type, "x", 1));
}

Test(core_actor, send_to_a_stopped_actor_is_enoent)
{
	struct tc_node *n = ct_node(1, "a", 2, NULL);
	struct ct_probe p;
	ct_probe_init(&p);
	struct tc_addr a = ct_spawn_probe(n, &p);

	ping(n, a, T_PING);
	cr_assert(ct_wait_ge(&p.count, 1));
	XT_OK(tc_node_stop_actor(n, a));
	cr_assert(ct_wait_actors(n, 0));
	cr_assert_eq(atomic_load(&p.finis), 1);
	cr_assert_eq(atomic_load(&p.fini_reason), TC_OK);

	XT_ERR(tc_node_send(n, a, TC_ADDR_NONE, T_PING, "x", 1), TC_ENOENT);
	XT_ERR(tc_node_stop_actor(n, a), TC_ENOENT);
	struct tc_msg *m;
	XT_OK(tc_msg_new(T_PING, NULL, 0, &m));
	m->to = a;
	XT_ERR(tc_node_post(n, m), TC_ENOENT); /* takes m in every case */
	ct_node_stop_clean(n);
	cr_assert_eq(atomic_load(&p.count), 1);
	ct_probe_fini(&p);
}

Test(core_actor, stale_id_after_slot_reuse_never_reaches_the_new_actor)
{
	struct tc_node *n = ct_node(1, "a", 2, NULL);
	struct ct_probe old, cur;
	ct_probe_init(&old);
	ct_probe_init(&cur);

	struct tc_addr a = ct_spawn_probe(n, &old);
	XT_OK(tc_node_stop_actor(n, a));
	cr_assert(ct_wait_actors(n, 0));
	struct tc_addr b = ct_spawn_probe(n, &cur);

	/* The slot is reused (free slots are taken last-freed first) under a new generation. */
	cr_assert_eq(tc__id_index(a.id), tc__id_index(b.id), "slot not reused: test is moot");
	cr_assert_neq(tc__id_gen(a.id), tc__id_gen(b.id));
	XT_ERR(tc_node_send(n, a, TC_ADDR_NONE, T_FAIL, "x", 1), TC_ENOENT);
	ping(n, b, T_PING);
	cr_assert(ct_wait_ge(&cur.count, 1));
	ct_node_stop_clean(n);

	cr_assert_eq(atomic_load(&cur.count), 1);
	cr_assert_eq(ct_probe_rec(&cur, 0).type, T_PING);
	cr_assert_eq(atomic_load(&old.count), 0);
	cr_assert_eq(atomic_load(&cur.fini_reason), TC_OK);
	ct_probe_fini(&old);
	ct_probe_fini(&cur);
}

/* ---- names ------------------------------------------------------------- */

/* A kind spawned on first message gets its name's id part as init argument. */
static struct ct_probe room_probe;
static char room_id[TC_NAME_MAX];

static enum tc_err
room_init(struct tc_ctx *ctx, void *arg, void **state)
{
	snprintf(room_id, sizeof(room_id), "%s", arg != NULL ? (const char *)arg : "(null)");
	return ct_probe_on_init(ctx, &room_probe, state);
}

static const struct tc_behaviour room_b = {
    .kind = "room", .init = room_init, .handle = ct_probe_on_msg, .fini = ct_probe_on_fini};

Test(core_actor, first_message_to_a_registered_kind_spawns_it)
{
	struct tc_node *n = ct_node(1, "a", 2, NULL);
	struct tc_addr to1, to2, where;
	ct_probe_init(&room_probe);

	XT_ERR(tc_node_register_kind(n, "ro/om", &room_b), TC_EINVAL);
	XT_ERR(tc_node_register_kind(n, "", &room_b), TC_EINVAL);
	XT_OK(tc_node_register_kind(n, "room", &room_b));
	XT_ERR(tc_node_whereis(n, "room/7fk2", &where), TC_ENOENT);

	XT_OK(tc_node_send_name(n, "room/7fk2", TC_ADDR_NONE, T_PING, "1", 1, &to1));
	XT_OK(tc_node_send_name(n, "room/7fk2", TC_ADDR_NONE, T_PING, "2", 1, &to2));
	cr_assert(tc_addr_eq(to1, to2), "the second message spawned another actor");
	cr_assert(ct_wait_ge(&room_probe.count, 2));
	cr_assert_eq(atomic_load(&room_probe.inits), 1);
	cr_assert_str_eq(room_id, "7fk2");
	XT_OK(tc_node_whereis(n, "room/7fk2", &where));
	cr_assert(tc_addr_eq(where, to1));
	cr_assert(tc_addr_eq(room_probe.self, to1));
	cr_assert_eq(ct_probe_rec(&room_probe, 0).body[0], '1');
	cr_assert_eq(ct_probe_rec(&room_probe, 1).body[0], '2');

	/* Also with an explicit "@<this node>" suffix. */
	XT_OK(tc_node_send_name(n, "room/7fk2@a", TC_ADDR_NONE, T_PING, "3", 1, &to2));
	cr_assert(tc_addr_eq(to1, to2));

	/* Unregistered kinds and empty ids do not spawn. */
	XT_ERR(tc_node_send_name(n, "nope/1", TC_ADDR_NONE, T_PING, "x", 1, NULL), TC_ENOENT);
	XT_ERR(tc_node_send_name(n, "room/", TC_ADDR_NONE, T_PING, "x", 1, NULL), TC_ENOENT);
	XT_ERR(
	    tc_node_send_name(n, "room/1@nowhere", TC_ADDR_NONE, T_PING, "x", 1, NULL), TC_ENOENT);
	cr_assert(ct_wait_ge(&room_probe.count, 3));
	ct_node_stop_clean(n);
	cr_assert_eq(atomic_load(&room_probe.inits), 1);
	cr_assert_eq(atomic_load(&room_probe.count), 3);
	ct_probe_fini(&room_probe);
}

Test(core_actor, spawn_named_refuses_a_live_duplicate)
{
	struct tc_node *n = ct_node(1, "a", 2, NULL);
	struct ct_probe p1, p2, p3;
	struct tc_addr a1, a2, where;
	ct_probe_init(&p1);
	ct_probe_init(&p2);
	ct_probe_init(&p3);

	XT_OK(tc_spawn_named(n, "svc/one", &ct_probe_b, &p1, &a1));
	XT_ERR(tc_spawn_named(n, "svc/one", &ct_probe_b, &p2, &a2), TC_EEXIST);
	XT_ERR(tc_spawn_named(n, "svc/one@a", &ct_probe_b, &p2, &a2), TC_EINVAL);
	XT_ERR(tc_spawn_named(n, "", &ct_probe_b, &p2, &a2), TC_EINVAL);
	XT_OK(tc_node_whereis(n, "svc/one", &where));
	cr_assert(tc_addr_eq(where, a1));
	cr_assert_eq(atomic_load(&p2.inits), 0);

	/* The name is released when its actor stops, and can be taken again. */
	XT_OK(tc_node_stop_actor(n, a1));
	cr_assert(ct_wait_actors(n, 0));
	XT_ERR(tc_node_whereis(n, "svc/one", &where), TC_ENOENT);
	XT_OK(tc_spawn_named(n, "svc/one", &ct_probe_b, &p3, &a2));
	cr_assert(!tc_addr_eq(a1, a2));
	XT_OK(tc_node_send_name(n, "svc/one", TC_ADDR_NONE, T_PING, "x", 1, &where));
	cr_assert(tc_addr_eq(where, a2));
	cr_assert(ct_wait_ge(&p3.count, 1));
	ct_node_stop_clean(n);
	cr_assert_eq(atomic_load(&p1.count), 0);
	cr_assert_eq(atomic_load(&p2.inits), 0);
	ct_probe_fini(&p1);
	ct_probe_fini(&p2);
	ct_probe_fini(&p3);
}

/* ---- failures ---------------------------------------------------------- */

static enum tc_err
fail_on_request(struct tc_ctx *ctx, struct ct_probe *p, const struct tc_msg *m)
{
	return m->type == T_FAIL ? TC_EIO : TC_OK;
}

static enum tc_err
monitor_peer(struct tc_ctx *ctx, struct ct_probe *p)
{
	return tc_monitor(ctx, p->peer);
}

Test(core_actor, handler_error_fails_the_actor_and_tells_monitors)
{
	struct tc_node *n = ct_node(1, "a", 2, NULL);
	struct ct_probe target, watcher;
	ct_probe_init(&target);
	ct_probe_init(&watcher);
	target.on_msg = fail_on_request;
	watcher.on_init = monitor_peer;

	struct tc_addr t = ct_spawn_probe(n, &target);
	watcher.peer = t;
	ct_spawn_probe(n, &watcher);

	ping(n, t, T_PING);
	ping(n, t, T_FAIL);
	long i = ct_wait_type(&watcher, TC_MSG_DOWN);
	struct ct_rec r = ct_probe_rec(&watcher, (size_t)i);
	cr_assert(tc_addr_eq(r.down.who, t));
	cr_assert_eq(r.down.reason, TC_EIO, "reason %s", tc_errname(r.down.reason));
	cr_assert(tc_addr_eq(r.from, t));
	cr_assert_eq(atomic_load(&target.finis), 1);
	cr_assert_eq(atomic_load(&target.fini_reason), TC_EIO);
	XT_ERR(tc_node_send(n, t, TC_ADDR_NONE, T_PING, "x", 1), TC_ENOENT);
	cr_assert(ct_wait_actors(n, 1));
	ct_node_stop_clean(n);
	cr_assert_eq(atomic_load(&target.count), 2);
	cr_assert_eq(atomic_load(&watcher.errors), 0);
	ct_probe_fini(&target);
	ct_probe_fini(&watcher);
}

static enum tc_err
init_fails(struct tc_ctx *ctx, struct ct_probe *p)
{
	return TC_EPERM;
}

Test(core_actor, init_error_stops_the_actor_without_fini)
{
	struct tc_node *n = ct_node(1, "a", 2, NULL);
	struct ct_probe p;
	struct tc_addr a;
	ct_probe_init(&p);
	p.on_init = init_fails;

	XT_OK(tc_spawn(n, &ct_probe_b, &p, &a));
	cr_assert(ct_wait_ge(&p.inits, 1));
	cr_assert(ct_wait_actors(n, 0));
	XT_ERR(tc_node_send(n, a, TC_ADDR_NONE, T_PING, "x", 1), TC_ENOENT);
	ct_node_stop_clean(n);
	cr_assert_eq(atomic_load(&p.finis), 0);
	cr_assert_eq(atomic_load(&p.count), 0);
	ct_probe_fini(&p);
}

/* ---- ask / reply ------------------------------------------------------- */

/* The asker asks its peer on T_GO; it records the correlation id in u. */
static enum tc_err
ask_on_go(struct tc_ctx *ctx, struct ct_probe *p, const struct tc_msg *m)
{
	if (m->type == T_GO)
		return tc_ask(ctx, p->peer, T_REQ, "ping", 4, 1000, &p->u);
	return TC_OK;
}

static enum tc_err
reply_at_once(struct tc_ctx *ctx, struct ct_probe *p, const struct tc_msg *m)
{
	if (m->flags & TC_MSG_F_ASK)
		return tc_reply(ctx, m, T_RESP, m->body, m->len);
	return TC_OK;
}

Test(core_actor, ask_gets_its_reply_with_the_same_corr)
{
	struct tc_node *n = ct_node(1, "a", 2, NULL);
	struct ct_probe asker, server;
	ct_probe_init(&asker);
	ct_probe_init(&server);
	server.on_msg = reply_at_once;
	asker.on_msg = ask_on_go;
	asker.peer = ct_spawn_probe(n, &server);
	struct tc_addr a = ct_spawn_probe(n, &asker);

	ping(n, a, T_GO);
	long i = ct_wait_type(&asker, T_RESP);
	struct ct_rec r = ct_probe_rec(&asker, (size_t)i);
	struct ct_rec q = ct_probe_rec(&server, 0);
	cr_assert_eq(q.type, T_REQ);
	cr_assert(q.flags & TC_MSG_F_ASK);
	cr_assert(tc_addr_eq(q.from, a));
	cr_assert(r.flags & TC_MSG_F_REPLY);
	cr_assert_eq(r.corr, q.corr);
	cr_assert_eq(r.corr, asker.u);
	cr_assert(tc_addr_eq(r.from, asker.peer));
	cr_assert_eq(r.len, 4);
	cr_assert_arr_eq(r.body, "ping", 4);
	XT_OK(tc_node_send(n, a, TC_ADDR_NONE, T_PING, "x", 1));
	cr_assert(ct_wait_ge(&asker.count, 3));
	/* The answered ask's timer was canceled: the shutdown is clean. */
	ct_node_stop_clean(n);
	cr_assert_eq(ct_probe_find(&asker, TC_MSG_ASK_TIMEOUT), -1);
	ct_probe_fini(&asker);
	ct_probe_fini(&server);
}

/* The slow server keeps the request and replies only on T_RELEASE. */
static enum tc_err
reply_on_release(struct tc_ctx *ctx, struct ct_probe *p, const struct tc_msg *m)
{
	enum tc_err rv = TC_OK;
	if (m->flags & TC_MSG_F_ASK) {
		if ((rv = tc_msg_new(m->type, NULL, 0, &p->held)) != TC_OK)
			return rv;
		p->held->from = m->from;
		p->held->to = m->to;
		p->held->flags = m->flags;
		p->held->corr = m->corr;
	} else if (m->type == T_RELEASE && p->held != NULL) {
		rv = tc_reply(ctx, p->held, T_RESP, "late", 4);
		tc_msg_free(p->held);
		p->held = NULL;
	}
	return rv;
}

Test(core_actor, ask_times_out_on_the_fake_clock_and_drops_the_late_reply)
{
	struct tc_clock *clk;
	XT_OK(tc_clock_fake_new(1000000, &clk));
	struct tc_node *n = ct_node(1, "a", 2, clk);
	struct ct_probe asker, server;
	struct tc_node_stats st;
	ct_probe_init(&asker);
	ct_probe_init(&server);
	server.on_msg = reply_on_release;
	asker.on_msg = ask_on_go;
	struct tc_addr s = ct_spawn_probe(n, &server);
	asker.peer = s;
	struct tc_addr a = ct_spawn_probe(n, &asker);

	ping(n, a, T_GO);
	cr_assert(ct_wait_ge(&server.count, 1)); /* the ask (and its timer) exists */
	cr_assert(ct_wait_ge(&asker.count, 1));  /* and tc_ask has returned */

	/* 1 ms short of the deadline: nothing fires.  A probe sent after the
	 * advance comes back first, so no timeout was posted before it. */
	XT_OK(tc_clock_fake_advance(clk, 999));
	ping(n, a, T_PING);
	long probe_at = ct_wait_type(&asker, T_PING);
	cr_assert_eq(ct_probe_find(&asker, TC_MSG_ASK_TIMEOUT), -1);

	XT_OK(tc_clock_fake_advance(clk, 1));
	long to_at = ct_wait_type(&asker, TC_MSG_ASK_TIMEOUT);
	cr_assert_gt(to_at, probe_at);
	struct ct_rec r = ct_probe_rec(&asker, (size_t)to_at);
	cr_assert_eq(r.corr, asker.u, "timeout corr %llu, ask corr %llu",
	    (unsigned long long)r.corr, (unsigned long long)asker.u);
	cr_assert_eq(r.corr, ct_probe_rec(&server, 0).corr);

	/* The reply now comes too late: dropped and counted. */
	ping(n, s, T_RELEASE);
	uint64_t before = atomic_load(&asker.count);
	cr_assert(CT_WAIT_STAT(n, late_replies, 1), "the late reply was not counted");
	tc_node_stats(n, &st);
	cr_assert_eq(st.late_replies, 1);
	cr_assert_eq(ct_probe_find(&asker, T_RESP), -1, "the late reply reached the handler");
	cr_assert_eq(atomic_load(&asker.count), before);

	/* Advancing further fires nothing more, and the asker still works. */
	XT_OK(tc_clock_fake_advance(clk, 100000));
	ping(n, a, T_FAIL);
	ct_wait_type(&asker, T_FAIL);
	ct_node_stop_clean(n);
	tc_clock_free(clk);
	size_t timeouts = 0;
	for (size_t i = 0; i < asker.nlog; i++)
		timeouts += asker.log[i].type == TC_MSG_ASK_TIMEOUT;
	cr_assert_eq(timeouts, 1);
	ct_probe_fini(&asker);
	ct_probe_fini(&server);
}

/* ---- blocking work ----------------------------------------------------- */

struct job {
	_Atomic int started, release;
	pthread_t thread;
};

static struct job the_job;

static enum tc_err
blocking_job(void *arg)
{
	struct job *j = arg;
	j->thread = pthread_self();
	atomic_store(&j->started, 1);
	/* Blocks until the test releases it (bounded, for a failing test). */
	for (uint64_t end = xt_now_ms() + CT_DEADLINE_MS; !atomic_load(&j->release);) {
		if (xt_now_ms() > end)
			return TC_ETIMEDOUT;
		sched_yield();
	}
	return TC_EIO;
}

static pthread_t handler_thread;

static enum tc_err
work_on_go(struct tc_ctx *ctx, struct ct_probe *p, const struct tc_msg *m)
{
	if (m->type == T_GO) {
		handler_thread = pthread_self();
		return tc_work(ctx, blocking_job, &the_job, 77);
	}
	return TC_OK;
}

Test(core_actor, work_runs_on_the_pool_and_posts_work_done)
{
	struct tc_node *n = ct_node(1, "a", 1, NULL);
	struct ct_probe p;
	ct_probe_init(&p);
	p.on_msg = work_on_go;
	struct tc_addr a = ct_spawn_probe(n, &p);

	ping(n, a, T_GO);
	cr_assert(ct_wait_flag(&the_job.started), "the job did not start");

	/* While the job blocks, the actor (on the node's only scheduler thread) still runs. */
	ping(n, a, T_PING);
	ct_wait_type(&p, T_PING);
	cr_assert_eq(ct_probe_find(&p, TC_MSG_WORK_DONE), -1);

	atomic_store(&the_job.release, 1);
	long i = ct_wait_type(&p, TC_MSG_WORK_DONE);
	struct ct_rec r = ct_probe_rec(&p, (size_t)i);
	cr_assert_eq(r.work.tag, 77);
	cr_assert_eq(r.work.rc, TC_EIO, "rc %s", tc_errname(r.work.rc));
	cr_assert(!pthread_equal(the_job.thread, handler_thread), "work ran on the scheduler");
	ct_node_stop_clean(n);
	cr_assert_eq(atomic_load(&p.errors), 0);
	ct_probe_fini(&p);
}
