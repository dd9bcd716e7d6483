/*
 * sandbox/judge.h - the judge: problems, verdicts, result JSON.
 *
 * The judge is trusted; user code is not.  sbx_judge_run runs a submission
 * against a problem's public and hidden tests in the worker's sandbox,
 * compares outputs outside the box, and on failure or timeout adds a
 * counterexample and a complexity probe.  The result JSON follows
 * docs/judge-contract.md.
 */
#ifndef SANDBOX_JUDGE_H
#define SANDBOX_JUDGE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "sandbox/sandbox.h"

enum sbx_status {
	SBX_ACCEPTED = 0,
	SBX_WRONG_ANSWER,
	SBX_TIMEOUT,
	SBX_MEMORY_LIMIT,
	SBX_OUTPUT_LIMIT,
	SBX_RUNTIME_ERROR,
	SBX_COMPILE_ERROR,
	SBX_INTERNAL_ERROR,
	SBX_SKIPPED, /* per test only: not run after an earlier resource verdict */
};

const char *sbx_status_name(enum sbx_status s);
enum tc_err sbx_status_parse(const char *name, enum sbx_status *out);

enum sbx_style {
	SBX_STYLE_FUNCTION = 0,
	SBX_STYLE_STDIO,
	SBX_STYLE_DESIGN
};
enum sbx_compare {
	SBX_COMPARE_EXACT = 0,
	SBX_COMPARE_UNORDERED,
	SBX_COMPARE_FLOAT
};

/* Complexity classes, in order of growth. */
enum sbx_class {
	SBX_CLASS_UNKNOWN = 0,
	SBX_CLASS_1,
	SBX_CLASS_LOGN,
	SBX_CLASS_N,
	SBX_CLASS_NLOGN,
	SBX_CLASS_N2,
	SBX_CLASS_N3,
	SBX_CLASS_2N,
};
const char *sbx_class_name(enum sbx_class c);
enum tc_err sbx_class_parse(const char *name, enum sbx_class *out);

struct sbx_problem;

/*
 * sbx_problem_load reads and validates a problem folder (docs/problems.md):
 * problem.json, reference.py, gen.py, optional checker.py, tests/public and
 * tests/hidden.  On TC_EPROTO (malformed) or TC_ENOENT (missing file), a
 * human-readable reason is written to err (errlen bytes, may be NULL).  The
 * caller owns *out.  Thread: any.  Blocks: on file reads.
 */
enum tc_err sbx_problem_load(const char *dir, struct sbx_problem **out, char *err, size_t errlen);
void sbx_problem_free(struct sbx_problem *p);

const char *sbx_problem_slug(const struct sbx_problem *p);
size_t sbx_problem_ntests(const struct sbx_problem *p);

/*
 * sbx_compare_values compares an expected JSON text with an actual one by
 * mode (exact; unordered: the top-level list's order is ignored; float:
 * numbers within 1e-6 absolute or relative).  Returns true when equal.
 * Malformed JSON on either side compares unequal.  Thread: any.
 */
bool sbx_compare_values(enum sbx_compare mode, const char *expected, const char *actual);

/*
 * sbx_compare_stdio compares program output with expected text line by
 * line, ignoring trailing whitespace on each line and trailing blank lines.
 */
bool sbx_compare_stdio(const char *expected, size_t elen, const char *actual, size_t alen);

/*
 * sbx_slope_fit: the robust (Theil-Sen) slope of log(ms) against log(n),
 * ignoring non-positive points; TC_EINVAL with fewer than two distinct n.
 */
enum tc_err sbx_slope_fit(const double *n, const double *ms, size_t count, double *slope);

/* The class whose growth best matches a log-log slope measured around n_mid. */
enum sbx_class sbx_class_from_slope(double slope, double n_mid);

#define SBX_PROBE_MAX 8

