/*
 * tandem bench judge - verdict latency of a correct Two Sum through the full
 * sandbox (warm zygotes, and zygotes started on use), beside (a) one fresh
 * unsandboxed python3.11 per test, (b) all tests in one unsandboxed
 * process (the floor) and (c) that process forking a child per test (what
 * the rule "a test's input reaches only its own process" costs on this
 * host, with no sandbox at all); submissions/s with two workers; the
 * probe's slope spread for an O(n) and an O(n^2) solution, and its slowest
 * judging.
 */
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/judge.h"
#include "tandem.h"

#define MAX_REPS 64

/* The drivers' shared parts: load the solution, loop over the test files,
 * and one test's work at the indentation ind. */
#define LOAD_AND_LOOP                                                          \
	"ns = {'__name__': 'solution'}\n"                                      \
	"exec(compile(open(sys.argv[1]).read(), 'solution.py', 'exec'), ns)\n" \
	"for path in sys.argv[2:]:\n"
#define ONE_TEST(ind)                         \
	ind "t = json.load(open(path))\n" ind \
	    "out = json.dumps(ns['Solution']().twoSum(*t['input']))\n"

static const char driver_py[] = "import json, sys\n" LOAD_AND_LOOP ONE_TEST("    ");

/* (c): the floor's work, each test in a child forked for it. */
/* clang-format off */
static const char fork_driver_py[] =
    "import json, os, sys\n"
    LOAD_AND_LOOP
    "    pid = os.fork()\n"
    "    if pid == 0:\n"
    ONE_TEST("        ")
    "        os._exit(0)\n"
    "    if os.waitpid(pid, 0)[1] != 0:\n"
    "        sys.exit(1)\n";
/* clang-format on */

static const char quadratic_py[] = "class Solution:\n"
                                   "    def twoSum(self, nums, target):\n"
                                   "        n = len(nums)\n"
                                   "        for i in range(n):\n"
                                   "            for j in range(i + 1, n):\n"
                                   "                if nums[i] + nums[j] == target:\n"
                                   "                    return [i, j]\n";

static double
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double
pct(double *v, int n, double p)
{
	qsort(v, (size_t)n, sizeof(double), cmp_d);
	int i = (int)ceil(p * n) - 1;
	return v[i < 0 ? 0 : i];
}

