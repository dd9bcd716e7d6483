/*
 * test_recorder.c - the recorder actor on a real node and a SQLite store:
 * acknowledgements only after commit, the flush timer, backpressure while
 * the store is down (behind, retry with backoff, catch up), the buffer
 * bound (rejects, never silent drops) and idempotent resends.  Compiled
 * for SQLite (suite integration; "down" is another process's exclusive
 * lock) and with -DST_TEST_PG for PostgreSQL (suite pg; "down" is the
 * server stopped, and a server restart mid-run loses nothing).
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actors/recorder.h"
#include "core/metrics.h"
#include "core/node.h"
#include "testdb.h"
#include "xt.h"

/* What the stand-in room has heard from the recorder (guarded by lock). */
struct heard {
	pthread_mutex_t lock;
	uint64_t acked;
	int acks;
	int behind; /* last BEHIND flag */
	int behind_msgs;
	uint64_t rej_first, rej_last;
	enum tc_err rej_err;
	int rejects;
	int bad; /* replies that did not decode */
};

static struct heard heard = {.lock = PTHREAD_MUTEX_INITIALIZER};

static enum tc_err
room_init(struct tc_ctx *ctx, void *arg, void **state)
{
	*state = arg;
	return TC_OK;
}

static enum tc_err
room_handle(struct tc_ctx *ctx, void *state, const struct tc_msg *msg)
{
	char room[ST_ID_MAX + 1];
	pthread_mutex_lock(&heard.lock);
	if (msg->type == RECORDER_MSG_ACK) {
		uint64_t seq = 0;
		if (recorder_ack_decode(msg->body, msg->len, room, &seq) != TC_OK ||
		    seq < heard.acked)
			heard.bad++; /* malformed, or an ack going back */
		else
			heard.acked = seq;
		heard.acks++;
	} else if (msg->type == RECORDER_MSG_BEHIND) {
		uint64_t pending = 0;
		int behind = 0;
		if (recorder_behind_decode(msg->body, msg->len, room, &pending, &behind) != TC_OK)
			heard.bad++;
		heard.behind = behind;
		heard.behind_msgs++;
	} else if (msg->type == RECORDER_MSG_REJECT) {
		if (recorder_reject_decode(msg->body, msg->len, room, &heard.rej_first,
		        &heard.rej_last, &heard.rej_err) != TC_OK)
			heard.bad++;
		heard.rejects++;
	}
	pthread_mutex_unlock(&heard.lock);
	return TC_OK;
}

static const struct tc_behaviour room_b = {
    .kind = "testroom", .init = room_init, .handle = room_handle};

#ifdef ST_TEST_PG
#define SUITE recorder_pg
#else
#define SUITE recorder
#endif

struct fixture {
	struct tdb db;
	sqlite3 *lock;
	struct st_store *st;
	struct tc_node *node;
	struct tc_addr rec, room;
};

static void
start(struct fixture *f, struct recorder_config *cfg)
{
	memset(f, 0, sizeof(*f));
	memset(&heard, 0, sizeof(heard));
	pthread_mutex_init(&heard.lock, NULL);
	xt_require(TDB_DEFAULT == TDB_SQLITE || tdb_pg_ctl_available(),
	    "needs the cluster from tools/lib/pg.sh (TANDEM_PG_URL, TANDEM_PG_DIR, TANDEM_PG_BIN)");
	tdb_init(&f->db, TDB_DEFAULT, "recorder");
	char err[ST_ERRMSG_MAX];
	struct st_options o = {.busy_timeout_ms = 20, .connect_timeout_s = 2};
	cr_assert_eq(st_open_ex(f->db.target, &o, &f->st, err, sizeof(err)), TC_OK, "%s", err);
	struct tc_node_config nc = {.id = 1, .name = "n1", .workers = 2, .pool_threads = 2};
	XT_OK(tc_node_new(&nc, &f->node));
	XT_OK(tc_node_start(f->node));
	cfg->store = f->st;
	XT_OK(tc_spawn(f->node, &recorder_behaviour, cfg, &f->rec));
	XT_OK(tc_spawn(f->node, &room_b, NULL, &f->room));
}

