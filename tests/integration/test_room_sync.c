/*
 * test_room_sync.c - the real room actor on a real node, with test clients
 * playing sessions: two editors converge, a late joiner gets the merged
 * log as one step 2 and the room's state vector, observers are read-only, a full room refuses, chat
 * both ways, malformed updates are refused and not relayed, awareness is
 * relayed, remembered and removed, and a run goes to the runner and its
 * progress and verdict reach every member.  No store: the in-memory room.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actors/room.h"
#include "actors/runner.h"
#include "core/metrics.h"
#include "room_client.h"

static struct tc_node *node;
static struct tc_metrics *metrics;

static void
start(unsigned max_members, runner_judge_fn judge, void *judge_arg)
{
	struct tc_node_config cfg = {.id = 1, .name = "t1", .workers = 2};
	XT_OK(tc_metrics_new(&metrics));
	cfg.metrics = metrics;
	XT_OK(tc_node_new(&cfg, &node));
	XT_OK(tc_node_start(node));
	struct room_config rc = {.max_members = max_members, .problem = "two-sum"};
	XT_OK(room_register(node, &rc));
	if (judge != NULL) {
		struct runner_config run = {.count = 1, .judge = judge, .judge_arg = judge_arg};
		XT_OK(runner_start(node, &run));
	}
}

static void
stop(void)
{
	struct tc_shutdown_report rep;
	XT_OK(tc_node_stop(node, RC_DEADLINE_MS, &rep));
	cr_expect_eq(rep.actors_alive, 0);
	cr_expect_eq(rep.work_pending, 0);
	room_unregister(node);
	tc_node_free(node);
	tc_metrics_free(metrics);
}

static uint64_t
counter(const char *name)
{
	struct tc_metric *m;
	XT_OK(tc_metrics_counter(metrics, name, "", NULL, &m));
	return tc_counter_get(m);
}

/* join waits until c has the room state and the server's step 1. */
static struct rc_client *
joined(const char *user, const char *role)
{
	struct rc_client *c = rc_new(node, "r1", user);
	rc_join(node, c, role);
	rc_wait(c, ROOM_FRAME_SYNC, ROOM_SYNC_STEP1, 1);
	return c;
}

static void
send_file(struct rc_client *c, unsigned sub, const char *file)
{
	size_t len;
	uint8_t *u = rc_load(file, &len);
	rc_send_sync(node, c, sub, u, len);
	free(u);
}

static bool
frame_carries(struct rc_client *c, size_t i, const char *file)
{
	size_t len, plen;
	const uint8_t *p;
	uint8_t *u = rc_load(file, &len);
	struct rc_frame f = rc_nth(c, ROOM_FRAME_SYNC, ROOM_SYNC_UPDATE, i);
	cr_assert_not_null(f.data, "%s: no update %zu", c->user, i);
	rc_sync_payload(&f, &p, &plen);
	bool same = plen == len && memcmp(p, u, len) == 0;
	free(u);
	return same;
}

Test(room_sync, new_member_gets_state_and_empty_step1)
{
	start(0, NULL, NULL);
	struct rc_client *a = joined("ada", "editor");
	rc_wait(a, ROOM_FRAME_STATE, -1, 1);
	struct rc_frame st = rc_nth(a, ROOM_FRAME_STATE, -1, 0);
	char you[64], room[64];
	cr_assert(rc_app_str(&st, "you", you, sizeof(you)));
	cr_assert(rc_app_str(&st, "room", room, sizeof(room)));
	cr_assert_str_eq(you, "ada");
	cr_assert_str_eq(room, "r1");
	const uint8_t *sv;
	size_t svlen;
	struct rc_frame s1 = rc_nth(a, ROOM_FRAME_SYNC, ROOM_SYNC_STEP1, 0);
	rc_sync_payload(&s1, &sv, &svlen);
	cr_assert_eq(svlen, 1, "an empty state vector");
	cr_assert_eq(sv[0], 0);
	stop();
	rc_free(a);
}

