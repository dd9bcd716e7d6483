/*
 * test_room_durable.c - the room with a real SQLite store and the real
 * recorder: a room with no members stops after idle_ms (fake clock) once
 * everything is durable, and the next join rehydrates it from the store
 * (document log, chat, members, problem); a whole node restarted on the
 * same store serves every acknowledged edit; and a run through the real
 * judge reaches both editors and is recorded as a submission.  A graceful
 * stop's drain waits for unacknowledged events and for runs in progress.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actors/recorder.h"
#include "actors/room.h"
#include "actors/runner.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "room_client.h"
#include "sandbox/judge.h"
#include "store/blob.h"

#define IDLE_MS 1000u

static char *dir;
static struct st_store *st;
static struct st_blobs *blobs;
static struct tc_clock *clk;
static struct tc_node *node;
static struct tc_metrics *metrics;
static struct recorder_config rec_cfg;

static void
node_up(void)
{
	struct tc_node_config cfg = {.id = 1, .name = "t1", .workers = 2, .clock = clk};
	XT_OK(tc_metrics_new(&metrics));
	cfg.metrics = metrics;
	XT_OK(tc_node_new(&cfg, &node));
	XT_OK(tc_node_start(node));
	rec_cfg = (struct recorder_config){.store = st, .flush_events = 1};
	XT_OK(tc_spawn_named(node, "recorder/main", &recorder_behaviour, &rec_cfg, NULL));
	struct room_config rc = {.store = st, .recorder_name = "recorder/main", .idle_ms = IDLE_MS};
	XT_OK(room_register(node, &rc));
}

static void
node_down(void)
{
	struct tc_shutdown_report rep;
	XT_OK(tc_node_stop(node, RC_DEADLINE_MS, &rep));
	cr_expect_eq(rep.actors_alive, 0);
	cr_expect_eq(rep.work_pending, 0);
	room_unregister(node);
	tc_node_free(node);
	tc_metrics_free(metrics);
	node = NULL;
}

static void
setup(void)
{
	char path[1024], err[256];
	dir = xt_tmpdir("room");
	cr_assert_not_null(dir);
	snprintf(path, sizeof(path), "%s/tandem.db", dir);
	XT_OK(st_open(path, &st, err, sizeof(err)));
	snprintf(path, sizeof(path), "%s/blobs", dir);
	XT_OK(st_blobs_open(path, &blobs, err, sizeof(err)));
	struct st_problem p = {
	    .id = "two-sum", .title = "Two Sum", .time_limit_ms = 2000, .mem_limit_mb = 256};
	XT_OK(st_problem_put(st, &p));
	XT_OK(st_user_put(st, "ada", "Ada"));
	XT_OK(st_user_put(st, "bob", "Bob"));
	XT_OK(st_room_create(st, "r1", "two-sum"));
	XT_OK(tc_clock_fake_new(1000, &clk));
	node_up();
}

static void
teardown(void)
{
	if (node != NULL)
		node_down();
	tc_clock_free(clk);
	st_blobs_free(blobs);
	st_free(st);
	xt_rmtree(dir);
	free(dir);
}

struct durable {
	uint64_t want;
};

static bool
store_has(void *arg)
{
	struct durable *d = arg;
	uint64_t seq = 0;
	return st_events_last_seq(st, "r1", &seq) == TC_OK && seq >= d->want;
}

static bool
committed(void *arg)
{
	struct durable *d = arg;
	struct tc_metric *m;
	return tc_metrics_counter(metrics, "recorder_events_committed_total", "", NULL, &m) ==
	           TC_OK &&
	       tc_counter_get(m) >= d->want;
}

/*
 * settled waits until the recorder has committed `want` events on this
 * node and finished with them (its flush job is done), then checks the
 * store holds `stored` events of the room.
 */
static void
settled(uint64_t want, uint64_t stored)
{
	cr_assert(xt_wait_until(committed, &(struct durable){want}, RC_DEADLINE_MS),
	    "%llu events committed", (unsigned long long)want);
	cr_assert(
	    store_has(&(struct durable){stored}), "%llu events stored", (unsigned long long)stored);
}