static void
finish(struct fixture *f)
{
	cr_assert_eq(heard.bad, 0, "every reply decodes and acks only go forward");
	struct tc_shutdown_report rep;
	XT_OK(tc_node_stop(f->node, 5000, &rep));
	cr_assert_eq(rep.actors_alive, 0);
	cr_assert_eq(rep.work_pending, 0);
	tc_node_free(f->node);
	st_free(f->st);
	tdb_fini(&f->db);
}

/* send_events sends seqs first..last (as one APPEND) from the room. */
static void
send_events(struct fixture *f, uint64_t first, uint64_t last)
{
	size_t n = (size_t)(last - first + 1);
	struct st_event *e = calloc(n, sizeof(*e));
	char(*text)[32] = calloc(n, 32);
	for (size_t i = 0; i < n; i++) {
		uint64_t seq = first + i;
		snprintf(text[i], 32, "event %llu", (unsigned long long)seq);
		e[i] = (struct st_event){.seq = seq,
		    .ts_ms = (int64_t)seq,
		    .type = seq % 4 == 0 ? ST_EV_CHAT : ST_EV_YJS,
		    .len = (uint32_t)strlen(text[i]),
		    .payload = (const uint8_t *)text[i]};
	}
	uint8_t *buf = NULL;
	size_t len = 0;
	XT_OK(recorder_append_encode("room-1", e, n, &buf, &len));
	XT_OK(tc_node_send(f->node, f->rec, f->room, RECORDER_MSG_APPEND, buf, len));
	free(buf);
	free(text);
	free(e);
}

static uint64_t want_ack;
static int want_behind;

static bool
acked(void *arg)
{
	pthread_mutex_lock(&heard.lock);
	bool ok = heard.acked >= want_ack;
	pthread_mutex_unlock(&heard.lock);
	return ok;
}

static bool
behind_is(void *arg)
{
	pthread_mutex_lock(&heard.lock);
	bool ok = heard.behind_msgs > 0 && heard.behind == want_behind;
	pthread_mutex_unlock(&heard.lock);
	return ok;
}

static bool
rejected(void *arg)
{
	pthread_mutex_lock(&heard.lock);
	bool ok = heard.rejects > 0;
	pthread_mutex_unlock(&heard.lock);
	return ok;
}

static void
check_stored(struct fixture *f, uint64_t n)
{
	struct st_timeline *tl = NULL;
	XT_OK(st_timeline_read(f->st, "room-1", 1, UINT64_MAX, &tl));
	cr_assert_eq(tl->nbad, 0);
	cr_assert_eq(tl->n, n);
	for (size_t i = 0; i < tl->n; i++) {
		char want[32];
		snprintf(want, sizeof(want), "event %zu", i + 1);
		cr_assert_eq(tl->ev[i].seq, i + 1);
		cr_assert(tl->ev[i].len == strlen(want) &&
		          memcmp(tl->ev[i].payload, want, tl->ev[i].len) == 0);
	}
	st_timeline_free(tl);
}

Test(SUITE, acks_only_what_is_durable, .timeout = 60)
{
	struct fixture f;
	struct recorder_config cfg = {0};
	start(&f, &cfg);
	for (uint64_t s = 1; s <= 2500; s += 100)
		send_events(&f, s, s + 99);
	want_ack = 2500;
	cr_assert(xt_wait_until(acked, NULL, 30000), "no ack for 2500");
	/* Everything acknowledged is in the store, in order. */
	check_stored(&f, 2500);
	struct tc_metric *m = NULL;
	XT_OK(tc_metrics_counter(
	    tc_node_metrics(f.node), "recorder_events_committed_total", "", NULL, &m));
	cr_assert_eq(tc_counter_get(m), 2500);
	finish(&f);
}

