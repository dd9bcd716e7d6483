/*
 * Lanes (ADR-0026): one submission's tests in two zygote boxes at once.
 * The result is the one a single lane gives, each test's CPU time is its
 * own box's, the lanes share no /tmp; and the judge's rule that an output
 * equal to the expected one needs no checker, with the problem check that
 * keeps that rule sound; the next submission's zygotes, started after the
 * verdict (or not, for a worker that judges once).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox/judge.h"
#include "sbx_priv.h"
#include "sbx_test.h"
#include "xt.h"

/* A worker with exactly `lanes` lanes, whatever the host's CPU count. */
static struct sbx_worker *
worker_with(unsigned lanes)
{
	setenv("SANDBOX_LANES", lanes == 1 ? "1" : "2", 1);
	struct sbx_worker *w = NULL;
	XT_OK(sbx_worker_new(SBX_LEVEL_FULL, 7, &w));
	unsetenv("SANDBOX_LANES");
	cr_assert_eq(w->lanes, lanes);
	return w;
}

/* The options these tests judge with: the tests only, no probe or search. */
static void
tests_only(struct sbx_judge_opts *o)
{
	sbx_judge_opts_init(o);
	o->probe = false;
	o->counterexample = false;
}

static void
judge(struct sbx_worker *w, const struct sbx_problem *p, const char *code, struct sbx_result *r)
{
	struct sbx_judge_opts o;
	tests_only(&o);
	XT_OK(sbx_judge_run(w, p, code, strlen(code), &o, r));
	cr_assert(sbx_worker_clean(w), "nothing of the run survives");
}

static bool
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* Wrong on t2, slow but in time on t3, endless on t4. */
static const char mixed_code[] = "class Solution:\n"
                                 "    def add(self, a, b):\n"
                                 "        if a == 2:\n"
                                 "            return -1\n"
                                 "        if a == 3:\n"
                                 "            x = 0\n"
                                 "            for i in range(1000000):\n"
                                 "                x += i\n"
                                 "        if a == 4:\n"
                                 "            while True:\n"
                                 "                pass\n"
                                 "        return a + b\n";

Test(sandbox_lanes, two_lanes_give_the_result_one_lane_gives, .timeout = 240)
{
	need_full();
	struct sbx_problem *p = load("tests/data/sandbox/lanes");
	struct sbx_result r[2];
	for (unsigned k = 0; k < 2; k++) {
		struct sbx_worker *w = worker_with(k + 1);
		judge(w, p, mixed_code, &r[k]);
		sbx_worker_free(w);
	}
	for (unsigned k = 0; k < 2; k++) {
		struct sbx_result *x = &r[k];
		cr_assert_eq(
		    x->status, SBX_WRONG_ANSWER, "lanes=%u: %s", k + 1, sbx_status_name(x->status));
		cr_assert_eq(x->ntests, 10);
		cr_assert_eq(x->passed, 3, "t0, t1 and t3 pass");
		static const enum sbx_status want[10] = {SBX_ACCEPTED, SBX_ACCEPTED,
		    SBX_WRONG_ANSWER, SBX_ACCEPTED, SBX_TIMEOUT, SBX_SKIPPED, SBX_SKIPPED,
		    SBX_SKIPPED, SBX_SKIPPED, SBX_SKIPPED};
		for (unsigned i = 0; i < 10; i++) {
			const struct sbx_test_result *t = &x->tests[i];
			cr_assert_eq(t->status, want[i], "lanes=%u test %s: %s", k + 1, t->name,
			    sbx_status_name(t->status));
			if (i >= 5) {
				/* Even a test the second lane had started. */
				cr_assert_str_eq(
				    t->message, "not run after an earlier limit was exceeded");
				cr_assert_eq(t->time_ms, 0);
				cr_assert_null(t->stdout_x);
			}
		}
		/* Each box's cgroup counts its own test: the endless loop's CPU
		 * (until its limit) never lands on the slow test beside it.  A
		 * comparison of the two, not a threshold on this host's speed. */
		cr_assert_lt(x->tests[3].time_ms, x->tests[4].time_ms / 2, "lanes=%u: %u ms", k + 1,
		    x->tests[3].time_ms);
	}
	cr_assert_str_eq(r[0].message, r[1].message);
	for (unsigned i = 0; i < 10; i++) {
		cr_assert_eq(r[0].tests[i].status, r[1].tests[i].status);
		cr_assert(same(r[0].tests[i].message, r[1].tests[i].message), "test %u", i);
		cr_assert(same(r[0].tests[i].actual, r[1].tests[i].actual), "test %u", i);
	}
	sbx_result_fini(&r[0]);
	sbx_result_fini(&r[1]);
	sbx_problem_free(p);
}

