/*
 * test_store.c - the store's behaviour, compiled twice: for SQLite (suite
 * unit) and with -DST_TEST_PG for PostgreSQL (suite pg, on the server that
 * tools/lib/pg.sh starts).  The same cases must pass on both.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"
#ifndef ST_TEST_PG
#include <sqlite3.h>
#endif
#include "testdb.h"
#include "xt.h"

#ifdef ST_TEST_PG
#define SUITE(name) store_pg_##name
#else
#define SUITE(name) store_##name
#endif

static struct tdb db;

static struct st_store *
setup(const char *tag)
{
	xt_require(tdb_available(TDB_DEFAULT),
	    "TANDEM_PG_URL is not set: tools/lib/pg.sh starts a PostgreSQL server for this suite");
	tdb_init(&db, TDB_DEFAULT, tag);
	struct st_store *st = NULL;
	char err[ST_ERRMSG_MAX];
	enum tc_err rv = st_open(db.target, &st, err, sizeof(err));
	cr_assert(rv == TC_OK, "st_open(%s): %s: %s", db.target, tc_errname(rv), err);
	return st;
}

static void
teardown(struct st_store *st)
{
	st_free(st);
	tdb_fini(&db);
}

static struct st_event
ev(uint16_t type, int64_t ts, const char *text)
{
	return (struct st_event){.type = type,
	    .ts_ms = ts,
	    .len = (uint32_t)strlen(text),
	    .payload = (const uint8_t *)text};
}

/* ---- schema and migrations ---------------------------------------------- */

Test(SUITE(schema), migrates_from_empty_and_reopens)
{
	struct st_store *st = setup("schema");
	int applied = 0, known = 0;
	XT_OK(st_schema_version(st, &applied, &known));
	cr_assert(known >= 1);
	cr_assert_eq(applied, known);
	XT_OK(st_user_put(st, "u1", "Ada"));
	st_free(st);

	char err[ST_ERRMSG_MAX];
	XT_OK(st_open(db.target, &st, err, sizeof(err)));
	XT_OK(st_schema_version(st, &applied, &known));
	cr_assert_eq(applied, known);
	struct st_user u;
	XT_OK(st_user_get(st, "u1", &u));
	cr_assert_str_eq(u.name, "Ada");
	teardown(st);
}

Test(SUITE(schema), refuses_schema_from_the_future)
{
	struct st_store *st = setup("future");
	st_free(st);
	tdb_exec(&db,
	    "INSERT INTO schema_migrations (version, name, applied_ms) VALUES (999, 'x', 0)",
	    "INSERT INTO schema_migrations (version, name, applied_ms) VALUES (999, 'x', 0)");
	char err[ST_ERRMSG_MAX];
	st = NULL;
	XT_ERR(st_open(db.target, &st, err, sizeof(err)), TC_ESCHEMA);
	cr_assert_null(st);
	cr_assert(strstr(err, "999") != NULL && strstr(err, "newer") != NULL, "message: %s", err);
	cr_assert(strchr(err, '\n') == NULL, "one line: %s", err);
	tdb_fini(&db);
}

/* ---- bad input at open -------------------------------------------------- */

Test(SUITE(open), unreachable_postgres_is_a_clear_error)
{
	struct st_store *st = NULL;
	char err[ST_ERRMSG_MAX];
	struct st_options o = {.connect_timeout_s = 2};
	XT_ERR(
	    st_open_ex("postgresql://tandem:secret@127.0.0.1:1/tandem", &o, &st, err, sizeof(err)),
	    TC_ECONNREFUSED);
	cr_assert_null(st);
	cr_assert(strstr(err, "127.0.0.1:1") != NULL, "names the server: %s", err);
	cr_assert(strstr(err, "secret") == NULL, "never prints the password: %s", err);
	cr_assert(strstr(err, "start the server") != NULL, "says what to do: %s", err);
}

Test(SUITE(open), malformed_postgres_url_is_rejected)
{
	struct st_store *st = NULL;
	char err[ST_ERRMSG_MAX];
	XT_ERR(st_open("postgresql://host:notaport:x/db?foo", &st, err, sizeof(err)), TC_EINVAL);
	cr_assert_null(st);
	cr_assert(err[0] != '\0');
}