Test(room_sync, two_editors_receive_each_others_updates)
{
	start(0, NULL, NULL);
	struct rc_client *a = joined("ada", "editor");
	struct rc_client *b = joined("bob", "editor");
	send_file(a, ROOM_SYNC_UPDATE, "session_1.bin");
	rc_wait(b, ROOM_FRAME_SYNC, ROOM_SYNC_UPDATE, 1);
	cr_assert(frame_carries(b, 0, "session_1.bin"));
	/* A step 2 (the answer to the server's step 1) is relayed as an update. */
	send_file(b, ROOM_SYNC_STEP2, "insert_ascii.bin");
	rc_wait(a, ROOM_FRAME_SYNC, ROOM_SYNC_UPDATE, 1);
	cr_assert(frame_carries(a, 0, "insert_ascii.bin"));
	cr_assert_eq(rc_count(a, ROOM_FRAME_SYNC, ROOM_SYNC_UPDATE), 1, "no echo to the sender");
	cr_assert_eq(rc_count(b, ROOM_FRAME_SYNC, ROOM_SYNC_UPDATE), 1, "no echo to the sender");
	cr_assert_eq(counter("tandem_room_updates_total"), 2);
	cr_assert_eq(counter("tandem_room_inserted_chars_total"), 23 + 5);
	stop();
	rc_free(a);
	rc_free(b);
}

/* merged: the merge of the given golden updates; the caller finis *out. */
static void
merged(const char *const *files, size_t n, struct yp_buf *out, struct yp_buf *sv)
{
	struct yp_span in[8];
	uint8_t *u[8];
	cr_assert_leq(n, 8);
	for (size_t i = 0; i < n; i++) {
		u[i] = rc_load(files[i], &in[i].len);
		in[i].p = u[i];
	}
	yp_buf_init(out, 1 << 20);
	if (sv != NULL)
		yp_buf_init(sv, 1 << 20);
	XT_OK(yp_update_merge(in, n, NULL, 0, out, sv));
	for (size_t i = 0; i < n; i++)
		free(u[i]);
}

/* fixture reads tests/unit/actors/fixtures/<name>; the caller frees it. */
static uint8_t *
fixture(const char *name, size_t *len)
{
	return xt_read_source(1 << 20, len, "tests/unit/actors/fixtures/%s", name);
}

static bool
payload_is(const struct rc_frame *f, const uint8_t *want, size_t len)
{
	const uint8_t *p;
	size_t plen;
	rc_sync_payload(f, &p, &plen);
	return plen == len && memcmp(p, want, len) == 0;
}

Test(room_sync, late_joiner_gets_one_merged_step2)
{
	static const char *const files[] = {"session_1.bin", "delete_only.bin", "session_3.bin"};
	start(0, NULL, NULL);
	struct rc_client *a = joined("ada", "editor");
	struct rc_client *o = joined("obs", "observer");
	for (int i = 0; i < 3; i++)
		send_file(a, ROOM_SYNC_UPDATE, files[i]);
	rc_wait(o, ROOM_FRAME_SYNC, ROOM_SYNC_UPDATE, 3);
	for (int i = 0; i < 3; i++)
		cr_assert(frame_carries(o, (size_t)i, files[i]), "update %d relayed as sent", i);

	struct rc_client *c = joined("cy", "editor");
	rc_send_sync(node, c, ROOM_SYNC_STEP1, yp_empty_state_vector, 1);
	rc_wait(c, ROOM_FRAME_SYNC, ROOM_SYNC_STEP2, 1);
	/* Then a chat: everything the room sent before it has arrived. */
	rc_send_app(node, a, ROOM_FRAME_CHAT, "text", "after", NULL, NULL);
	rc_wait(c, ROOM_FRAME_CHAT, -1, 1);
	cr_assert_eq(rc_count(c, ROOM_FRAME_SYNC, ROOM_SYNC_UPDATE), 0, "no update frames");
	cr_assert_eq(rc_count(c, ROOM_FRAME_SYNC, ROOM_SYNC_STEP2), 1, "one step 2");
	struct yp_buf want, sv;
	merged(files, 3, &want, &sv);
	struct rc_frame s2 = rc_nth(c, ROOM_FRAME_SYNC, ROOM_SYNC_STEP2, 0);
	cr_assert(payload_is(&s2, want.data, want.len), "step 2 is the merged log");
	/* The joiner was asked for what the room lacks: the room's state vector. */
	struct rc_frame s1 = rc_nth(c, ROOM_FRAME_SYNC, ROOM_SYNC_STEP1, 0);
	cr_assert(payload_is(&s1, sv.data, sv.len), "step 1 carries the room's state vector");
	size_t nsv;
	XT_OK(yp_state_vector_check(sv.data, sv.len, &nsv));
	cr_assert_eq(nsv, 1);
	/* Sums as sent: nothing lost or doubled. */
	struct yp_update_info info;
	uint64_t ins = 0, del = 0;
	for (int i = 0; i < 3; i++) {
		size_t len;
		uint8_t *u = rc_load(files[i], &len);
		XT_OK(yp_update_parse(u, len, &info));
		ins += info.inserted;
		del += info.deleted;
		yp_update_info_fini(&info);
		free(u);
	}
	XT_OK(yp_update_parse(want.data, want.len, &info));
	cr_assert_eq(info.inserted, ins);
	cr_assert_eq(info.deleted, del);
	yp_update_info_fini(&info);
	yp_buf_fini(&want);
	yp_buf_fini(&sv);
	stop();
	rc_free(a);
	rc_free(o);
	rc_free(c);
}