/* Each test prints how many tests ran before it in its box. */
static const char count_code[] = "import os\n"
                                 "class Solution:\n"
                                 "    def add(self, a, b):\n"
                                 "        print(len(os.listdir('/tmp')))\n"
                                 "        open('/tmp/t%d' % a, 'w').close()\n"
                                 "        return a + b\n";

/* The test printed 0: no test ran before it in its box. */
static bool
ran_first(const struct sbx_test_result *t)
{
	return t->stdout_x && strcmp(t->stdout_x, "0\n") == 0;
}

static unsigned
first_in_box(const struct sbx_result *r)
{
	unsigned n = 0;
	for (size_t i = 0; i < r->ntests; i++) {
		cr_assert_eq(r->tests[i].status, SBX_ACCEPTED);
		n += ran_first(&r->tests[i]);
	}
	return n;
}

Test(sandbox_lanes, each_lane_is_a_box_of_its_own, .timeout = 240)
{
	need_full();
	struct sbx_problem *p = load("tests/data/sandbox/lanes");
	struct sbx_result r;
	struct sbx_worker *w = worker_with(1);
	judge(w, p, count_code, &r);
	cr_assert_eq(first_in_box(&r), 1, "one lane: one box, one /tmp");
	sbx_result_fini(&r);
	sbx_worker_free(w);

	w = worker_with(2);
	judge(w, p, count_code, &r);
	cr_assert_eq(r.status, SBX_ACCEPTED);
	cr_assert_eq(first_in_box(&r), 2, "two lanes: two boxes, each with its own /tmp");
	sbx_result_fini(&r);
	/* The second lane's warm zygote is back for the next submission. */
	pid_t pids[SBX_WARM_N];
	cr_assert_eq(sbx__warm_pids(w, pids), SBX_WARM_N);
	sbx_worker_free(w);
	sbx_problem_free(p);
}

/* What o->on_test saw. */
struct seen {
	atomic_int inside;
	bool overlap, in_order;
	unsigned calls, last, total;
};

static void
saw_test(void *arg, unsigned done, unsigned total)
{
	struct seen *s = arg;
	if (atomic_fetch_add(&s->inside, 1) != 0)
		s->overlap = true;
	s->in_order = s->in_order && done == s->last + 1;
	s->calls++;
	s->last = done;
	s->total = total;
	atomic_fetch_sub(&s->inside, 1);
}

Test(sandbox_lanes, each_test_is_reported_as_it_ends, .timeout = 240)
{
	need_full();
	struct sbx_problem *p = load("tests/data/sandbox/lanes");
	for (unsigned lanes = 1; lanes <= 2; lanes++) {
		/* Every test, one call at a time, counting up to the total. */
		struct sbx_worker *w = worker_with(lanes);
		struct seen s = {.in_order = true};
		struct sbx_judge_opts o;
		tests_only(&o);
		o.on_test = saw_test;
		o.on_test_arg = &s;
		struct sbx_result r;
		XT_OK(sbx_judge_run(w, p, count_code, strlen(count_code), &o, &r));
		cr_assert_eq(r.status, SBX_ACCEPTED);
		cr_assert_eq(s.calls, r.ntests, "lanes=%u", lanes);
		cr_assert(s.in_order && !s.overlap, "lanes=%u", lanes);
		cr_assert_eq(s.total, r.ntests);
		sbx_result_fini(&r);
		/* A run that stops at a limit reports the tests that ended: with one
		 * lane, t0..t4 (t4 times out); with two, also those the other lane
		 * ran while t4 used up its time (reported SKIPPED in the result). */
		s = (struct seen){.in_order = true};
		XT_OK(sbx_judge_run(w, p, mixed_code, strlen(mixed_code), &o, &r));
		cr_assert_eq(r.status, SBX_WRONG_ANSWER);
		cr_assert(s.in_order && !s.overlap);
		cr_assert(lanes == 1 ? s.calls == 5 : s.calls >= 5 && s.calls <= r.ntests,
		    "lanes=%u: %u", lanes, s.calls);
		sbx_result_fini(&r);
		sbx_worker_free(w);
	}
	sbx_problem_free(p);
}

/* Each test prints how many tests ran before it in its box; the answer is
 * wrong, which ends nothing. */
static const char two_sum_count_code[] = "import os\n"
                                         "class Solution:\n"
                                         "    def twoSum(self, nums, target):\n"
                                         "        print(len(os.listdir('/tmp')))\n"
                                         "        open('/tmp/t%d' % len(nums), 'w').close()\n"
                                         "        return []\n";