#ifdef ST_TEST_PG
Test(SUITE(open), missing_database_is_named)
{
	xt_require(tdb_available(TDB_PG), "TANDEM_PG_URL is not set");
	char url[1024], err[ST_ERRMSG_MAX];
	tdb_pg_url_for(getenv("TANDEM_PG_URL"), "no_such_db_here", url, sizeof(url));
	struct st_store *st = NULL;
	XT_ERR(st_open(url, &st, err, sizeof(err)), TC_ENOENT);
	cr_assert(strstr(err, "no_such_db_here") != NULL, "message: %s", err);
}
#else
Test(SUITE(open), unwritable_data_dir_is_a_clear_error)
{
	char *dir = xt_tmpdir("ro");
	char path[1024];
	snprintf(path, sizeof(path), "%s/data/tandem.db", dir);
	cr_assert_eq(chmod(dir, 0555), 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		/* root writes anywhere: drop to nobody to meet the permission check */
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(90);
		struct st_store *st = NULL;
		char err[ST_ERRMSG_MAX];
		enum tc_err rv = st_open(path, &st, err, sizeof(err));
		int ok = rv == TC_EPERM && st == NULL && strstr(err, "data directory") != NULL &&
		         strstr(err, "ermission") != NULL;
		if (!ok)
			fprintf(stderr, "got %s: %s\n", tc_errname(rv), err);
		_exit(ok ? 0 : 1);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	chmod(dir, 0700);
	xt_rmtree(dir);
	free(dir);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
}

Test(SUITE(open), corrupt_sqlite_file_is_a_clear_error)
{
	char *dir = xt_tmpdir("corrupt");
	char path[1024];
	snprintf(path, sizeof(path), "%s/tandem.db", dir);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	for (int i = 0; i < 512; i++)
		fputs("this is not a database ", f);
	fclose(f);
	struct st_store *st = NULL;
	char err[ST_ERRMSG_MAX];
	XT_ERR(st_open(path, &st, err, sizeof(err)), TC_ECORRUPT);
	cr_assert_null(st);
	cr_assert(strstr(err, path) != NULL && strstr(err, "backup") != NULL, "message: %s", err);
	xt_rmtree(dir);
	free(dir);
}

Test(SUITE(open), locked_sqlite_file_is_a_clear_error)
{
	char *dir = xt_tmpdir("locked");
	char path[1024];
	snprintf(path, sizeof(path), "%s/tandem.db", dir);
	sqlite3 *other = NULL;
	cr_assert_eq(sqlite3_open(path, &other), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(other,
	                 "CREATE TABLE t (x); PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; "
	                 "INSERT INTO t VALUES (1);",
	                 NULL, NULL, NULL),
	    SQLITE_OK);
	struct st_store *st = NULL;
	char err[ST_ERRMSG_MAX];
	struct st_options o = {.busy_timeout_ms = 100};
	XT_ERR(st_open_ex(path, &o, &st, err, sizeof(err)), TC_EBUSY);
	cr_assert_null(st);
	cr_assert(strstr(err, "locked") != NULL, "message: %s", err);
	sqlite3_close(other);
	XT_OK(st_open(path, &st, err, sizeof(err)));
	st_free(st);
	xt_rmtree(dir);
	free(dir);
}
#endif

/* ---- rooms, problems, submissions --------------------------------------- */

static void
seed(struct st_store *st)
{
	struct st_problem p = {
	    .id = "two-sum", .title = "Two Sum", .time_limit_ms = 2000, .mem_limit_mb = 256};
	XT_OK(st_problem_put(st, &p));
	XT_OK(st_user_put(st, "ada", "Ada"));
	XT_OK(st_user_put(st, "bob", "Bob"));
	XT_OK(st_room_create(st, "r1", "two-sum"));
}

static struct st_submission
submission(const char *id, int attempt)
{
	struct st_submission s = {.attempt = attempt};
	snprintf(s.id, sizeof(s.id), "%s", id);
	snprintf(s.room_id, sizeof(s.room_id), "r1");
	snprintf(s.user_id, sizeof(s.user_id), "ada");
	snprintf(s.problem_id, sizeof(s.problem_id), "two-sum");
	snprintf(s.lang, sizeof(s.lang), "python");
	memset(s.code_key, 'a', ST_KEY_MAX);
	return s;
}

Test(SUITE(rooms), members_and_roles_round_trip)
{
	struct st_store *st = setup("rooms");
	seed(st);
	XT_ERR(st_room_create(st, "r1", NULL), TC_EEXIST);
	XT_ERR(st_room_create(st, "r2", "no-such-problem"), TC_ENOENT);
	XT_OK(st_member_set(st, "r1", "ada", ST_ROLE_OWNER));
	XT_OK(st_member_set(st, "r1", "bob", ST_ROLE_VIEWER));
	XT_OK(st_member_set(st, "r1", "bob", ST_ROLE_EDITOR));
	XT_ERR(st_member_set(st, "r1", "nobody", ST_ROLE_EDITOR), TC_ENOENT);
	struct st_member m[4];
	size_t n = 0;
	XT_OK(st_members_list(st, "r1", m, 4, &n));
	cr_assert_eq(n, 2);
	cr_assert_str_eq(m[0].user_id, "ada");
	cr_assert_eq(m[0].role, ST_ROLE_OWNER);
	cr_assert_eq(m[1].role, ST_ROLE_EDITOR);
	struct st_room r;
	XT_OK(st_room_get(st, "r1", &r));
	cr_assert_str_eq(r.problem_id, "two-sum");
	XT_ERR(st_room_get(st, "zz", &r), TC_ENOENT);
	XT_ERR(st_room_get(st, "bad id!", &r), TC_EINVAL);

	struct st_asset a = {.name = "tests/1.in", .hidden = true};
	memset(a.blob_key, 'b', ST_KEY_MAX);
	XT_OK(st_asset_put(st, "two-sum", &a));
	struct st_asset got[2];
	XT_OK(st_assets_list(st, "two-sum", got, 2, &n));
	cr_assert_eq(n, 1);
	cr_assert(got[0].hidden);
	cr_assert_str_eq(got[0].blob_key, a.blob_key);
	teardown(st);
}

Test(SUITE(submissions), duplicate_verdict_is_rejected)
{
	struct st_store *st = setup("verdict");
	seed(st);
	struct st_submission s = submission("s1", 1);
	XT_OK(st_submission_create(st, &s));
	XT_ERR(st_submission_create(st, &s), TC_EEXIST);
	struct st_submission s2 = submission("s2", 1);
	XT_ERR(st_submission_create(st, &s2), TC_EEXIST); /* same attempt number */
	XT_OK(st_submission_start(st, "s1", 0));

	struct st_verdict v = {.status = "ACCEPTED", .passed = 5, .total = 5, .time_ms = 31};
	memset(v.result_key, 'c', ST_KEY_MAX);
	XT_OK(st_submission_finish(st, "s1", &v));
	struct st_verdict v2 = {.status = "WRONG_ANSWER", .passed = 1, .total = 5};
	XT_ERR(st_submission_finish(st, "s1", &v2), TC_EEXIST);
	XT_ERR(st_submission_start(st, "s1", 0), TC_ESTATE);
	XT_ERR(st_submission_finish(st, "nope", &v2), TC_ENOENT);

	struct st_submission got;
	XT_OK(st_submission_get(st, "s1", &got));
	cr_assert_eq(got.status, ST_SUB_DONE);
	cr_assert(got.has_verdict);
	cr_assert_str_eq(got.verdict.status, "ACCEPTED");
	cr_assert_eq(got.verdict.passed, 5);
	cr_assert_str_eq(got.verdict.result_key, v.result_key);
	cr_assert_str_eq(got.verdict.stdout_key, "");
	cr_assert(got.started_ms > 0);
	teardown(st);
}

Test(SUITE(submissions), verdict_is_unique_in_the_schema)
{
	struct st_store *st = setup("schemaverdict");
	seed(st);
	struct st_submission s = submission("s1", 1);
	XT_OK(st_submission_create(st, &s));
	struct st_verdict v = {.status = "ACCEPTED"};
	XT_OK(st_submission_finish(st, "s1", &v));
	st_free(st);
	/* Even a writer that bypasses the store cannot add a second verdict. */
	const char *sql = "INSERT INTO verdicts (submission_id, status, passed, total, time_ms, "
	                  "finished_ms) VALUES ('s1', 'TIMEOUT', 0, 0, 0, 0)";
	cr_assert(!tdb_try_exec(&db, sql, sql), "a second verdict row was accepted");
	tdb_fini(&db);
}

/* ---- events ------------------------------------------------------------- */

Test(SUITE(events), explicit_seqs_are_checked)
{
	struct st_store *st = setup("seq");
	struct st_event e[3] = {
	    ev(ST_EV_YJS, 1, "a"), ev(ST_EV_CHAT, 2, "b"), ev(ST_EV_YJS, 3, "c")};
	for (int i = 0; i < 3; i++)
		e[i].seq = (uint64_t)i + 1;
	XT_OK(st_events_append(st, "room-a", e, 3));
	XT_ERR(st_events_append(st, "room-a", e, 3), TC_EEXIST); /* a retried batch */
	e[0].seq = 5;
	XT_ERR(st_events_append(st, "room-a", e, 1), TC_ESTATE); /* a gap */
	e[0].seq = 4;
	XT_OK(st_events_append(st, "room-a", e, 1));
	e[0].seq = 5;
	e[1].seq = 7;
	XT_ERR(st_events_append(st, "room-a", e, 2), TC_EINVAL); /* not consecutive */
	uint64_t last = 0;
	XT_OK(st_events_last_seq(st, "room-a", &last));
	cr_assert_eq(last, 4);
	XT_OK(st_events_last_seq(st, "room-b", &last));
	cr_assert_eq(last, 0);
	teardown(st);
}

Test(SUITE(events), timeline_range_reads_in_order)
{
	struct st_store *st = setup("range");
	char text[100][32];
	struct st_event e[10];
	for (int b = 0; b < 10; b++) {
		for (int i = 0; i < 10; i++) {
			int k = b * 10 + i;
			snprintf(text[k], sizeof(text[k]), "event %d", k + 1);
			e[i] = ev(k % 7 == 3 ? ST_EV_CHAT : ST_EV_YJS, 1000 + k * 13, text[k]);
		}
		XT_OK(st_events_append(st, "r", e, 10));
		cr_assert_eq(e[0].seq, (uint64_t)b * 10 + 1);
		if (b == 3 || b == 7)
			XT_OK(st_events_compact(st, "r", NULL)); /* a mix of chunks and rows */
	}
	struct st_timeline *tl = NULL;
	XT_OK(st_timeline_read(st, "r", 25, 60, &tl));
	cr_assert_eq(tl->n, 36);
	for (size_t i = 0; i < tl->n; i++) {
		uint64_t seq = 25 + i;
		int k = (int)seq - 1;
		cr_assert_eq(tl->ev[i].seq, seq);
		cr_assert_eq(tl->ev[i].ts_ms, 1000 + k * 13);
		cr_assert_eq(tl->ev[i].type, k % 7 == 3 ? ST_EV_CHAT : ST_EV_YJS);
		cr_assert_eq(tl->ev[i].len, strlen(text[k]));
		cr_assert(memcmp(tl->ev[i].payload, text[k], tl->ev[i].len) == 0);
	}
	cr_assert_eq(tl->nbad, 0);
	st_timeline_free(tl);
	XT_OK(st_timeline_read(st, "r", 95, 1000, &tl));
	cr_assert_eq(tl->n, 6);
	st_timeline_free(tl);
	XT_OK(st_timeline_read(st, "other", 1, 1000, &tl));
	cr_assert_eq(tl->n, 0);
	st_timeline_free(tl);
	XT_ERR(st_timeline_read(st, "r", 9, 3, &tl), TC_EINVAL);
	cr_assert_null(tl);
	teardown(st);
}

Test(SUITE(events), corrupt_chunk_is_reported_and_the_rest_reads)
{
	struct st_store *st = setup("corruptchunk");
	char text[30][32];
	struct st_event e[10];
	for (int b = 0; b < 3; b++) {
		for (int i = 0; i < 10; i++) {
			int k = b * 10 + i;
			snprintf(text[k], sizeof(text[k]), "update %d", k + 1);
			e[i] = ev(i == 4 ? ST_EV_CHAT : ST_EV_YJS, k, text[k]);
		}
		XT_OK(st_events_append(st, "r", e, 10));
		size_t packed = 0;
		XT_OK(st_events_compact(st, "r", &packed));
		cr_assert_eq(packed, 9);
	}
	/* Damage the middle batch's chunk (seqs 11..20, chat 15 is a row). */
	tdb_exec(&db,
	    "UPDATE event_chunks SET data = substr(data, 1, length(data) - 3) "
	    "WHERE room_id = 'r' AND first_seq = 11",
	    "UPDATE event_chunks SET data = substring(data from 1 for length(data) - 3) "
	    "WHERE room_id = 'r' AND first_seq = 11");
	struct st_timeline *tl = NULL;
	XT_ERR(st_timeline_read(st, "r", 1, 30, &tl), TC_ECORRUPT);
	cr_assert_not_null(tl);
	cr_assert_eq(tl->nbad, 1);
	cr_assert_eq(tl->bad[0].first_seq, 11);
	cr_assert_eq(tl->bad[0].last_seq, 20);
	cr_assert(
	    strstr(tl->msg, "corrupt") != NULL && strstr(tl->msg, "11..20") != NULL, "%s", tl->msg);
	cr_assert_eq(tl->n, 21); /* 1..10, chat 15, 21..30 */
	for (size_t i = 0; i < tl->n; i++) {
		uint64_t seq = tl->ev[i].seq;
		cr_assert(seq <= 10 || seq == 15 || seq >= 21, "seq %llu", (unsigned long long)seq);
		cr_assert(memcmp(tl->ev[i].payload, text[seq - 1], tl->ev[i].len) == 0);
	}
	st_timeline_free(tl);
	char msg[ST_ERRMSG_MAX];
	st_last_error(st, msg, sizeof(msg));
	cr_assert(strstr(msg, "corrupt") != NULL, "%s", msg);
	teardown(st);
}

Test(SUITE(events), compaction_keeps_the_timeline)
{
	struct st_store *st = setup("compact");
	char text[300][32];
	for (int k = 0; k < 300; k++) {
		snprintf(text[k], sizeof(text[k]), "keystroke %d", k);
		struct st_event e = ev(k % 10 == 9 ? ST_EV_CHAT : ST_EV_YJS, k, text[k]);
		XT_OK(st_events_append(st, "r", &e, 1));
	}
	/* A big batch goes straight into a chunk. */
	struct st_event big[100];
	for (int i = 0; i < 100; i++)
		big[i] = ev(ST_EV_YJS, 300 + i, "paste");
	XT_OK(st_events_append(st, "r", big, 100));
	struct st_timeline *before = NULL, *after = NULL;
	XT_OK(st_timeline_read(st, "r", 1, 400, &before));
	size_t packed = 0;
	XT_OK(st_events_compact(st, "r", &packed));
	cr_assert_eq(packed, 270);
	XT_OK(st_events_compact(st, "r", &packed));
	cr_assert_eq(packed, 0);
	XT_OK(st_timeline_read(st, "r", 1, 400, &after));
	cr_assert_eq(before->n, 400);
	cr_assert_eq(after->n, 400);
	for (size_t i = 0; i < 400; i++) {
		cr_assert_eq(after->ev[i].seq, i + 1);
		cr_assert_eq(after->ev[i].seq, before->ev[i].seq);
		cr_assert_eq(after->ev[i].ts_ms, before->ev[i].ts_ms);
		cr_assert_eq(after->ev[i].type, before->ev[i].type);
		cr_assert_eq(after->ev[i].len, before->ev[i].len);
		cr_assert(
		    memcmp(after->ev[i].payload, before->ev[i].payload, after->ev[i].len) == 0);
	}
	cr_assert(after->stored_bytes < before->stored_bytes, "compaction saves space");
	st_timeline_free(before);
	st_timeline_free(after);
	teardown(st);
}

#define NTHREADS 6
#define NROOMS 4
#define NBATCHES 30

struct writer {
	int id;
	const char *target;
	int appended[NROOMS];
	enum tc_err rv;
};

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	struct st_store *st = NULL;
	char err[ST_ERRMSG_MAX];
	w->rv = st_open(w->target, &st, err, sizeof(err));
	if (w->rv != TC_OK)
		return NULL;
	char text[8][32];
	struct st_event e[8];
	for (int b = 0; b < NBATCHES && w->rv == TC_OK; b++) {
		int room = (w->id + b) % NROOMS, n = 1 + (w->id + b) % 8;
		char rname[16];
		snprintf(rname, sizeof(rname), "room%d", room);
		for (int i = 0; i < n; i++) {
			snprintf(text[i], sizeof(text[i]), "w%d-%d", w->id, w->appended[room] + i);
			e[i] = ev(i % 3 == 0 ? ST_EV_CHAT : ST_EV_YJS, b, text[i]);
		}
		w->rv = st_events_append(st, rname, e, (size_t)n);
		if (w->rv == TC_OK)
			w->appended[room] += n;
	}
	st_free(st);
	return NULL;
}