static struct rc_client *
joined(const char *user, const char *role)
{
	struct rc_client *c = rc_new(node, "r1", user);
	rc_join(node, c, role);
	rc_wait(c, ROOM_FRAME_SYNC, ROOM_SYNC_STEP1, 1);
	return c;
}

static const char *const files[] = {"session_1.bin", "delete_only.bin", "session_3.bin"};

/* write: ada joins, sends three updates and a chat (5 events). */
static struct rc_client *
write_some(const char *chat)
{
	struct rc_client *a = joined("ada", "editor");
	for (int i = 0; i < 3; i++) {
		size_t len;
		uint8_t *u = rc_load(files[i], &len);
		rc_send_sync(node, a, ROOM_SYNC_UPDATE, u, len);
		free(u);
	}
	rc_send_app(node, a, ROOM_FRAME_CHAT, "text", chat, NULL, NULL);
	rc_wait(a, ROOM_FRAME_CHAT, -1, 1);
	return a;
}

/* edit: write_some, then ada leaves; 6 events. */
static struct rc_client *
edit(void)
{
	struct rc_client *a = write_some("saved?");
	rc_leave(node, a);
	settled(6, 6); /* join, 3 updates, chat and leave */
	return a;
}

/* check_rehydrated: a new client sees the log, the chat and the problem. */
static void
check_rehydrated(struct rc_client *c)
{
	rc_send_sync(node, c, ROOM_SYNC_STEP1, yp_empty_state_vector, 1);
	rc_wait(c, ROOM_FRAME_SYNC, ROOM_SYNC_STEP2, 1);
	/* The three updates survive, as one step 2 holding their merge (ADR-0043). */
	cr_assert_eq(rc_count(c, ROOM_FRAME_SYNC, ROOM_SYNC_UPDATE), 0);
	struct yp_span in[3];
	uint8_t *u[3];
	for (size_t i = 0; i < 3; i++) {
		u[i] = rc_load(files[i], &in[i].len);
		in[i].p = u[i];
	}
	struct yp_buf want;
	yp_buf_init(&want, 1 << 20);
	XT_OK(yp_update_merge(in, 3, NULL, 0, &want, NULL));
	size_t plen;
	const uint8_t *p;
	struct rc_frame f = rc_nth(c, ROOM_FRAME_SYNC, ROOM_SYNC_STEP2, 0);
	rc_sync_payload(&f, &p, &plen);
	cr_assert(plen == want.len && memcmp(p, want.data, plen) == 0, "the updates survive");
	yp_buf_fini(&want);
	for (size_t i = 0; i < 3; i++)
		free(u[i]);
	rc_wait(c, ROOM_FRAME_CHAT, -1, 1);
	char text[64], problem[64];
	struct rc_frame ch = rc_nth(c, ROOM_FRAME_CHAT, -1, 0);
	cr_assert(rc_app_str(&ch, "text", text, sizeof(text)));
	cr_assert_str_eq(text, "saved?");
	struct rc_frame s = rc_nth(c, ROOM_FRAME_STATE, -1, 0);
	cr_assert(rc_app_str(&s, "problem", problem, sizeof(problem)));
	cr_assert_str_eq(problem, "two-sum");
}

TestSuite(room_durable, .init = setup, .fini = teardown, .timeout = 120);