struct sbx_test_result {
	char *name;
	bool hidden;
	bool ok;
	enum sbx_status status;
	unsigned time_ms;
	unsigned mem_kb;
	char *message;  /* the exception's last line, the signal, or why it failed */
	char *stdout_x; /* capped excerpts, valid UTF-8 */
	char *stderr_x;
	char *input; /* public tests only: JSON texts */
	char *expected;
	char *actual;
};

struct sbx_counterexample {
	bool found;
	unsigned n;
	char *input; /* JSON texts */
	char *expected;
	char *actual;
	char *message;
};

struct sbx_probe {
	bool done;
	unsigned count;
	unsigned n[SBX_PROBE_MAX];
	double ms[SBX_PROBE_MAX];
	double slope;
	enum sbx_class cls;
	enum sbx_class reference;
	bool partial; /* the time budget ended first: fewer sizes or repeats than planned */
	char *message;
};

struct sbx_result {
	enum sbx_status status;
	unsigned passed;
	unsigned total;
	unsigned time_ms;
	char *message;
	enum sbx_level level;
	struct sbx_test_result *tests;
	size_t ntests;
	struct sbx_counterexample cex;
	struct sbx_probe probe;
};

/* Options for one judging; zero-initialise, then sbx_judge_opts_init. */
struct sbx_judge_opts {
	struct sbx_policy policy; /* policy.cpu_ms/mem_mb 0 = the problem's limits */
	bool zygote;              /* pre-warmed zygote (default) or a fresh process per test */
	bool counterexample;      /* search one on failure (default true) */
	bool probe;               /* complexity probe on ACCEPTED/TIMEOUT (default true) */
	unsigned probe_budget_ms; /* default 2800 */
	bool prepare_next;        /* start warm zygotes for a next submission (default true;
	                             false for a worker that judges once, as `tandem judge`) */
	/* Called as each test ends, with how many have ended (in the order they
	 * end, not file order) and how many there are; one call at a time, from
	 * a lane's thread.  It must not block.  NULL: none. */
	void (*on_test)(void *arg, unsigned done, unsigned total);
	void *on_test_arg;
};

void sbx_judge_opts_init(struct sbx_judge_opts *o);

/*
 * sbx_judge_run judges code (len bytes of Python source) against p with
 * worker w.  Any failure to sandbox as configured yields a result with
 * status INTERNAL_ERROR (logged) and TC_OK; the return is an error only for
 * bad arguments or out of memory.  The caller owns *out and releases it with
 * sbx_result_fini.  With a zygote and two lanes, the second lane runs on a
 * thread this call starts and joins.  It returns once the run is swept and
 * checked; the warm zygotes for the next submission (o->prepare_next) are
 * started by a thread of the worker that the next call on w joins.
 * Thread: the worker's.  Blocks: for the whole run.
 */
enum tc_err sbx_judge_run(struct sbx_worker *w, const struct sbx_problem *p, const char *code,
    size_t len, const struct sbx_judge_opts *o, struct sbx_result *out);

/*
 * sbx_problem_check runs the reference on every test of p (and gen at a
 * small n), writing one line per problem found to report.  Returns TC_OK
 * when the problem is sound, TC_EPROTO otherwise.  Thread: the worker's.
 */
enum tc_err sbx_problem_check(struct sbx_worker *w, const struct sbx_problem *p, FILE *report);

void sbx_result_fini(struct sbx_result *r);

/* sbx_result_format writes r as JSON; the caller frees *out with free(). */
enum tc_err sbx_result_format(const struct sbx_result *r, char **out);

/*
 * sbx_result_parse decodes result JSON (for example a result.json written by
 * a judge in another task) into out.  At most 4096 tests, 1 MiB strings.
 * TC_EPROTO for anything malformed; out is then empty.  The caller releases
 * out with sbx_result_fini.  Thread: any.
 */
enum tc_err sbx_result_parse(const char *json, size_t len, struct sbx_result *out);

#endif /* SANDBOX_JUDGE_H */
