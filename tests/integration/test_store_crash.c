/*
 * test_store_crash.c - durability: a child process appends events and
 * prints each acknowledged seq; it is killed with SIGKILL at random
 * points, the store is reopened, and every acknowledged event must be
 * there, in order, without gaps.  Compiled for SQLite (suite integration)
 * and PostgreSQL (suite pg, with -DST_TEST_PG), where it also restarts
 * the server under a live store handle and checks that nothing is lost.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "testdb.h"
#include "xt.h"

#ifdef ST_TEST_PG
#define SUITE store_pg_crash
#else
#define SUITE store_crash
#endif

/* run_child starts the child and reads acks until it has seen want of
 * them, then kills it; returns the highest acknowledged seq. */
static uint64_t
run_child(const char *target, const char *room, unsigned seed, int want)
{
	char exe[1024], seedtxt[16];
	snprintf(exe, sizeof(exe), "%s/tests/integration/store_crash_child", xt_build_root());
	snprintf(seedtxt, sizeof(seedtxt), "%u", seed);
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl(exe, exe, target, room, seedtxt, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	FILE *f = fdopen(fds[0], "r");
	char line[128];
	uint64_t acked = 0;
	int seen = 0;
	while (seen < want && fgets(line, sizeof(line), f) != NULL) {
		unsigned long long seq;
		if (sscanf(line, "ack %llu", &seq) == 1) {
			cr_assert(seq > acked, "acks increase");
			acked = seq;
			seen++;
		}
	}
	kill(pid, SIGKILL);
	int status = 0;
	waitpid(pid, &status, 0);
	fclose(f);
	cr_assert_eq(seen, want, "the child stopped early (status %d)", status);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	return acked;
}

static void
check_timeline(struct st_store *st, const char *room, uint64_t acked)
{
	uint64_t last = 0;
	XT_OK(st_events_last_seq(st, room, &last));
	cr_assert(last >= acked, "acknowledged %llu but only %llu stored",
	    (unsigned long long)acked, (unsigned long long)last);
	struct st_timeline *tl = NULL;
	XT_OK(st_timeline_read(st, room, 1, last, &tl));
	cr_assert_eq(tl->n, last);
	for (size_t i = 0; i < tl->n; i++) {
		char want[64];
		uint64_t seq = i + 1;
		snprintf(
		    want, sizeof(want), "event %llu of the crash test", (unsigned long long)seq);
		cr_assert_eq(tl->ev[i].seq, seq);
		cr_assert_eq(tl->ev[i].len, strlen(want));
		cr_assert(memcmp(tl->ev[i].payload, want, tl->ev[i].len) == 0);
	}
	st_timeline_free(tl);
}

Test(SUITE, sigkill_loses_no_acknowledged_event, .timeout = 300)
{
	xt_require(tdb_available(TDB_DEFAULT),
	    "TANDEM_PG_URL is not set: tools/lib/pg.sh starts a PostgreSQL server for this suite");
	struct tdb db;
	tdb_init(&db, TDB_DEFAULT, "crash");
	unsigned seed = (unsigned)time(NULL);
	srand(seed);
	cr_log_info("seed %u", seed);
	uint64_t acked = 0;
	for (int round = 0; round < 6; round++) {
		int want = 1 + rand() % 40;
		uint64_t a = run_child(db.target, "crashroom", seed + (unsigned)round, want);
		cr_assert(a > acked);
		acked = a;
		struct st_store *st = NULL;
		char err[ST_ERRMSG_MAX];
		enum tc_err rv = st_open(db.target, &st, err, sizeof(err));
		cr_assert(rv == TC_OK, "reopen after SIGKILL: %s", err);
		check_timeline(st, "crashroom", acked);
		st_free(st);
	}
	tdb_fini(&db);
}

#ifdef ST_TEST_PG
static struct st_event
crash_event(uint64_t seq, char *buf, size_t cap)
{
	snprintf(buf, cap, "event %llu of the crash test", (unsigned long long)seq);
	return (struct st_event){.seq = seq,
	    .ts_ms = (int64_t)seq,
	    .type = ST_EV_YJS,
	    .len = (uint32_t)strlen(buf),
	    .payload = (const uint8_t *)buf};
}

Test(SUITE, server_restart_is_survived, .timeout = 300)
{
	xt_require(tdb_pg_ctl_available(),
	    "needs the cluster from tools/lib/pg.sh (TANDEM_PG_URL, TANDEM_PG_DIR, TANDEM_PG_BIN)");
	struct tdb db;
	tdb_init(&db, TDB_PG, "restart");
	struct st_store *st = NULL;
	char err[ST_ERRMSG_MAX], text[64];
	XT_OK(st_open(db.target, &st, err, sizeof(err)));
	uint64_t seq = 0;
	for (int i = 0; i < 10; i++) {
		struct st_event e = crash_event(++seq, text, sizeof(text));
		XT_OK(st_events_append(st, "r", &e, 1));
	}
	/* Restart under the open handle: the next call reconnects. */
	tdb_pg_ctl("restart");
	for (int i = 0; i < 10; i++) {
		struct st_event e = crash_event(++seq, text, sizeof(text));
		XT_OK(st_events_append(st, "r", &e, 1));
	}
	/* While the server is down, calls fail with a clear error... */
	tdb_pg_ctl("stop");
	struct st_event e = crash_event(seq + 1, text, sizeof(text));
	XT_ERR(st_events_append(st, "r", &e, 1), TC_ECONNREFUSED);
	st_last_error(st, err, sizeof(err));
	cr_assert(strstr(err, "PostgreSQL") != NULL, "message: %s", err);
	/* ...and succeed once it is back, with nothing lost or doubled. */
	tdb_pg_ctl("start");
	XT_OK(st_events_append(st, "r", &e, 1));
	seq++;
	check_timeline(st, "r", seq);
	st_free(st);
	tdb_fini(&db);
}
#endif