Test(room_durable, idle_room_stops_when_durable_and_rehydrates)
{
	struct rc_client *a = edit();
	struct tc_addr before;
	XT_OK(tc_node_whereis(node, "room/r1", &before));
	/* Idle, but not yet long enough: still there. */
	XT_OK(tc_clock_fake_advance(clk, IDLE_MS / 2));
	struct rc_client *probe = rc_new(node, "r1", "probe");
	XT_OK(tc_clock_fake_advance(clk, IDLE_MS));
	cr_assert(xt_wait_until(rc_name_gone, &(struct rc_gone){node, "room/r1"}, RC_DEADLINE_MS),
	    "the idle room stopped");

	struct rc_client *b = joined("bob", "editor");
	struct tc_addr after;
	XT_OK(tc_node_whereis(node, "room/r1", &after));
	cr_assert(!tc_addr_eq(before, after), "a new room actor");
	check_rehydrated(b);

	/* New events continue the room's numbering after the stored ones. */
	rc_send_app(node, b, ROOM_FRAME_CHAT, "text", "back", NULL, NULL);
	rc_wait(b, ROOM_FRAME_CHAT, -1, 2);
	char seq_text[32];
	struct rc_frame ch = rc_nth(b, ROOM_FRAME_CHAT, -1, 1);
	cr_assert(rc_app_str(&ch, "text", seq_text, sizeof(seq_text)));
	settled(8, 8); /* bob's join and chat, after the stored six */

	/* The timeline holds the updates as recorded events, attributed. */
	struct st_timeline *tl = NULL;
	XT_OK(st_timeline_read(st, "r1", 1, 8, &tl));
	cr_assert_eq(tl->n, 8);
	cr_assert_eq(tl->ev[0].type, ST_EV_PRESENCE);
	cr_assert_eq(tl->ev[1].type, ST_EV_YJS);
	cr_assert_eq(tl->ev[4].type, ST_EV_CHAT);
	char user[ST_ID_MAX + 1];
	const uint8_t *up;
	size_t ulen, flen;
	XT_OK(room_update_event_decode(tl->ev[1].payload, tl->ev[1].len, user, &up, &ulen));
	cr_assert_str_eq(user, "ada");
	uint8_t *want = rc_load(files[0], &flen);
	cr_assert(ulen == flen && memcmp(up, want, flen) == 0, "the update as sent");
	free(want);
	st_timeline_free(tl);
	node_down();
	rc_free(a);
	rc_free(b);
	rc_free(probe);
}

Test(room_durable, restarted_node_serves_acknowledged_edits)
{
	struct rc_client *a = edit();
	node_down();
	node_up();
	struct rc_client *b = joined("bob", "editor");
	check_rehydrated(b);
	settled(1, 7); /* this node committed bob's join, the 7th event */
	node_down();
	rc_free(a);
	rc_free(b);
}

Test(room_durable, run_with_real_judge_reaches_both_and_is_recorded, .timeout = 300)
{
	xt_require(geteuid() == 0, "the sandbox needs root");
	struct sbx_detect_report rep;
	XT_OK(sbx_detect(&rep));
	xt_require(rep.level == SBX_LEVEL_FULL, "this host does not support the full level");

	char problems[1024], path[1200];
	snprintf(problems, sizeof(problems), "%s/sandbox/problems", xt_source_root());
	struct runner_config run = {.count = 1,
	    .problems_dir = problems,
	    .level = SBX_LEVEL_FULL,
	    .store = st,
	    .blobs = blobs};
	XT_OK(runner_start(node, &run));
	struct rc_client *a = joined("ada", "editor");
	struct rc_client *b = joined("bob", "editor");

	snprintf(path, sizeof(path), "%s/two-sum/reference.py", problems);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	char code[8192];
	size_t n = fread(code, 1, sizeof(code) - 1, f);
	code[n] = '\0';
	fclose(f);
	rc_send_app(node, a, ROOM_FRAME_RUN, "code", code, "lang", "python");
	rc_wait(a, ROOM_FRAME_VERDICT, -1, 1);
	rc_wait(b, ROOM_FRAME_VERDICT, -1, 1);
	char result[1 << 15], id[64];
	struct rc_frame v = rc_nth(b, ROOM_FRAME_VERDICT, -1, 0);
	cr_assert(rc_app_str(&v, "id", id, sizeof(id)));
	cr_assert(rc_app_str(&v, "result", result, sizeof(result)));
	struct sbx_result r;
	XT_OK(sbx_result_parse(result, strlen(result), &r));
	cr_assert_eq(r.status, SBX_ACCEPTED, "%s", result);
	cr_assert_gt(r.total, 0);
	cr_assert_eq(r.passed, r.total);
	sbx_result_fini(&r);

	struct st_submission s;
	XT_OK(st_submission_get(st, id, &s));
	cr_assert(s.has_verdict, "the verdict is recorded");
	cr_assert_str_eq(s.verdict.status, "ACCEPTED");
	cr_assert_str_eq(s.user_id, "ada");
	cr_assert_eq(s.attempt, 1);
	/* join a, join b, run, verdict. */
	settled(4, 4);
	node_down();
	rc_free(a);
	rc_free(b);
}