/*
 * 400 keystrokes of real Yjs typing (tests/node/ymerge-corpus.mjs): a late
 * joiner's one step 2 is byte for byte what Y.encodeStateAsUpdate of the
 * typist's document is, so applied it gives the whole text; a joiner that
 * has it all gets no structs back.
 */
Test(room_sync, late_joiner_after_typing_gets_the_document)
{
	size_t len, slen;
	uint8_t *all = fixture("typing.updates", &len);
	uint8_t *state = fixture("typing.state", &slen);
	start(0, NULL, NULL);
	struct rc_client *a = joined("ada", "editor");
	struct rc_client *o = joined("obs", "observer");
	size_t n = 0;
	for (size_t pos = 0; pos + 4 <= len; n++) {
		size_t ulen = (size_t)all[pos] << 24 | (size_t)all[pos + 1] << 16 |
		              (size_t)all[pos + 2] << 8 | all[pos + 3];
		rc_send_sync(node, a, ROOM_SYNC_UPDATE, all + pos + 4, ulen);
		pos += 4 + ulen;
	}
	cr_assert_eq(n, 400);
	rc_wait(o, ROOM_FRAME_SYNC, ROOM_SYNC_UPDATE, n);

	struct rc_client *c = joined("cy", "observer");
	rc_send_sync(node, c, ROOM_SYNC_STEP1, yp_empty_state_vector, 1);
	rc_wait(c, ROOM_FRAME_SYNC, ROOM_SYNC_STEP2, 1);
	struct rc_frame s2 = rc_nth(c, ROOM_FRAME_SYNC, ROOM_SYNC_STEP2, 0);
	cr_assert(payload_is(&s2, state, slen), "step 2 is the typist's document");

	/* A step 1 naming everything the room has: a step 2 without structs. */
	struct rc_frame s1 = rc_nth(c, ROOM_FRAME_SYNC, ROOM_SYNC_STEP1, 0);
	const uint8_t *sv;
	size_t svlen;
	rc_sync_payload(&s1, &sv, &svlen);
	rc_send_sync(node, c, ROOM_SYNC_STEP1, sv, svlen);
	rc_wait(c, ROOM_FRAME_SYNC, ROOM_SYNC_STEP2, 2);
	struct rc_frame again = rc_nth(c, ROOM_FRAME_SYNC, ROOM_SYNC_STEP2, 1);
	struct yp_update_info info;
	const uint8_t *p;
	size_t plen;
	rc_sync_payload(&again, &p, &plen);
	XT_OK(yp_update_parse(p, plen, &info));
	cr_assert_eq(info.structs, 0, "nothing the joiner has");
	yp_update_info_fini(&info);
	free(all);
	free(state);
	stop();
	rc_free(a);
	rc_free(o);
	rc_free(c);
}