static int
run_python(char **argv)
{
	pid_t pid = fork();
	if (pid == 0) {
		execv("/usr/bin/python3.11", argv);
		_exit(127);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* Wait until every worker's background zygotes have booted. */
static void
settle(struct sbx_worker *const *ws)
{
	for (; *ws != NULL; ws++)
		sbx_worker_settle(*ws, 30000);
}

struct tests {
	char *paths[64];
	int n;
};

static int
cmp_s(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
list_tests(const char *dir, struct tests *t)
{
	static const char *const subs[] = {"public", "hidden"};
	for (int s = 0; s < 2; s++) {
		char d[1200];
		snprintf(d, sizeof(d), "%s/tests/%s", dir, subs[s]);
		DIR *dd = opendir(d);
		struct dirent *de;
		int first = t->n;
		while (dd && (de = readdir(dd)) != NULL && t->n < 64) {
			if (strstr(de->d_name, ".json") == NULL)
				continue;
			char p[1500];
			snprintf(p, sizeof(p), "%s/%s", d, de->d_name);
			t->paths[t->n++] = strdup(p);
		}
		if (dd)
			closedir(dd);
		qsort(t->paths + first, (size_t)(t->n - first), sizeof(char *), cmp_s);
	}
}

struct tput {
	const struct sbx_problem *p;
	const char *code;
	unsigned id;
	int count;
	int ok;
};

static void *
tput_main(void *arg)
{
	struct tput *t = arg;
	struct sbx_worker *w = NULL;
	if (sbx_worker_new(SBX_LEVEL_FULL, t->id, &w) != TC_OK)
		return NULL;
	struct sbx_judge_opts o;
	sbx_judge_opts_init(&o);
	o.probe = false;
	o.counterexample = false;
	for (int i = 0; i < t->count; i++) {
		struct sbx_result r;
		if (sbx_judge_run(w, t->p, t->code, strlen(t->code), &o, &r) == TC_OK &&
		    r.status == SBX_ACCEPTED)
			t->ok++;
		sbx_result_fini(&r);
	}
	sbx_worker_free(w);
	return NULL;
}

static void
slopes(struct sbx_worker *w, const struct sbx_problem *p, const char *code, int reps,
    const char *label)
{
	struct sbx_judge_opts o;
	sbx_judge_opts_init(&o);
	o.counterexample = false;
	printf("probe %-8s", label);
	double lo = INFINITY, hi = -INFINITY, wmax = 0;
	for (int i = 0; i < reps; i++) {
		struct sbx_result r;
		double t0 = now_ms();
		if (sbx_judge_run(w, p, code, strlen(code), &o, &r) != TC_OK)
			continue;
		double t = now_ms() - t0;
		wmax = fmax(wmax, t);
		if (r.probe.done && isfinite(r.probe.slope)) {
			printf(" %.2f(%s)", r.probe.slope, sbx_class_name(r.probe.cls));
			lo = fmin(lo, r.probe.slope);
			hi = fmax(hi, r.probe.slope);
		} else {
			printf(" -(%s)", r.probe.message ? r.probe.message : "no probe");
		}
		sbx_result_fini(&r);
	}
	printf("   spread %.2f, slowest judging with probe %.0f ms\n",
	    isfinite(hi - lo) ? hi - lo : NAN, wmax);
}

int
tandem_bench_judge(int argc, char **argv)
{
	int reps = 7, probe_reps = 5, tput_n = 4;
	const char *dir = "sandbox/problems/two-sum";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (strcmp(argv[i], "--probe-reps") == 0 && i + 1 < argc)
			probe_reps = atoi(argv[++i]);
		else if (strcmp(argv[i], "--problem") == 0 && i + 1 < argc)
			dir = argv[++i];
		else {
			printf("usage: tandem bench judge [--reps N] [--probe-reps N] [--problem "
			       "DIR]\n\n"
			       "Run from the source tree's top.  Needs the full sandbox level.\n");
			return tandem_wants_help(argc, argv) ? TANDEM_EXIT_OK : TANDEM_EXIT_USAGE;
		}
	}
	if (reps < 1 || reps > MAX_REPS)
		reps = 7;
	char err[512];
	struct sbx_problem *p = NULL;
	if (sbx_problem_load(dir, &p, err, sizeof(err)) != TC_OK) {
		fprintf(stderr, "tandem bench judge: %s\n", err);
		return TANDEM_EXIT_FAIL;
	}
	struct sbx_detect_report d;
	sbx_detect(&d);
	if (d.level != SBX_LEVEL_FULL) {
		fprintf(stderr, "tandem bench judge: the full sandbox level is not available\n");
		sbx_problem_free(p);
		return TANDEM_EXIT_ENV;
	}
	char ref[1200];
	snprintf(ref, sizeof(ref), "%s/reference.py", dir);
	FILE *f = fopen(ref, "r");
	char code[65536];
	size_t n = f ? fread(code, 1, sizeof(code) - 1, f) : 0;
	code[n] = '\0';
	if (f)
		fclose(f);
	struct tests t = {0};
	list_tests(dir, &t);

	struct sbx_worker *w = NULL;
	if (sbx_worker_new(SBX_LEVEL_FULL, 0, &w) != TC_OK) {
		sbx_problem_free(p);
		return TANDEM_EXIT_ENV;
	}
	/* The same judging with zygotes started on demand (SANDBOX_WARM=0). */
	struct sbx_worker *cold = NULL;
	setenv("SANDBOX_WARM", "0", 1);
	enum tc_err cold_err = sbx_worker_new(SBX_LEVEL_FULL, 3, &cold);
	unsetenv("SANDBOX_WARM");
	/* And with one lane (SANDBOX_LANES=1): the tests one after the other. */
	struct sbx_worker *one_lane = NULL;
	setenv("SANDBOX_LANES", "1", 1);
	if (cold_err == TC_OK && sbx_worker_new(SBX_LEVEL_FULL, 4, &one_lane) != TC_OK)
		cold_err = TC_ESANDBOX;
	unsetenv("SANDBOX_LANES");
	if (cold_err != TC_OK) {
		sbx_worker_free(cold);
		sbx_worker_free(w);
		sbx_problem_free(p);
		return TANDEM_EXIT_ENV;
	}
	struct sbx_judge_opts o;
	sbx_judge_opts_init(&o);
	o.probe = false;
	o.counterexample = false;
	struct sbx_worker *ws[] = {w, one_lane, cold, NULL};
	double sb[MAX_REPS], fresh[MAX_REPS], one[MAX_REPS], forked[MAX_REPS], sbf[MAX_REPS],
	    sbc[MAX_REPS], sb1[MAX_REPS];
	for (int i = 0; i < reps; i++) {
		struct sbx_result r;
		/* Before each measurement, the zygotes the last judging started in
		 * the background have booted: nothing but the measured path runs. */
		settle(ws);
		double t0 = now_ms();
		sbx_judge_run(w, p, code, n, &o, &r);
		sb[i] = now_ms() - t0;
		if (r.status != SBX_ACCEPTED)
			fprintf(stderr, "warning: %s\n", sbx_status_name(r.status));
		sbx_result_fini(&r);
		settle(ws);
		t0 = now_ms();
		sbx_judge_run(one_lane, p, code, n, &o, &r);
		sb1[i] = now_ms() - t0;
		sbx_result_fini(&r);
		settle(ws);
		t0 = now_ms();
		sbx_judge_run(cold, p, code, n, &o, &r);
		sbc[i] = now_ms() - t0;
		sbx_result_fini(&r);
		o.zygote = false;
		settle(ws);
		t0 = now_ms();
		sbx_judge_run(w, p, code, n, &o, &r);
		sbf[i] = now_ms() - t0;
		sbx_result_fini(&r);
		o.zygote = true;
		settle(ws);
		/* (a) one fresh unsandboxed interpreter per test */
		t0 = now_ms();
		for (int k = 0; k < t.n; k++) {
			char *av[] = {"python3.11", "-I", "-S", "-c", (char *)driver_py, ref,
			    t.paths[k], NULL};
			run_python(av);
		}
		fresh[i] = now_ms() - t0;
		/* (b) every test in one unsandboxed interpreter: the floor */
		char *av[80] = {"python3.11", "-I", "-S", "-c", (char *)driver_py, ref};
		for (int k = 0; k < t.n; k++)
			av[6 + k] = t.paths[k];
		av[6 + t.n] = NULL;
		t0 = now_ms();
		run_python(av);
		one[i] = now_ms() - t0;
		/* (c) the same process, a child forked per test */
		av[4] = (char *)fork_driver_py;
		t0 = now_ms();
		run_python(av);
		forked[i] = now_ms() - t0;
	}
	/* The same ratios round by round (each round measures every path back
	 * to back), so a host that drifts during the run moves both sides.
	 * Before pct, which sorts. */
	double rf[MAX_REPS], ra[MAX_REPS], rc[MAX_REPS];
	for (int i = 0; i < reps; i++) {
		rf[i] = sb[i] / one[i];
		ra[i] = fresh[i] / sb[i];
		rc[i] = forked[i] / one[i];
	}
	double m_sb = pct(sb, reps, 0.5), p_sb = pct(sb, reps, 0.9);
	double m_f = pct(fresh, reps, 0.5), m_1 = pct(one, reps, 0.5);
	printf("two-sum, %d tests, %d runs (median / p90 ms)\n", t.n, reps);
	printf("  judge, full sandbox, zygote   %8.1f / %8.1f   (%u lanes)\n", m_sb, p_sb,
	    sbx_worker_lanes(w));
	printf("  judge, zygote, one lane       %8.1f / %8.1f\n", pct(sb1, reps, 0.5),
	    pct(sb1, reps, 0.9));
	printf("  judge, zygote started on use  %8.1f / %8.1f\n", pct(sbc, reps, 0.5),
	    pct(sbc, reps, 0.9));
	printf("  judge, full sandbox, fresh    %8.1f / %8.1f\n", pct(sbf, reps, 0.5),
	    pct(sbf, reps, 0.9));
	printf("  (a) fresh python3.11 per test %8.1f / %8.1f\n", m_f, pct(fresh, reps, 0.9));
	printf("  (b) one process (floor)       %8.1f / %8.1f\n", m_1, pct(one, reps, 0.9));
	double m_c = pct(forked, reps, 0.5);
	printf("  (c) one process, fork per test%8.1f / %8.1f\n", m_c, pct(forked, reps, 0.9));
	printf("  zygote judge / floor = %.2fx (goal <= 1.3x); (a) / zygote judge = %.2fx (goal >= "
	       "3x)\n",
	    m_sb / m_1, m_f / m_sb);
	printf("  per round: judge / floor median %.2fx (%.2f-%.2f), (a) / judge median %.2fx "
	       "(%.2f-%.2f)\n",
	    pct(rf, reps, 0.5), pct(rf, reps, 0.0), pct(rf, reps, 1.0), pct(ra, reps, 0.5),
	    pct(ra, reps, 0.0), pct(ra, reps, 1.0));
	/* (c) over the floor: what one process per test costs on this host
	 * before any sandbox (ADR-0029). */
	printf(
	    "  (c) / floor = %.2fx per round median (%.2f-%.2f): a process per test, unsandboxed; "
	    "zygote judge / (c) = %.2fx\n",
	    pct(rc, reps, 0.5), pct(rc, reps, 0.0), pct(rc, reps, 1.0), m_sb / m_c);

	struct tput tp[2] = {{p, code, 1, tput_n, 0}, {p, code, 2, tput_n, 0}};
	pthread_t th[2];
	double t0 = now_ms();
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, tput_main, &tp[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	double el = (now_ms() - t0) / 1e3;
	printf("throughput, 2 workers: %.2f submissions/s (%d accepted of %d)\n",
	    (tp[0].ok + tp[1].ok) / el, tp[0].ok + tp[1].ok, 2 * tput_n);

	slopes(w, p, code, probe_reps, "O(n)");
	slopes(w, p, quadratic_py, probe_reps, "O(n^2)");
	sbx_worker_free(one_lane);
	sbx_worker_free(cold);
	sbx_worker_free(w);
	for (int k = 0; k < t.n; k++)
		free(t.paths[k]);
	sbx_problem_free(p);
	return TANDEM_EXIT_OK;
}