Test(sandbox_lanes, large_tests_start_first_with_two_lanes, .timeout = 240)
{
	need_full();
	struct sbx_problem *p = load("sandbox/problems/two-sum");
	/* With two lanes each starts with a large test, the largest in lane 0:
	 * a large test started last would leave the other lane idle while it
	 * runs.  With one lane, file order. */
	static const struct {
		unsigned lanes;
		const char *first[2];
	} want[] = {{2, {"large-pair-at-end", "large-random"}}, {1, {"example-1", NULL}}};
	for (size_t c = 0; c < sizeof(want) / sizeof(want[0]); c++) {
		struct sbx_worker *w = worker_with(want[c].lanes);
		struct sbx_result r;
		judge(w, p, two_sum_count_code, &r);
		cr_assert_eq(r.status, SBX_WRONG_ANSWER);
		for (size_t i = 0; i < r.ntests; i++) {
			const struct sbx_test_result *t = &r.tests[i];
			bool named = false;
			for (size_t k = 0; k < 2 && want[c].first[k] != NULL; k++)
				named = named || strcmp(t->name, want[c].first[k]) == 0;
			cr_assert_eq(ran_first(t), named, "lanes=%u: %s printed %s", want[c].lanes,
			    t->name, t->stdout_x ? t->stdout_x : "-");
		}
		sbx_result_fini(&r);
		sbx_worker_free(w);
	}
	sbx_problem_free(p);
}

Test(sandbox_lanes, an_output_equal_to_the_expected_one_needs_no_checker, .timeout = 240)
{
	need_full();
	struct sbx_problem *p = load("tests/data/sandbox/strict-checker");
	struct sbx_worker *w = worker_with(2);
	struct sbx_result r;
	judge(w, p, "class Solution:\n    def add(self, a, b):\n        return a + b\n", &r);
	cr_assert_eq(r.status, SBX_ACCEPTED, "%s", r.message ? r.message : "");
	sbx_result_fini(&r);
	/* Any other answer goes to the checker, which rejects everything. */
	judge(w, p, "class Solution:\n    def add(self, a, b):\n        return [a, b]\n", &r);
	cr_assert_eq(r.status, SBX_WRONG_ANSWER);
	sbx_result_fini(&r);
	/* The problem check refuses a checker that rejects an expected output. */
	char *text = NULL;
	size_t len = 0;
	FILE *report = open_memstream(&text, &len);
	cr_assert_not_null(report);
	cr_assert_eq(sbx_problem_check(w, p, report), TC_EPROTO);
	fclose(report);
	cr_assert_not_null(
	    strstr(text, "test small: the checker rejects the expected output"), "%s", text);
	cr_assert_not_null(
	    strstr(text, "test zeros: the checker rejects the expected output"), "%s", text);
	free(text);
	sbx_worker_free(w);
	sbx_problem_free(p);
}

Test(sandbox_lanes, the_next_zygotes_start_after_the_verdict_unless_told_not_to, .timeout = 240)
{
	need_full();
	struct sbx_problem *p = load("tests/data/sandbox/add");
	struct sbx_worker *w = worker_with(2);
	const char *code = "class Solution:\n    def add(self, a, b):\n        return a + b\n";
	struct sbx_judge_opts o;
	sbx_judge_opts_init(&o);
	o.probe = false;
	struct sbx_result r;
	XT_OK(sbx_judge_run(w, p, code, strlen(code), &o, &r));
	cr_assert_eq(r.status, SBX_ACCEPTED);
	sbx_result_fini(&r);
	/* Started in the background: settled means every one has booted. */
	XT_OK(sbx_worker_settle(w, 30000));
	pid_t pids[SBX_WARM_N];
	cr_assert_eq(sbx__warm_pids(w, pids), SBX_WARM_N);
	for (unsigned i = 0; i < SBX_WARM_N; i++)
		cr_assert(w->warm[i].booted, "warm zygote %u said it booted", i);
	/* A worker that judges once starts none. */
	o.prepare_next = false;
	XT_OK(sbx_judge_run(w, p, code, strlen(code), &o, &r));
	cr_assert_eq(r.status, SBX_ACCEPTED, "booted warm zygotes serve as before");
	sbx_result_fini(&r);
	XT_OK(sbx_worker_settle(w, 30000));
	cr_assert_eq(sbx__warm_pids(w, pids), 0, "no zygote waits for a next submission");
	cr_assert(sbx_worker_clean(w));
	sbx_worker_free(w);
	sbx_problem_free(p);
}