Test(room_sync, observer_update_refused_read_only)
{
	start(0, NULL, NULL);
	struct rc_client *a = joined("ada", "editor");
	struct rc_client *o = joined("obs", "observer");
	send_file(o, ROOM_SYNC_UPDATE, "insert_ascii.bin");
	rc_wait(o, ROOM_FRAME_ERROR, -1, 1);
	char code[32];
	struct rc_frame e = rc_nth(o, ROOM_FRAME_ERROR, -1, 0);
	cr_assert(rc_app_str(&e, "code", code, sizeof(code)));
	cr_assert_str_eq(code, ROOM_ERR_READ_ONLY);
	/* An empty step 2 (a fresh observer answering step 1) is no error. */
	rc_send_sync(node, o, ROOM_SYNC_STEP2, yp_empty_update, 2);
	/* Then a chat from the editor: everything before it reached the editor. */
	rc_send_app(node, a, ROOM_FRAME_CHAT, "text", "after", NULL, NULL);
	rc_wait(a, ROOM_FRAME_CHAT, -1, 1);
	rc_wait(o, ROOM_FRAME_CHAT, -1, 1);
	cr_assert_eq(rc_count(a, ROOM_FRAME_SYNC, ROOM_SYNC_UPDATE), 0, "nothing relayed");
	cr_assert_eq(rc_count(o, ROOM_FRAME_ERROR, -1), 1, "one error only");
	stop();
	rc_free(a);
	rc_free(o);
}

Test(room_sync, third_editor_and_over_cap_refused_room_full)
{
	start(3, NULL, NULL);
	struct rc_client *a = joined("ada", "editor");
	struct rc_client *b = joined("bob", "editor");
	struct rc_client *c = rc_new(node, "r1", "cy");
	rc_join(node, c, "editor");
	cr_assert(xt_wait_until(rc_inited, c, RC_DEADLINE_MS));
	rc_wait(c, ROOM_FRAME_ERROR, -1, 1);
	struct rc_frame e = rc_nth(c, ROOM_FRAME_ERROR, -1, 0);
	char code[32];
	cr_assert(rc_app_str(&e, "code", code, sizeof(code)));
	cr_assert_str_eq(code, ROOM_ERR_ROOM_FULL);

	/* An observer fits (3rd member); a 4th member does not. */
	struct rc_client *o = joined("obs", "observer");
	struct rc_client *p = rc_new(node, "r1", "pat");
	rc_join(node, p, "observer");
	rc_wait(p, ROOM_FRAME_ERROR, -1, 1);
	/* The close follows the error in the same turn. */
	rc_send_app(node, a, ROOM_FRAME_CHAT, "text", "sync", NULL, NULL);
	rc_wait(o, ROOM_FRAME_CHAT, -1, 1);
	cr_assert_eq(atomic_load(&c->closed), ROOM_CLOSE_ROOM_FULL);
	cr_assert_eq(atomic_load(&p->closed), ROOM_CLOSE_ROOM_FULL);
	cr_assert_eq(rc_count(p, ROOM_FRAME_SYNC, -1), 0, "a refused client gets no sync");
	cr_assert_eq(counter("tandem_room_joins_refused_total"), 2);
	stop();
	rc_free(a);
	rc_free(b);
	rc_free(c);
	rc_free(o);
	rc_free(p);
}