Test(SUITE(events), concurrent_appends_keep_seqs_gap_free, .timeout = 120)
{
	struct st_store *st = setup("concurrent");
	struct writer w[NTHREADS];
	pthread_t th[NTHREADS];
	for (int i = 0; i < NTHREADS; i++) {
		w[i] = (struct writer){.id = i, .target = db.target};
		cr_assert_eq(pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		XT_OK(w[i].rv);
	}
	for (int r = 0; r < NROOMS; r++) {
		char rname[16];
		snprintf(rname, sizeof(rname), "room%d", r);
		size_t total = 0;
		for (int i = 0; i < NTHREADS; i++)
			total += (size_t)w[i].appended[r];
		uint64_t last = 0;
		XT_OK(st_events_last_seq(st, rname, &last));
		cr_assert_eq(last, total, "room %d: last seq %llu, appended %zu", r,
		    (unsigned long long)last, total);
		struct st_timeline *tl = NULL;
		XT_OK(st_timeline_read(st, rname, 1, UINT64_MAX, &tl));
		cr_assert_eq(tl->n, total);
		int next[NTHREADS] = {0};
		for (size_t i = 0; i < tl->n; i++) {
			cr_assert_eq(tl->ev[i].seq, i + 1, "gap in room %d", r);
			int wid = -1, k = -1;
			char buf[32];
			snprintf(buf, sizeof(buf), "%.*s", (int)tl->ev[i].len, tl->ev[i].payload);
			cr_assert_eq(sscanf(buf, "w%d-%d", &wid, &k), 2);
			cr_assert_eq(k, next[wid], "writer %d's events out of order", wid);
			next[wid]++;
		}
		st_timeline_free(tl);
	}
	teardown(st);
}

Test(SUITE(events), bad_arguments_are_rejected)
{
	struct st_store *st = setup("badargs");
	struct st_event e = ev(ST_EV_YJS, 1, "x");
	XT_ERR(st_events_append(st, "", &e, 1), TC_EINVAL);
	XT_ERR(st_events_append(st, "r", &e, 0), TC_EINVAL);
	e.type = 0;
	XT_ERR(st_events_append(st, "r", &e, 1), TC_EINVAL);
	e = ev(ST_EV_YJS, 1, "x");
	e.len = ST_EVENT_PAYLOAD_MAX + 1;
	XT_ERR(st_events_append(st, "r", &e, 1), TC_EINVAL);
	char longid[ST_ID_MAX + 2];
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	e = ev(ST_EV_YJS, 1, "x");
	XT_ERR(st_events_append(st, longid, &e, 1), TC_EINVAL);
	XT_ERR(st_user_put(st, "ada'; DROP TABLE users; --", "x"), TC_EINVAL);
	teardown(st);
}