/* A graceful stop: room_drain returns once every numbered event is acked. */
Test(room_durable, drain_waits_until_every_event_is_durable)
{
	struct rc_client *a = write_some("bye");
	size_t left = 99, runs = 99;
	XT_OK(room_drain(node, RC_DEADLINE_MS, &left, &runs));
	cr_assert_eq(runs, 0);
	cr_assert_eq(left, 0);
	/* no waiting here: drained means stored */
	cr_assert(store_has(&(struct durable){5}), "join, three updates and the chat are stored");
	node_down();
	rc_free(a);
}

/* A judge that holds its run until the test lets it go. */
struct held_judge {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	bool started, release;
};

static enum tc_err
held_judge(void *arg, const struct runner_job *job, char **result, unsigned *total)
{
	struct held_judge *h = arg;
	(void)job;
	pthread_mutex_lock(&h->lock);
	h->started = true;
	pthread_cond_broadcast(&h->cv);
	while (!h->release)
		pthread_cond_wait(&h->cv, &h->lock);
	pthread_mutex_unlock(&h->lock);
	struct sbx_result r;
	memset(&r, 0, sizeof(r));
	r.status = SBX_ACCEPTED;
	r.total = r.passed = 1;
	*total = 1;
	return sbx_result_format(&r, result);
}

static bool
judge_started(void *arg)
{
	struct held_judge *h = arg;
	pthread_mutex_lock(&h->lock);
	bool started = h->started;
	pthread_mutex_unlock(&h->lock);
	return started;
}

/* A graceful stop also waits for a run already with a runner: its verdict
 * reaches the members and the store before the node stops. */
Test(room_durable, drain_waits_for_a_run_in_progress)
{
	struct held_judge h = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false};
	struct runner_config run = {.count = 1, .judge = held_judge, .judge_arg = &h};
	XT_OK(runner_start(node, &run));
	struct rc_client *a = joined("ada", "editor");
	rc_send_app(node, a, ROOM_FRAME_RUN, "code", "print(1)", "lang", "python");
	cr_assert(xt_wait_until(judge_started, &h, RC_DEADLINE_MS), "the run reached the judge");
	size_t left = 99, runs = 99;
	XT_ERR(room_drain(node, 100, &left, &runs), TC_ETIMEDOUT);
	cr_assert_eq(runs, 1, "the run is waited for (got %zu)", runs);
	pthread_mutex_lock(&h.lock);
	h.release = true;
	pthread_cond_broadcast(&h.cv);
	pthread_mutex_unlock(&h.lock);
	XT_OK(room_drain(node, RC_DEADLINE_MS, &left, &runs));
	cr_assert_eq(left, 0);
	cr_assert_eq(runs, 0);
	rc_wait(a, ROOM_FRAME_VERDICT, -1, 1);
	/* join, run, verdict: stored when the drain returns */
	cr_assert(store_has(&(struct durable){3}), "the verdict is stored");
	node_down();
	rc_free(a);
}

/* A recorder that never answers: the drain gives up and says how much. */
Test(room_durable, drain_reports_events_left_when_the_recorder_is_gone)
{
	node_down();
	struct tc_node_config cfg = {.id = 1, .name = "t1", .workers = 2, .clock = clk};
	XT_OK(tc_metrics_new(&metrics));
	cfg.metrics = metrics;
	XT_OK(tc_node_new(&cfg, &node));
	XT_OK(tc_node_start(node));
	struct room_config rc = {.store = st, .recorder_name = "recorder/nobody"};
	XT_OK(room_register(node, &rc));
	struct rc_client *a = joined("ada", "editor");
	rc_send_app(node, a, ROOM_FRAME_CHAT, "text", "lost?", NULL, NULL);
	rc_wait(a, ROOM_FRAME_CHAT, -1, 1);
	size_t left = 0;
	XT_ERR(room_drain(node, 200, &left, NULL), TC_ETIMEDOUT);
	cr_assert_eq(left, 2, "the join and the chat wait (got %zu)", left);
	node_down();
	rc_free(a);
}