Test(room_sync, chat_reaches_everyone_with_seq)
{
	start(0, NULL, NULL);
	struct rc_client *a = joined("ada", "editor");
	struct rc_client *b = joined("bob", "editor");
	rc_send_app(node, a, ROOM_FRAME_CHAT, "text", "hi bob", NULL, NULL);
	rc_wait(b, ROOM_FRAME_CHAT, -1, 1);
	rc_send_app(node, b, ROOM_FRAME_CHAT, "text", "hi ada \xc3\xa9", NULL, NULL);
	rc_wait(a, ROOM_FRAME_CHAT, -1, 2);
	rc_wait(b, ROOM_FRAME_CHAT, -1, 2);
	char text[64], user[64];
	struct rc_frame f = rc_nth(b, ROOM_FRAME_CHAT, -1, 0);
	cr_assert(rc_app_str(&f, "text", text, sizeof(text)));
	cr_assert(rc_app_str(&f, "user", user, sizeof(user)));
	cr_assert_str_eq(text, "hi bob");
	cr_assert_str_eq(user, "ada");
	f = rc_nth(a, ROOM_FRAME_CHAT, -1, 1);
	cr_assert(rc_app_str(&f, "text", text, sizeof(text)));
	cr_assert_str_eq(text, "hi ada \xc3\xa9");

	/* A late joiner gets the history. */
	struct rc_client *c = joined("cy", "observer");
	rc_wait(c, ROOM_FRAME_CHAT, -1, 2);
	/* Empty and malformed chats are refused. */
	rc_send_app(node, a, ROOM_FRAME_CHAT, "text", "", NULL, NULL);
	rc_send_app(node, a, ROOM_FRAME_CHAT, "nottext", "x", NULL, NULL);
	rc_wait(a, ROOM_FRAME_ERROR, -1, 2);
	stop();
	rc_free(a);
	rc_free(b);
	rc_free(c);
}

Test(room_sync, bad_update_refused_and_not_relayed)
{
	start(0, NULL, NULL);
	struct rc_client *a = joined("ada", "editor");
	struct rc_client *b = joined("bob", "editor");
	size_t len;
	uint8_t *u = rc_load("all_content.bin", &len);
	rc_send_sync(node, a, ROOM_SYNC_UPDATE, u, len - 3); /* truncated */
	u[5] ^= 0x1f;                                        /* a wrong info byte */
	rc_send_sync(node, a, ROOM_SYNC_UPDATE, u, len);
	free(u);
	static const uint8_t garbage[] = {0, 2, 3, 0xff, 0xff, 0xff};
	rc_send(node, a, garbage, sizeof(garbage));
	static const uint8_t unknown[] = {77};
	rc_send(node, a, unknown, sizeof(unknown));
	rc_wait(a, ROOM_FRAME_ERROR, -1, 4);
	char code[32];
	struct rc_frame e = rc_nth(a, ROOM_FRAME_ERROR, -1, 0);
	cr_assert(rc_app_str(&e, "code", code, sizeof(code)));
	cr_assert_str_eq(code, ROOM_ERR_BAD_UPDATE);
	e = rc_nth(a, ROOM_FRAME_ERROR, -1, 3);
	cr_assert(rc_app_str(&e, "code", code, sizeof(code)));
	cr_assert_str_eq(code, ROOM_ERR_BAD_FRAME);
	rc_send_app(node, a, ROOM_FRAME_CHAT, "text", "sync", NULL, NULL);
	rc_wait(b, ROOM_FRAME_CHAT, -1, 1);
	cr_assert_eq(rc_count(b, ROOM_FRAME_SYNC, ROOM_SYNC_UPDATE), 0, "nothing relayed");
	cr_assert_geq(counter("tandem_room_bad_updates_total"), 1);
	/* The room is intact: a good update still goes through and is logged. */
	send_file(a, ROOM_SYNC_UPDATE, "all_content.bin");
	rc_wait(b, ROOM_FRAME_SYNC, ROOM_SYNC_UPDATE, 1);
	cr_assert(frame_carries(b, 0, "all_content.bin"));
	stop();
	rc_free(a);
	rc_free(b);
}

static size_t
awareness_entries(struct rc_client *c, size_t i, struct yp_awareness_entry *e)
{
	struct rc_frame f = rc_nth(c, ROOM_FRAME_AWARENESS, -1, i);
	struct yp_frame yf;
	size_t n = 0;
	cr_assert_not_null(f.data);
	XT_OK(yp_frame_parse(f.data, f.len, &yf));
	XT_OK(yp_awareness_parse(yf.data, yf.len, e, 8, &n));
	return n;
}