Test(SUITE, a_few_events_flush_on_the_timer, .timeout = 60)
{
	struct fixture f;
	struct recorder_config cfg = {0};
	start(&f, &cfg);
	send_events(&f, 1, 3);
	want_ack = 3;
	cr_assert(xt_wait_until(acked, NULL, 30000));
	check_stored(&f, 3);
	/* A resend of durable events is acknowledged again, not stored twice. */
	pthread_mutex_lock(&heard.lock);
	int before = heard.acks;
	pthread_mutex_unlock(&heard.lock);
	send_events(&f, 1, 3);
	send_events(&f, 4, 4);
	want_ack = 4;
	cr_assert(xt_wait_until(acked, NULL, 30000));
	pthread_mutex_lock(&heard.lock);
	cr_assert(heard.acks >= before + 2, "the resend was acknowledged too");
	pthread_mutex_unlock(&heard.lock);
	check_stored(&f, 4);
	finish(&f);
}

/* store_down makes the store fail: SQLite, another process's exclusive
 * lock; PostgreSQL, the server stopped.  store_up undoes it. */
static void
store_down(struct fixture *f)
{
	if (f->db.kind == TDB_PG) {
		tdb_pg_ctl("stop");
		return;
	}
	cr_assert_eq(sqlite3_open(f->db.target, &f->lock), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(f->lock, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
}

static void
store_up(struct fixture *f)
{
	if (f->db.kind == TDB_PG) {
		tdb_pg_ctl("start");
		return;
	}
	cr_assert_eq(sqlite3_exec(f->lock, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(f->lock);
	f->lock = NULL;
}

Test(SUITE, store_down_buffers_retries_and_catches_up, .timeout = 60)
{
	struct fixture f;
	struct recorder_config cfg = {.backoff_min_ms = 10, .backoff_max_ms = 40};
	start(&f, &cfg);
	store_down(&f);
	send_events(&f, 1, 50);
	want_behind = 1;
	cr_assert(xt_wait_until(behind_is, NULL, 30000), "the room is told the recorder is behind");
	pthread_mutex_lock(&heard.lock);
	cr_assert_eq(heard.acked, 0, "nothing is acknowledged while the store is down");
	pthread_mutex_unlock(&heard.lock);
	struct tc_metric *m = NULL;
	XT_OK(tc_metrics_counter(
	    tc_node_metrics(f.node), "recorder_store_errors_total", "", NULL, &m));
	cr_assert(tc_counter_get(m) >= 1);
	send_events(&f, 51, 60); /* still accepted into the buffer */
	store_up(&f);
	want_ack = 60;
	cr_assert(xt_wait_until(acked, NULL, 30000), "catches up once the store is back");
	want_behind = 0;
	cr_assert(xt_wait_until(behind_is, NULL, 30000), "and says so");
	check_stored(&f, 60);
	finish(&f);
}

Test(SUITE, full_buffer_rejects_never_drops, .timeout = 60)
{
	struct fixture f;
	struct recorder_config cfg = {.max_events = 10, .backoff_min_ms = 10, .backoff_max_ms = 40};
	start(&f, &cfg);
	store_down(&f);
	send_events(&f, 1, 15);
	cr_assert(xt_wait_until(rejected, NULL, 30000));
	pthread_mutex_lock(&heard.lock);
	cr_assert_eq(heard.rej_first, 11);
	cr_assert_eq(heard.rej_last, 15);
	cr_assert_eq(heard.rej_err, TC_EFULL);
	pthread_mutex_unlock(&heard.lock);
	store_up(&f);
	want_ack = 10;
	cr_assert(xt_wait_until(acked, NULL, 30000));
	send_events(&f, 11, 15); /* the room resends what was refused */
	want_ack = 15;
	cr_assert(xt_wait_until(acked, NULL, 30000));
	check_stored(&f, 15);
	finish(&f);
}

#ifdef ST_TEST_PG
Test(SUITE, server_restart_mid_run_loses_nothing, .timeout = 120)
{
	struct fixture f;
	struct recorder_config cfg = {.backoff_min_ms = 10, .backoff_max_ms = 100};
	start(&f, &cfg);
	for (uint64_t s = 1; s <= 500; s += 50)
		send_events(&f, s, s + 49);
	want_ack = 200;
	cr_assert(xt_wait_until(acked, NULL, 30000));
	tdb_pg_ctl("restart"); /* some of 1..500 may be in flight right now */
	for (uint64_t s = 501; s <= 1000; s += 50)
		send_events(&f, s, s + 49);
	want_ack = 1000;
	cr_assert(xt_wait_until(acked, NULL, 60000), "reconnects and acknowledges everything");
	check_stored(&f, 1000);
	finish(&f);
}
#endif

/* Many rooms at once: each gets its own events stored and its own acks. */
#define MANY 300
static uint64_t many_acked[MANY]; /* guarded by heard.lock */

static enum tc_err
many_handle(struct tc_ctx *ctx, void *state, const struct tc_msg *msg)
{
	char room[ST_ID_MAX + 1];
	uint64_t seq = 0;
	unsigned i;
	if (msg->type != RECORDER_MSG_ACK)
		return TC_OK;
	pthread_mutex_lock(&heard.lock);
	if (recorder_ack_decode(msg->body, msg->len, room, &seq) != TC_OK ||
	    sscanf(room, "many-%u", &i) != 1 || i >= MANY || seq < many_acked[i])
		heard.bad++;
	else
		many_acked[i] = seq;
	pthread_mutex_unlock(&heard.lock);
	return TC_OK;
}

static const struct tc_behaviour many_b = {
    .kind = "manyrooms", .init = room_init, .handle = many_handle};

static bool
all_acked(void *arg)
{
	bool ok = true;
	pthread_mutex_lock(&heard.lock);
	for (unsigned i = 0; i < MANY && ok; i++)
		ok = many_acked[i] == 3;
	pthread_mutex_unlock(&heard.lock);
	return ok;
}

Test(SUITE, many_rooms_each_get_their_events_and_acks, .timeout = 120)
{
	struct fixture f;
	struct recorder_config cfg = {0};
	struct tc_addr from;
	start(&f, &cfg);
	memset(many_acked, 0, sizeof(many_acked));
	XT_OK(tc_spawn(f.node, &many_b, NULL, &from));
	for (unsigned r = 0; r < MANY; r++) {
		char id[32], text[3][48];
		struct st_event e[3];
		snprintf(id, sizeof(id), "many-%u", r);
		for (unsigned k = 0; k < 3; k++) {
			snprintf(text[k], sizeof(text[k]), "%s #%u", id, k + 1);
			e[k] = (struct st_event){.seq = k + 1,
			    .ts_ms = k + 1,
			    .type = ST_EV_CHAT,
			    .len = (uint32_t)strlen(text[k]),
			    .payload = (const uint8_t *)text[k]};
		}
		uint8_t *buf = NULL;
		size_t len = 0;
		XT_OK(recorder_append_encode(id, e, 3, &buf, &len));
		XT_OK(tc_node_send(f.node, f.rec, from, RECORDER_MSG_APPEND, buf, len));
		free(buf);
	}
	cr_assert(xt_wait_until(all_acked, NULL, 60000), "every room acknowledged through seq 3");
	for (unsigned r = 0; r < MANY; r += 37) {
		char id[32], want[40];
		struct st_timeline *tl = NULL;
		snprintf(id, sizeof(id), "many-%u", r);
		XT_OK(st_timeline_read(f.st, id, 1, UINT64_MAX, &tl));
		cr_assert_eq(tl->n, 3);
		snprintf(want, sizeof(want), "%s #3", id);
		cr_assert(tl->ev[2].len == strlen(want) &&
		          memcmp(tl->ev[2].payload, want, tl->ev[2].len) == 0);
		st_timeline_free(tl);
	}
	finish(&f);
}