Test(room_sync, awareness_relayed_remembered_and_removed)
{
	start(0, NULL, NULL);
	struct rc_client *a = joined("ada", "editor");
	struct rc_client *b = joined("bob", "editor");
	size_t len;
	uint8_t *aw = rc_load("frame_awareness.bin", &len);
	rc_send(node, a, aw, len);
	rc_wait(b, ROOM_FRAME_AWARENESS, -1, 1);
	struct rc_frame f = rc_nth(b, ROOM_FRAME_AWARENESS, -1, 0);
	cr_assert_eq(f.len, len);
	cr_assert_eq(memcmp(f.data, aw, len), 0, "relayed verbatim");
	free(aw);

	/* A late joiner gets the remembered state; so does a query. */
	struct rc_client *c = joined("cy", "observer");
	rc_wait(c, ROOM_FRAME_AWARENESS, -1, 1);
	struct yp_awareness_entry e[8];
	cr_assert_eq(awareness_entries(c, 0, e), 1);
	cr_assert_eq(e[0].client, 7001);
	static const uint8_t query[] = {ROOM_FRAME_QUERY_AWARENESS};
	rc_send(node, b, query, sizeof(query));
	rc_wait(b, ROOM_FRAME_AWARENESS, -1, 2);
	cr_assert_eq(awareness_entries(b, 1, e), 1);

	/* When ada leaves, the others are told her cursor is gone. */
	rc_leave(node, a);
	rc_wait(b, ROOM_FRAME_AWARENESS, -1, 3);
	cr_assert_eq(awareness_entries(b, 2, e), 1);
	cr_assert_eq(e[0].client, 7001);
	cr_assert(yp_awareness_is_removal(&e[0]));
	rc_wait(b, ROOM_FRAME_STATE, -1, 3); /* join b, join c, leave a */
	stop();
	rc_free(a);
	rc_free(b);
	rc_free(c);
}

/* A judge stand-in that answers at once: ACCEPTED, and counts its calls.
 * It reports its two tests as they end, as the sandbox judge does. */
static _Atomic int judged;

static enum tc_err
fake_judge(void *arg, const struct runner_job *job, char **result, unsigned *total)
{
	atomic_fetch_add(&judged, 1);
	job->progress(job->progress_ctx, 1, 2);
	job->progress(job->progress_ctx, 2, 2);
	*total = 2;
	if (strstr(job->code, "wrong") != NULL)
		*result = strdup("{\"status\":\"WRONG_ANSWER\",\"passed\":1,\"total\":2,"
		                 "\"time_ms\":3,\"details\":[]}");
	else
		*result = strdup("{\"status\":\"ACCEPTED\",\"passed\":2,\"total\":2,"
		                 "\"time_ms\":3,\"details\":[]}");
	return TC_OK;
}

Test(room_sync, run_progress_and_verdict_reach_both)
{
	start(0, fake_judge, NULL);
	struct rc_client *a = joined("ada", "editor");
	struct rc_client *b = joined("bob", "editor");
	struct rc_client *o = joined("obs", "observer");
	rc_send_app(node, a, ROOM_FRAME_RUN, "code", "print(1)", "lang", "python");
	rc_wait(a, ROOM_FRAME_VERDICT, -1, 1);
	rc_wait(b, ROOM_FRAME_VERDICT, -1, 1);
	rc_wait(o, ROOM_FRAME_VERDICT, -1, 1);
	char state[32], by[64], id[64], result[256];
	struct rc_frame p0 = rc_nth(b, ROOM_FRAME_RUN_PROGRESS, -1, 0);
	cr_assert(rc_app_str(&p0, "state", state, sizeof(state)));
	cr_assert_str_eq(state, "queued");
	cr_assert(rc_app_str(&p0, "by", by, sizeof(by)));
	cr_assert_str_eq(by, "ada");
	/* queued, running, then each test as it ends (the first at once, the
	 * last always), all before the verdict */
	cr_assert_eq(rc_count(b, ROOM_FRAME_RUN_PROGRESS, -1), 4);
	for (size_t i = 1; i < 4; i++) {
		struct rc_frame p = rc_nth(b, ROOM_FRAME_RUN_PROGRESS, -1, i);
		uint64_t done = 99, total = 99;
		cr_assert(rc_app_str(&p, "state", state, sizeof(state)));
		cr_assert_str_eq(state, "running");
		cr_assert(rc_app_u64(&p, "done", &done) && rc_app_u64(&p, "total", &total));
		cr_assert_eq(done, i - 1, "progress %zu", i);
		cr_assert_eq(total, i == 1 ? 0 : 2, "progress %zu", i);
	}
	cr_assert_lt(
	    rc_index(b, ROOM_FRAME_RUN_PROGRESS, -1, 3), rc_index(b, ROOM_FRAME_VERDICT, -1, 0));
	struct rc_frame v = rc_nth(b, ROOM_FRAME_VERDICT, -1, 0);
	cr_assert(rc_app_str(&v, "id", id, sizeof(id)));
	cr_assert(rc_app_str(&v, "result", result, sizeof(result)));
	cr_assert_str_eq(id, "r1.1");
	cr_assert_not_null(strstr(result, "\"ACCEPTED\""));
	cr_assert_eq(atomic_load(&judged), 1);

	/* A second run after the verdict is accepted; observers may not run. */
	rc_send_app(node, o, ROOM_FRAME_RUN, "code", "print(1)", "lang", "python");
	rc_wait(o, ROOM_FRAME_ERROR, -1, 1);
	rc_send_app(node, b, ROOM_FRAME_RUN, "code", "wrong", "lang", "python");
	rc_wait(a, ROOM_FRAME_VERDICT, -1, 2);
	v = rc_nth(a, ROOM_FRAME_VERDICT, -1, 1);
	cr_assert(rc_app_str(&v, "result", result, sizeof(result)));
	cr_assert_not_null(strstr(result, "WRONG_ANSWER"));
	cr_assert(rc_app_str(&v, "by", by, sizeof(by)));
	cr_assert_str_eq(by, "bob");
	/* Unsupported languages are refused before the runner. */
	rc_send_app(node, a, ROOM_FRAME_RUN, "code", "x", "lang", "cobol");
	rc_wait(a, ROOM_FRAME_ERROR, -1, 1);
	cr_assert_eq(atomic_load(&judged), 2);
	cr_assert_eq(counter("tandem_room_verdicts_total"), 2);
	stop();
	rc_free(a);
	rc_free(b);
	rc_free(o);
}

/* A judge that holds the run until released, to see RUN_BUSY. */
static _Atomic int release;

static bool
released(void *arg)
{
	return atomic_load(&release) != 0;
}

static enum tc_err
slow_judge(void *arg, const struct runner_job *job, char **result, unsigned *total)
{
	/* Runs on the pool, not a scheduler thread: waiting here blocks no actor. */
	(void)xt_wait_until(released, NULL, RC_DEADLINE_MS);
	return fake_judge(arg, job, result, total);
}

Test(room_sync, second_run_while_busy_refused)
{
	atomic_store(&release, 0);
	start(0, slow_judge, NULL);
	struct rc_client *a = joined("ada", "editor");
	struct rc_client *b = joined("bob", "editor");
	rc_send_app(node, a, ROOM_FRAME_RUN, "code", "print(1)", "lang", "python");
	rc_wait(b, ROOM_FRAME_RUN_PROGRESS, -1, 1);
	rc_send_app(node, b, ROOM_FRAME_RUN, "code", "print(2)", "lang", "python");
	rc_wait(b, ROOM_FRAME_ERROR, -1, 1);
	char code[32];
	struct rc_frame e = rc_nth(b, ROOM_FRAME_ERROR, -1, 0);
	cr_assert(rc_app_str(&e, "code", code, sizeof(code)));
	cr_assert_str_eq(code, ROOM_ERR_RUN_BUSY);
	atomic_store(&release, 1);
	rc_wait(b, ROOM_FRAME_VERDICT, -1, 1);
	stop();
	rc_free(a);
	rc_free(b);
}
