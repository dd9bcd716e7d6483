/*
 * sandbox/src/judge.c - judging a submission.
 *
 * Design notes
 * - Two executors per judging: the user's (only the submission, compiled
 *   once in a zygote or per test on the fresh path) and the author's
 *   (reference, gen, checker), started lazily for checkers,
 *   counterexamples and the probe.  Expected outputs never enter the
 *   user's box; every comparison happens here.
 * - Tests run public first, then hidden, in file order.  After TIMEOUT,
 *   MEMORY_LIMIT or OUTPUT_LIMIT the box is gone and the remaining tests
 *   are SKIPPED, which bounds a bad submission's cost to one limit.
 * - With a zygote, the tests run in up to two lanes at once (ADR-0026):
 *   a box and a cgroup each, the second lane on a thread of its own, each
 *   taking the next test in order.  A test that starts after a limit was
 *   hit in an earlier one is reported SKIPPED all the same, so the result
 *   is the one a single lane gives.
 * - A checker problem's actual output that equals the expected one is
 *   accepted without running the checker: `tandem problem check` proves
 *   the checker accepts every expected output.
 * - The overall status is the first failing test's.  A failure to
 *   sandbox as configured is INTERNAL_ERROR, logged, never a weaker run.
 */
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "problem_priv.h"

#define EXCERPT_CAP 2048

void
sbx_judge_opts_init(struct sbx_judge_opts *o)
{
	memset(o, 0, sizeof(*o));
	sbx_policy_init(&o->policy);
	o->policy.cpu_ms = 0;
	o->policy.mem_mb = 0;
	o->zygote = true;
	o->counterexample = true;
	o->probe = true;
	o->probe_budget_ms = 2800;
	o->prepare_next = true;
}

static char *
xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static char *
fmt(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	char *s = NULL;
	if (vasprintf(&s, f, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/* Append text to a growing buffer; false when out of memory. */
static bool
cat(char **buf, size_t *len, size_t *cap, const char *text)
{
	size_t n = strlen(text);
	if (*len + n + 1 > *cap) {
		size_t nc = *cap ? *cap : 4096;
		while (nc < *len + n + 1)
			nc *= 2;
		char *b = realloc(*buf, nc);
		if (b == NULL)
			return false;
		*buf = b;
		*cap = nc;
	}
	memcpy(*buf + *len, text, n + 1);
	*len += n;
	return true;
}

/* {"solution": code} (or the author's modules) as JSON; NULL if not UTF-8. */
static char *
modules_json(const char *names[], const char *srcs[], const size_t lens[], int n)
{
	json_t *o = json_object();
	for (int i = 0; i < n; i++) {
		if (srcs[i] == NULL)
			continue;
		json_t *s = json_stringn(srcs[i], lens[i]);
		if (s == NULL) {
			json_decref(o);
			return NULL;
		}
		json_object_set_new(o, names[i], s);
	}
	char *t = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return t;
}

/* The user's code in one box (a zygote, or the recipe for fresh boxes). */
struct lane {
	struct sbx_executor x;
	bool up;
};

struct judging {
	struct sbx_worker *w;
	const struct sbx_problem *p;
	const struct sbx_judge_opts *o;
	struct sbx_policy pol;
	char *user_modules;
	struct lane lane[SBX_LANES];
	unsigned nlanes;         /* lanes the tests run in */
	pthread_mutex_t wmu;     /* the worker, while lanes run: starting boxes */
	pthread_mutex_t mu;      /* next, stop_at, ended and the o->on_test calls */
	size_t *order;           /* tests in the order lanes start them */
	size_t next;             /* the position in order of the next test to start */
	unsigned ended;          /* tests ended, for o->on_test */
	size_t stop_at;          /* a test at or before it hit a limit; SIZE_MAX = none */
	struct test_note *notes; /* per test, what the lanes saw */
	struct sbx_executor author;
	bool author_up;
	bool author_pending; /* modules sent, answer not read (author_ready) */
	bool author_failed;
};

static enum tc_err
start_lane(struct judging *j, unsigned k, const struct sbx_policy *pol, char **compile_error)
{
	*compile_error = NULL;
	struct lane *ln = &j->lane[k];
	if (ln->up)
		return TC_OK;
	enum tc_err e = sbx__executor_start(
	    &ln->x, j->w, k, pol, j->o->zygote, j->user_modules, j->p->entry_json, compile_error);
	if (e == TC_OK && *compile_error == NULL)
		ln->up = true;
	return e;
}

static void
stop_lane(struct lane *ln)
{
	if (ln->up || ln->x.w)
		sbx__executor_stop(&ln->x);
	ln->up = false;
	memset(&ln->x, 0, sizeof(ln->x));
}

/* Lane 0 runs everything but the tests' second half: probe, counterexample. */
static enum tc_err
start_user(struct judging *j, const struct sbx_policy *pol, char **compile_error)
{
	return start_lane(j, 0, pol, compile_error);
}

static void
stop_user(struct judging *j)
{
	for (unsigned k = 0; k < SBX_LANES; k++)
		stop_lane(&j->lane[k]);
}

/* Send the author's modules to a zygote; author_ready collects the answer. */
static enum tc_err
author_begin(struct judging *j)
{
	if (j->author_up || j->author_pending)
		return TC_OK;
	if (j->author_failed)
		return TC_ESANDBOX;
	const char *names[] = {"reference", "gen", "checker"};
	const char *srcs[] = {j->p->reference, j->p->gen, j->p->checker_src};
	size_t lens[] = {strlen(j->p->reference), strlen(j->p->gen),
	    j->p->checker_src ? strlen(j->p->checker_src) : 0};
	char *mods = modules_json(names, srcs, lens, 3);
	if (mods == NULL)
		return TC_ENOMEM;
	struct sbx_policy pol = j->pol;
	pol.cpu_ms = pol.cpu_ms < 10000 ? 10000 : pol.cpu_ms;
	pol.wall_ms = pol.cpu_ms * 2;
	enum tc_err e =
	    sbx__executor_begin(&j->author, j->w, 0, &pol, true, mods, j->p->entry_json);
	free(mods);
	if (e != TC_OK) {
		j->author_failed = true;
		return e;
	}
	j->author_pending = true;
	return TC_OK;
}

static enum tc_err
author_ready(struct judging *j)
{
	if (!j->author_pending)
		return j->author_up ? TC_OK : TC_ESANDBOX;
	j->author_pending = false;
	char *ce = NULL;
	enum tc_err e = sbx__executor_ready(&j->author, &ce);
	if (e == TC_OK && ce != NULL) {
		tc_log(
		    TC_LOG_ERROR, "judge", "%s: author code does not compile: %s", j->p->slug, ce);
		free(ce);
		sbx__executor_stop(&j->author);
		e = TC_ESANDBOX;
	}
	if (e != TC_OK) {
		j->author_failed = true;
		return e;
	}
	j->author_up = true;
	return TC_OK;
}

static enum tc_err
start_author(struct judging *j)
{
	if (j->author_up)
		return TC_OK;
	enum tc_err e = author_begin(j);
	return e == TC_OK ? author_ready(j) : e;
}

static void
stop_author(struct judging *j)
{
	if (j->author_up || j->author_pending)
		sbx__executor_stop(&j->author);
	j->author_up = false;
	j->author_pending = false;
}

/* The request for one input: function/design calls, or stdio (input on stdin). */
static char *
request_for(const struct sbx_problem *p, const char *module, const char *input,
    const char **stdin_data, size_t *stdin_len)
{
	*stdin_data = NULL;
	*stdin_len = 0;
	if (p->style == SBX_STYLE_STDIO) {
		json_t *s = json_loads(input, JSON_DECODE_ANY, NULL);
		if (json_is_string(s)) {
			/* Points into the JSON value, which we keep alive via a copy. */
			char *copy = strndup(json_string_value(s), json_string_length(s));
			*stdin_data = copy;
			*stdin_len = copy ? json_string_length(s) : 0;
		}
		json_decref(s);
		return fmt("{\"op\":\"stdio\",\"module\":\"%s\"}", module);
	}
	return fmt("{\"op\":\"%s\",\"module\":\"%s\",\"input\":%s}",
	    p->style == SBX_STYLE_DESIGN ? "design" : "call", module, input);
}

/* The outcome of running one input through an executor. */
struct outcome {
	enum sbx_status status; /* ACCEPTED means "ran and produced actual" */
	char *actual;           /* JSON text (function/design) or a JSON string (stdio) */
	char *message;
	struct sbx_exec ex;
	bool compile_error;
};

static void
outcome_fini(struct outcome *o)
{
	free(o->actual);
	free(o->message);
	sbx__exec_fini(&o->ex);
	memset(o, 0, sizeof(*o));
}

static void
run_one(const struct sbx_problem *p, struct sbx_executor *x, const char *module, const char *input,
    struct outcome *out)
{
	memset(out, 0, sizeof(*out));
	const char *sd;
	size_t sl;
	char *req = request_for(p, module, input, &sd, &sl);
	if (req == NULL) {
		out->status = SBX_INTERNAL_ERROR;
		out->message = xstrdup("out of memory");
		free((char *)sd);
		return;
	}
	enum tc_err e = sbx__executor_run(x, req, sd, sl, &out->ex);
	free(req);
	free((char *)sd);
	if (e != TC_OK) {
		out->status = SBX_INTERNAL_ERROR;
		out->message = fmt("sandbox: %s", tc_strerror(e));
		return;
	}
	struct sbx_exec *ex = &out->ex;
	switch (ex->state) {
	case SBX_EXEC_TIMEOUT:
		out->status = SBX_TIMEOUT;
		if (ex->cpu_ms >= x->policy.cpu_ms || ex->wall_ms < x->policy.wall_ms)
			out->message = fmt("CPU time limit exceeded (%u ms)", x->policy.cpu_ms);
		else
			out->message =
			    fmt("wall time limit exceeded (%u ms, %u ms of CPU used): the "
			        "program slept, blocked or waited for the CPU",
			        x->policy.wall_ms, ex->cpu_ms);
		return;
	case SBX_EXEC_OUTPUT:
		out->status = SBX_OUTPUT_LIMIT;
		out->message = fmt("output over %llu bytes", x->policy.max_output_bytes);
		return;
	case SBX_EXEC_MEMORY:
		out->status = SBX_MEMORY_LIMIT;
		out->message = fmt("memory limit exceeded (%u MB)", x->policy.mem_mb);
		return;
	case SBX_EXEC_CRASH:
		out->status = SBX_RUNTIME_ERROR;
		out->message = xstrdup(ex->detail);
		return;
	case SBX_EXEC_INTERNAL:
		out->status = SBX_INTERNAL_ERROR;
		out->message = xstrdup(ex->detail);
		tc_log(TC_LOG_ERROR, "judge", "%s: %s", p->slug, ex->detail);
		return;
	case SBX_EXEC_DONE:
		break;
	}
	struct sbx_frame f;
	if (sbx__frame_decode(ex->result, strlen(ex->result), &f) != TC_OK) {
		out->status = SBX_RUNTIME_ERROR;
		out->message = xstrdup("the program damaged the judge's result channel");
		return;
	}
	if (f.compile_error) {
		out->compile_error = true;
		out->status = SBX_COMPILE_ERROR;
		out->message = fmt("line %ld: %s", f.line, f.error);
	} else if (!f.ok) {
		out->status = f.memory ? SBX_MEMORY_LIMIT : SBX_RUNTIME_ERROR;
		if (f.internal)
			out->status = SBX_INTERNAL_ERROR;
		if (f.memory)
			out->message = fmt("MemoryError (limit %u MB)", x->policy.mem_mb);
		else if (f.line > 0)
			out->message = fmt("line %ld: %s", f.line, f.error);
		else
			out->message = xstrdup(f.error);
	} else {
		out->status = SBX_ACCEPTED;
		if (p->style == SBX_STYLE_STDIO) {
			json_t *s = json_stringn_nocheck(ex->out ? ex->out : "", ex->outlen);
			char *ex8 = sbx__utf8_excerpt(ex->out, ex->outlen, ex->outlen + 1);
			json_decref(s);
			json_t *s2 = json_string(ex8 ? ex8 : "");
			out->actual = json_dumps(s2, JSON_ENCODE_ANY | JSON_COMPACT);
			json_decref(s2);
			free(ex8);
		} else {
			out->actual = f.value ? f.value : strdup("null");
			f.value = NULL;
		}
	}
	sbx__frame_fini(&f);
}

/*
 * Correctness of an actual output by comparison.  Checker problems' answers
 * (function and design style) are decided in run_test and check_pending.
 * Pure: called from both lanes.
 */
static enum sbx_status
judge_output(const struct sbx_problem *p, const char *expected, const struct outcome *oc)
{
	if (p->style == SBX_STYLE_STDIO) {
		json_t *e = json_loads(expected, JSON_DECODE_ANY, NULL);
		bool ok =
		    json_is_string(e) && sbx_compare_stdio(json_string_value(e),
		                             json_string_length(e), oc->ex.out, oc->ex.outlen);
		json_decref(e);
		return ok ? SBX_ACCEPTED : SBX_WRONG_ANSWER;
	}
	return sbx_compare_values(p->compare, expected, oc->actual) ? SBX_ACCEPTED
	                                                            : SBX_WRONG_ANSWER;
}

static struct sbx_policy
effective_policy(const struct sbx_problem *p, const struct sbx_judge_opts *o)
{
	struct sbx_policy pol = o->policy;
	if (pol.cpu_ms == 0)
		pol.cpu_ms = p->time_ms;
	if (pol.mem_mb == 0)
		pol.mem_mb = p->mem_mb;
	if (pol.wall_ms == 0)
		pol.wall_ms = pol.cpu_ms * 2 + 200;
	return pol;
}

/* ---- counterexamples ------------------------------------------------------------- */

static char *
gen_input(struct judging *j, unsigned n, unsigned seed)
{
	if (start_author(j) != TC_OK)
		return NULL;
	char req[128];
	snprintf(
	    req, sizeof(req), "{\"op\":\"gen\",\"module\":\"gen\",\"n\":%u,\"seed\":%u}", n, seed);
	struct sbx_exec ex;
	char *v = NULL;
	if (sbx__executor_run(&j->author, req, NULL, 0, &ex) == TC_OK &&
	    ex.state == SBX_EXEC_DONE) {
		struct sbx_frame f;
		if (sbx__frame_decode(ex.result, strlen(ex.result), &f) == TC_OK && f.ok) {
			v = f.value;
			f.value = NULL;
		} else {
			tc_log(TC_LOG_ERROR, "judge", "%s: gen(%u, %u) failed: %s", j->p->slug, n,
			    seed, f.error ? f.error : "malformed result");
		}
		sbx__frame_fini(&f);
	} else {
		tc_log(TC_LOG_ERROR, "judge", "%s: gen(%u, %u) did not run: %s", j->p->slug, n,
		    seed, ex.detail);
	}
	if (!j->author.running)
		stop_author(j);
	sbx__exec_fini(&ex);
	return v;
}

static bool
input_shape_ok(const struct sbx_problem *p, const char *input)
{
	json_t *v = json_loads(input, JSON_DECODE_ANY, NULL);
	bool ok = false;
	if (p->style == SBX_STYLE_STDIO)
		ok = json_is_string(v);
	else if (p->style == SBX_STYLE_FUNCTION)
		ok = json_is_array(v);
	else
		ok = json_is_array(json_object_get(v, "ops"));
	json_decref(v);
	return ok;
}

/* One request per input (gen, reference, solution or check) as a batch. */
static json_t *
batch_items(const struct sbx_problem *p, const char *op, const char *module, json_t *inputs,
    json_t *expected, json_t *actual)
{
	json_t *items = json_array();
	for (size_t i = 0; i < json_array_size(inputs); i++) {
		json_t *in = json_array_get(inputs, i), *it = json_object();
		json_object_set_new(it, "module", json_string(module));
		if (strcmp(op, "check") == 0) {
			json_object_set_new(it, "op", json_string("check"));
			json_object_set(it, "input", in);
			json_object_set(it, "expected", json_array_get(expected, i));
			json_object_set(it, "actual", json_array_get(actual, i));
		} else if (p->style == SBX_STYLE_STDIO) {
			json_object_set_new(it, "op", json_string("stdio"));
			json_object_set(it, "stdin", in);
		} else {
			json_object_set_new(it, "op",
			    json_string(p->style == SBX_STYLE_DESIGN ? "design" : "call"));
			json_object_set(it, "input", in);
		}
		json_array_append_new(items, it);
	}
	return items;
}

/* Run a batch request (JSON text); the array of per-item results (owned) or NULL. */
static json_t *
run_batch_text(struct sbx_executor *x, const char *text)
{
	struct sbx_exec ex;
	json_t *out = NULL;
	if (sbx__executor_run(x, text, NULL, 0, &ex) == TC_OK && ex.state == SBX_EXEC_DONE) {
		json_t *f = json_loads(ex.result, 0, NULL);
		json_t *v = json_object_get(f, "value");
		if (json_is_true(json_object_get(f, "ok")) && json_is_array(v))
			out = json_incref(v);
		json_decref(f);
	}
	sbx__exec_fini(&ex);
	return out;
}

/* Run a batch of items (taken); the array of per-item results (owned) or NULL. */
static json_t *
run_batch(struct sbx_executor *x, json_t *items)
{
	json_t *req = json_object();
	json_object_set_new(req, "op", json_string("batch"));
	json_object_set_new(req, "items", items);
	char *text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (text == NULL)
		return NULL;
	json_t *out = run_batch_text(x, text);
	free(text);
	return out;
}

/* An item's output as JSON text: the value, or the stdout string for stdio. */
static char *
item_output(const struct sbx_problem *p, json_t *res)
{
	json_t *v = p->style == SBX_STYLE_STDIO ? json_object_get(res, "stdout")
	                                        : json_object_get(res, "value");
	return json_dumps(v ? v : json_null(), JSON_COMPACT | JSON_ENCODE_ANY);
}

static void
find_counterexample(struct judging *j, struct sbx_result *r)
{
	const struct sbx_problem *p = j->p;
	if (start_author(j) != TC_OK)
		return;
	/* Inputs for n = 1..8, four seeds each, smallest first. */
	json_t *gens = json_array();
	for (unsigned n = 1; n <= 8; n++)
		for (unsigned seed = 0; seed < 4; seed++) {
			json_t *g = json_object();
			json_object_set_new(g, "op", json_string("gen"));
			json_object_set_new(g, "module", json_string("gen"));
			json_object_set_new(g, "n", json_integer(n));
			json_object_set_new(g, "seed", json_integer(seed));
			json_array_append_new(gens, g);
		}
	json_t *gout = run_batch(&j->author, gens);
	json_t *inputs = json_array(), *sizes = json_array();
	for (size_t i = 0; gout && i < json_array_size(gout); i++) {
		json_t *res = json_array_get(gout, i), *v = json_object_get(res, "value");
		char *t = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		if (t && json_is_true(json_object_get(res, "ok")) && input_shape_ok(p, t)) {
			json_array_append(inputs, v);
			json_array_append_new(sizes, json_integer((json_int_t)(i / 4 + 1)));
		}
		free(t);
	}
	json_t *want =
	    json_array_size(inputs)
	        ? run_batch(&j->author, batch_items(p, "call", "reference", inputs, NULL, NULL))
	        : NULL;
	char *ce = NULL;
	json_t *got = NULL;
	if (want && json_array_size(want) == json_array_size(inputs) &&
	    start_user(j, &j->pol, &ce) == TC_OK && ce == NULL) {
		got = run_batch(
		    &j->lane[0].x, batch_items(p, "call", "solution", inputs, NULL, NULL));
		stop_user(j);
	}
	free(ce);
	json_t *verdicts = NULL;
	if (got && json_array_size(got) == json_array_size(inputs) && p->has_checker &&
	    p->style != SBX_STYLE_STDIO) {
		json_t *e = json_array(), *a = json_array();
		for (size_t i = 0; i < json_array_size(inputs); i++) {
			json_t *ev = json_object_get(json_array_get(want, i), "value");
			json_t *av = json_object_get(json_array_get(got, i), "value");
			json_array_append(e, ev ? ev : json_null());
			json_array_append(a, av ? av : json_null());
		}
		verdicts = run_batch(&j->author, batch_items(p, "check", "checker", inputs, e, a));
		json_decref(e);
		json_decref(a);
	}
	for (size_t i = 0; got && i < json_array_size(inputs) && !r->cex.found; i++) {
		json_t *wr = json_array_get(want, i), *gr = json_array_get(got, i);
		if (!json_is_true(json_object_get(wr, "ok")))
			continue; /* the reference itself failed: not a usable input */
		char *expected = item_output(p, wr);
		char *actual = item_output(p, gr);
		bool ok_run = json_is_true(json_object_get(gr, "ok"));
		bool same;
		if (!ok_run)
			same = false;
		else if (p->style == SBX_STYLE_STDIO) {
			const char *e = json_string_value(json_object_get(wr, "stdout"));
			const char *a = json_string_value(json_object_get(gr, "stdout"));
			same = sbx_compare_stdio(e, e ? strlen(e) : 0, a, a ? strlen(a) : 0);
		} else if (p->has_checker)
			same = !verdicts || !json_is_false(json_object_get(
			                        json_array_get(verdicts, i), "value"));
		else
			same = sbx_compare_values(p->compare, expected, actual);
		if (!same) {
			r->cex.found = true;
			r->cex.n = (unsigned)json_integer_value(json_array_get(sizes, i));
			r->cex.input =
			    json_dumps(json_array_get(inputs, i), JSON_COMPACT | JSON_ENCODE_ANY);
			r->cex.expected = expected;
			r->cex.actual = ok_run ? actual : NULL;
			const char *err = json_string_value(json_object_get(gr, "error"));
			r->cex.message =
			    ok_run ? fmt("wrong answer on a generated input of size %u", r->cex.n)
			           : xstrdup(err ? err : "the program failed");
			if (!ok_run)
				free(actual);
		} else {
			free(expected);
			free(actual);
		}
	}
	json_decref(verdicts);
	json_decref(got);
	json_decref(want);
	json_decref(inputs);
	json_decref(sizes);
	json_decref(gout);
}

/* ---- complexity probe ------------------------------------------------------------ */

/* A quadratic next size stops the climb when it would take longer than this. */
#define PROBE_CAP_MS 250
/* Calls shorter than this are repeated until it, and averaged. */
#define PROBE_MIN_MS 2
#define PROBE_ROUNDS 7

/* The log-log slope a class shows around n_mid. */
static double
class_slope(enum sbx_class c, double n_mid)
{
	double ln = log(n_mid > 2 ? n_mid : 2);
	switch (c) {
	case SBX_CLASS_1:
		return 0;
	case SBX_CLASS_LOGN:
		return 1 / ln;
	case SBX_CLASS_N:
		return 1;
	case SBX_CLASS_NLOGN:
		return 1 + 1 / ln;
	case SBX_CLASS_N2:
		return 2;
	case SBX_CLASS_N3:
		return 3;
	default:
		return NAN;
	}
}

/*
 * Inputs for the probe's sizes from one generator batch, as JSON texts (the
 * harness encodes them, so they are not decoded here).  Returns how many
 * leading sizes got an input.
 */
static unsigned
probe_inputs(struct judging *j, const unsigned *n, unsigned count, char **texts)
{
	char *req = NULL;
	size_t len = 0, cap = 0;
	bool ok = cat(&req, &len, &cap, "{\"op\":\"batch\",\"items\":[");
	for (unsigned i = 0; ok && i < count; i++) {
		char item[160];
		snprintf(item, sizeof(item),
		    "%s{\"op\":\"gen\",\"module\":\"gen\",\"n\":%u,\"seed\":0,\"as_text\":true}",
		    i ? "," : "", n[i]);
		ok = cat(&req, &len, &cap, item);
	}
	ok = ok && cat(&req, &len, &cap, "]}");
	json_t *v = ok && start_author(j) == TC_OK ? run_batch_text(&j->author, req) : NULL;
	free(req);
	unsigned got = 0;
	while (got < count) {
		json_t *res = json_array_get(v, got);
		json_t *t = json_object_get(res, "value");
		if (!json_is_true(json_object_get(res, "ok")) || !json_is_string(t))
			break;
		if ((texts[got] = strndup(json_string_value(t), json_string_length(t))) == NULL)
			break;
		got++;
	}
	if (got < count && v != NULL)
		tc_log(TC_LOG_ERROR, "judge", "%s: gen failed at n=%u", j->p->slug, n[got]);
	json_decref(v);
	return got;
}

/*
 * The probe: one child of the user's zygote times the call on generated
 * inputs of growing sizes (see probe_sizes in the harness), per-size minima
 * over rounds, within the budget; then a Theil-Sen log-log slope.
 */
static void
run_probe(struct judging *j, struct sbx_result *r)
{
	const struct sbx_problem *p = j->p;
	uint64_t start = sbx__now_ms();
	uint64_t end = start + j->o->probe_budget_ms;
	r->probe.done = true;
	r->probe.reference = p->cls;
	r->probe.slope = NAN;
	/* Sizes double from N/16 to 4N; after a timeout from N/64 to 2N.  Above
	 * 4N caches and page faults bend even a linear curve upwards. */
	unsigned n[SBX_PROBE_MAX], count = 0;
	bool timeout = r->status == SBX_TIMEOUT;
	unsigned base = p->probe_n / (timeout ? 64 : 16);
	for (unsigned v = base ? base : 1; count < (timeout ? 8u : 7u); v *= 2)
		n[count++] = v;
	char *texts[SBX_PROBE_MAX] = {0};
	char *req = NULL;
	json_t *f = NULL;
	struct sbx_exec ex;
	memset(&ex, 0, sizeof(ex));
	unsigned got = probe_inputs(j, n, count, texts);
	if (got == 0) {
		r->probe.message = xstrdup("the generator failed");
		goto out;
	}
	size_t len = 0, cap = 0;
	char head[256];
	snprintf(head, sizeof(head),
	    "{\"op\":\"probe\",\"module\":\"solution\",\"style\":\"%s\",\"cap_ms\":%u,"
	    "\"min_ms\":%u,\"rounds\":%u,\"sizes\":[",
	    p->style == SBX_STYLE_STDIO    ? "stdio"
	    : p->style == SBX_STYLE_DESIGN ? "design"
	                                   : "function",
	    PROBE_CAP_MS, PROBE_MIN_MS, PROBE_ROUNDS);
	bool ok = cat(&req, &len, &cap, head);
	for (unsigned i = 0; ok && i < got; i++) {
		char num[24];
		snprintf(num, sizeof(num), "%s%u", i ? "," : "", n[i]);
		ok = cat(&req, &len, &cap, num);
	}
	ok = ok && cat(&req, &len, &cap, "],\"inputs\":[");
	for (unsigned i = 0; ok && i < got; i++)
		ok = cat(&req, &len, &cap, i ? "," : "") && cat(&req, &len, &cap, texts[i]);
	/* What is left of the budget, less a margin for the last call and the
	 * interpreter decoding the inputs. */
	uint64_t now = sbx__now_ms();
	unsigned budget = now + 2 * PROBE_CAP_MS + 300 < end
	                      ? (unsigned)(end - now - 2 * PROBE_CAP_MS - 300)
	                      : 200;
	char tail[64];
	snprintf(tail, sizeof(tail), "],\"budget_ms\":%u}", budget);
	ok = ok && cat(&req, &len, &cap, tail);
	char *compile_error = NULL;
	if (!ok || start_user(j, &j->pol, &compile_error) != TC_OK || compile_error != NULL) {
		free(compile_error);
		r->probe.message = xstrdup("the sandbox could not start");
		goto out;
	}
	unsigned limit = budget + 4 * PROBE_CAP_MS + 1000;
	sbx__executor_set_limits(&j->lane[0].x, limit, limit);
	enum tc_err e = sbx__executor_run(&j->lane[0].x, req, NULL, 0, &ex);
	sbx__executor_set_limits(&j->lane[0].x, 0, 0);
	if (e != TC_OK || ex.state != SBX_EXEC_DONE) {
		r->probe.message = xstrdup(e == TC_OK && ex.state == SBX_EXEC_TIMEOUT
		                               ? "too slow to measure at any size"
		                               : "the probe did not run");
		goto out;
	}
	f = json_loads(ex.result, 0, NULL);
	json_t *v = json_object_get(f, "value"), *cpu = json_object_get(f, "cpu_ns");
	if (!json_is_true(json_object_get(f, "ok")) || !json_is_array(v) ||
	    json_array_size(v) == 0 || !json_is_integer(cpu) ||
	    json_integer_value(cpu) / 1e6 > ex.wall_ms + 1.0) {
		/* Failed, or claims more time than the child ran: not credible. */
		const char *err = json_string_value(json_object_get(f, "error"));
		r->probe.message = fmt("the probe failed: %s", err ? err : "implausible figures");
		goto out;
	}
	double xs[SBX_PROBE_MAX], ys[SBX_PROBE_MAX], top = 0;
	unsigned k = 0, nfit = 0;
	for (size_t i = 0; i < json_array_size(v) && k < SBX_PROBE_MAX; i++) {
		json_t *row = json_array_get(v, i);
		json_t *rn = json_array_get(row, 0), *rms = json_array_get(row, 1);
		json_t *reps = json_array_get(row, 2);
		if (!json_is_integer(rn) || !json_is_number(rms) || json_number_value(rms) < 0)
			continue;
		double ms = json_number_value(rms);
		r->probe.n[k] = (unsigned)json_integer_value(rn);
		r->probe.ms[k] = ms;
		k++;
		top = fmax(top, ms);
		if (json_integer_value(reps) < 2)
			r->probe.partial = true;
		/* Calls this short are mostly the call's own overhead. */
		if (ms >= 0.05) {
			xs[nfit] = (double)json_integer_value(rn);
			ys[nfit] = ms;
			nfit++;
		}
	}
	r->probe.count = k;
	if (json_is_true(json_object_get(f, "partial")))
		r->probe.partial = true;
	double slope;
	if (top < 1.0 && k == got) {
		r->probe.slope = 0;
		r->probe.cls = SBX_CLASS_1;
		r->probe.message = xstrdup("below the timer's resolution at these sizes");
	} else if (nfit >= 2 && sbx_slope_fit(xs, ys, nfit, &slope) == TC_OK) {
		r->probe.slope = slope;
		double mid = sqrt(xs[0] * xs[nfit - 1]);
		r->probe.cls = sbx_class_from_slope(slope, mid);
		/* Slopes of neighbouring classes differ by less than the noise (n vs
		 * n log n): a slope consistent with the reference's class is
		 * reported as that class.  0.4: a hash-table O(n) shows 1.24-1.37
		 * here (cache misses grow with n), and the next class up that
		 * matters, n^2, is 1.0 away. */
		double want = class_slope(p->cls, mid);
		if (isfinite(want) && fabs(slope - want) <= 0.4)
			r->probe.cls = p->cls;
	} else {
		r->probe.message = xstrdup("not enough sizes measured");
	}
	if (r->probe.partial && r->probe.message == NULL)
		r->probe.message = xstrdup("partial: the time budget ended before every size was "
		                           "measured twice");
out:
	json_decref(f);
	sbx__exec_fini(&ex);
	free(req);
	for (unsigned i = 0; i < SBX_PROBE_MAX; i++)
		free(texts[i]);
	stop_user(j);
}

static void
set_internal(struct sbx_result *r, const char *msg)
{
	r->status = SBX_INTERNAL_ERROR;
	free(r->message);
	r->message = xstrdup(msg);
	tc_log(TC_LOG_ERROR, "judge", "%s", msg);
}

/*
 * Decide checker problems' tests in one run of the checker.  The request is
 * written from the tests' JSON texts as they are: decoding and re-encoding
 * megabytes of inputs here would cost more than the check.
 */
static void
check_pending(struct judging *j, struct sbx_result *r, char **actuals)
{
	const struct sbx_problem *p = j->p;
	size_t idx[1024], k = 0;
	char *req = NULL;
	size_t len = 0, cap = 0;
	bool ok = cat(&req, &len, &cap, "{\"op\":\"batch\",\"items\":[");
	for (size_t i = 0; ok && i < p->ntests && k < 1024; i++) {
		if (actuals[i] == NULL)
			continue;
		ok = cat(&req, &len, &cap, k ? "," : "") &&
		     cat(&req, &len, &cap, "{\"op\":\"check\",\"module\":\"checker\",\"input\":") &&
		     cat(&req, &len, &cap, p->tests[i].input) &&
		     cat(&req, &len, &cap, ",\"expected\":") &&
		     cat(&req, &len, &cap, p->tests[i].expected) &&
		     cat(&req, &len, &cap, ",\"actual\":") && cat(&req, &len, &cap, actuals[i]) &&
		     cat(&req, &len, &cap, "}");
		idx[k++] = i;
	}
	ok = ok && cat(&req, &len, &cap, "]}");
	json_t *v = NULL;
	if (ok && k > 0 && start_author(j) == TC_OK)
		v = run_batch_text(&j->author, req);
	free(req);
	for (size_t m = 0; m < k; m++) {
		struct sbx_test_result *tr = &r->tests[idx[m]];
		json_t *res = v ? json_array_get(v, m) : NULL;
		json_t *verdict = json_object_get(res, "value");
		if (!json_is_true(json_object_get(res, "ok")) || !json_is_boolean(verdict)) {
			tr->status = SBX_INTERNAL_ERROR;
			tr->ok = false;
			free(tr->message);
			tr->message = xstrdup("the checker failed");
			set_internal(r, "the problem's checker failed");
		} else {
			tr->ok = json_is_true(verdict);
			tr->status = tr->ok ? SBX_ACCEPTED : SBX_WRONG_ANSWER;
		}
	}
	json_decref(v);
}

/* ---- the judging ----------------------------------------------------------------- */

/* What a lane saw of one test, beyond its result. */
struct test_note {
	size_t input_len; /* for the lanes' order */
	bool ran;
	bool no_box;         /* the lane's box could not be restarted */
	char *compile_error; /* the message, when the test found one */
};

static bool
is_limit(enum sbx_status st)
{
	return st == SBX_INTERNAL_ERROR || st == SBX_TIMEOUT || st == SBX_MEMORY_LIMIT ||
	       st == SBX_OUTPUT_LIMIT;
}

/* Stop lanes from starting tests after test i. */
static void
stop_after(struct judging *j, size_t i)
{
	pthread_mutex_lock(&j->mu);
	if (i < j->stop_at)
		j->stop_at = i;
	pthread_mutex_unlock(&j->mu);
}

/* Run test i in lane k and keep its result in r->tests[i]. */
static void
run_test(struct judging *j, unsigned k, size_t i, struct sbx_result *r, char **actuals)
{
	const struct sbx_problem *p = j->p;
	const struct sbx_test *t = &p->tests[i];
	struct sbx_test_result *tr = &r->tests[i];
	struct test_note *note = &j->notes[i];
	struct lane *ln = &j->lane[k];
	note->ran = true;
	if (!ln->up) {
		char *ce = NULL;
		pthread_mutex_lock(&j->wmu);
		enum tc_err e = start_lane(j, k, &j->pol, &ce);
		pthread_mutex_unlock(&j->wmu);
		free(ce);
		if (e != TC_OK || !ln->up) {
			note->no_box = true;
			stop_after(j, i);
			return;
		}
	}
	struct outcome oc;
	run_one(p, &ln->x, "solution", t->input, &oc);
	if (oc.compile_error) {
		note->compile_error = oc.message;
		oc.message = NULL;
		outcome_fini(&oc);
		stop_after(j, i);
		return;
	}
	enum sbx_status st = oc.status;
	if (st == SBX_ACCEPTED && p->has_checker && p->style != SBX_STYLE_STDIO) {
		/* The expected output passes the checker (problem check proves it):
		 * only a different answer needs the checker, in one run below. */
		const char *a = oc.actual ? oc.actual : "null";
		if (!sbx_compare_values(SBX_COMPARE_EXACT, t->expected, a))
			actuals[i] = xstrdup(a);
	} else if (st == SBX_ACCEPTED) {
		st = judge_output(p, t->expected, &oc);
	}
	tr->status = st;
	tr->ok = st == SBX_ACCEPTED;
	tr->time_ms = oc.ex.cpu_ms;
	tr->mem_kb = oc.ex.mem_kb;
	tr->message = oc.message;
	oc.message = NULL;
	tr->stdout_x = sbx__utf8_excerpt(oc.ex.out, oc.ex.outlen, EXCERPT_CAP);
	tr->stderr_x = sbx__utf8_excerpt(oc.ex.err, oc.ex.errlen, EXCERPT_CAP);
	if (!t->hidden) {
		tr->actual = oc.actual;
		oc.actual = NULL;
	}
	if (is_limit(st))
		stop_after(j, i);
	if (j->o->zygote && !ln->x.running)
		stop_lane(ln);
	outcome_fini(&oc);
	if (j->o->on_test != NULL) {
		pthread_mutex_lock(&j->mu);
		j->o->on_test(j->o->on_test_arg, ++j->ended, (unsigned)p->ntests);
		pthread_mutex_unlock(&j->mu);
	}
}

struct lane_run {
	struct judging *j;
	unsigned k;
	struct sbx_result *r;
	char **actuals;
};

/* Inputs at least this long are large tests: with two lanes they start first. */
#define LARGE_INPUT (16u << 10)

/*
 * The order lanes start tests in.  With one lane, file order.  With two,
 * the large tests first, largest first, then the rest in file order: a
 * large test started last would leave the other lane idle while it runs
 * (longest first, as a scheduler of unequal jobs on two machines).  The
 * result does not depend on it (finish_tests).
 */
static void
plan_order(struct judging *j)
{
	const struct sbx_problem *p = j->p;
	struct test_note *nt = j->notes;
	size_t n = 0;
	for (size_t i = 0; i < p->ntests; i++)
		nt[i].input_len = j->nlanes > 1 ? strlen(p->tests[i].input) : 0;
	for (size_t i = 0; i < p->ntests; i++) {
		size_t len = nt[i].input_len;
		if (len < LARGE_INPUT)
			continue;
		size_t at = n++; /* an insertion sort by length, stable */
		for (; at > 0 && nt[j->order[at - 1]].input_len < len; at--)
			j->order[at] = j->order[at - 1];
		j->order[at] = i;
	}
	for (size_t i = 0; i < p->ntests; i++)
		if (nt[i].input_len < LARGE_INPUT)
			j->order[n++] = i;
}

/*
 * A lane takes the next test in order until none is left; a test after one
 * that hit a limit (in file order) is not started.  Lane k starts at
 * position k (the rest from next = nlanes), so every lane runs one
 * whatever the threads' timing.
 */
static void *
lane_main(void *arg)
{
	struct lane_run *lr = arg;
	struct judging *j = lr->j;
	size_t ntests = j->p->ntests;
	bool first = true;
	for (;;) {
		pthread_mutex_lock(&j->mu);
		size_t pos = first ? lr->k : j->next++;
		first = false;
		size_t i = pos < ntests ? j->order[pos] : SIZE_MAX;
		bool go = i != SIZE_MAX && (j->stop_at == SIZE_MAX || i <= j->stop_at);
		pthread_mutex_unlock(&j->mu);
		if (i == SIZE_MAX)
			break;
		if (go)
			run_test(j, lr->k, i, lr->r, lr->actuals);
	}
	/* Only lane 0 serves the probe and the counterexample: a second lane's
	 * zygote ends now, its exit off the verdict's path when another lane
	 * is still running. */
	if (lr->k > 0)
		stop_lane(&j->lane[lr->k]);
	return NULL;
}

static void
run_tests(struct judging *j, struct sbx_result *r, char **actuals)
{
	plan_order(j);
	j->next = j->nlanes;
	j->stop_at = SIZE_MAX;
	j->ended = 0;
	pthread_mutex_init(&j->mu, NULL);
	pthread_mutex_init(&j->wmu, NULL);
	struct lane_run lr[SBX_LANES];
	pthread_t th[SBX_LANES];
	bool started[SBX_LANES] = {false};
	for (unsigned k = 1; k < j->nlanes; k++) {
		lr[k] = (struct lane_run){j, k, r, actuals};
		started[k] = pthread_create(&th[k], NULL, lane_main, &lr[k]) == 0;
	}
	lr[0] = (struct lane_run){j, 0, r, actuals};
	lane_main(&lr[0]);
	/* A lane whose thread did not start runs here: its first test is its
	 * own and no other lane takes it. */
	for (unsigned k = 1; k < j->nlanes; k++)
		if (!started[k])
			lane_main(&lr[k]);
	/* Lane 0 is done and the author's zygote takes its cgroup: it compiles
	 * while another lane may still run its last test, on the CPU lane 0 no
	 * longer uses, and its CPU lands in no test's figure. */
	if (j->o->counterexample || (j->o->probe && j->p->cls != SBX_CLASS_UNKNOWN)) {
		pthread_mutex_lock(&j->wmu);
		author_begin(j);
		pthread_mutex_unlock(&j->wmu);
	}
	for (unsigned k = 1; k < j->nlanes; k++)
		if (started[k])
			pthread_join(th[k], NULL);
	pthread_mutex_destroy(&j->mu);
	pthread_mutex_destroy(&j->wmu);
}

static void
skip_test(struct sbx_test_result *tr, char **actual, const char *message)
{
	free(tr->message);
	free(tr->stdout_x);
	free(tr->stderr_x);
	free(tr->actual);
	free(*actual);
	*actual = NULL;
	tr->message = message ? xstrdup(message) : NULL;
	tr->stdout_x = tr->stderr_x = tr->actual = NULL;
	tr->status = SBX_SKIPPED;
	tr->ok = false;
	tr->time_ms = 0;
	tr->mem_kb = 0;
}

/*
 * The lanes' results in test order, as one lane would have left them: the
 * first test that could not run, did not compile or hit a limit ends the
 * run, and whatever a second lane did after it is reported SKIPPED.
 */
static void
finish_tests(struct judging *j, struct sbx_result *r, char **actuals)
{
	const struct sbx_problem *p = j->p;
	size_t end = p->ntests;
	const char *after = NULL;
	for (size_t i = 0; i < p->ntests && end == p->ntests; i++) {
		struct test_note *note = &j->notes[i];
		if (!note->ran)
			continue;
		if (note->no_box) {
			set_internal(r, "the sandbox could not restart");
			end = i;
		} else if (note->compile_error) {
			r->status = SBX_COMPILE_ERROR;
			r->message = note->compile_error;
			note->compile_error = NULL;
			end = i;
		} else {
			r->time_ms += r->tests[i].time_ms;
			if (is_limit(r->tests[i].status)) {
				end = i + 1;
				after = "not run after an earlier limit was exceeded";
			}
		}
	}
	for (size_t i = end; i < p->ntests; i++) {
		free(j->notes[i].compile_error);
		skip_test(&r->tests[i], &actuals[i], after);
	}
}

enum tc_err
sbx_judge_run(struct sbx_worker *w, const struct sbx_problem *p, const char *code, size_t len,
    const struct sbx_judge_opts *o, struct sbx_result *r)
{
	memset(r, 0, sizeof(*r));
	if (w == NULL || p == NULL || o == NULL || (code == NULL && len > 0))
		return TC_EINVAL;
	sbx__warm_wait(w);
	r->level = w->level;
	r->total = (unsigned)p->ntests;
	struct judging j = {0};
	j.w = w;
	j.p = p;
	j.o = o;
	j.pol = effective_policy(p, o);
	if (w->level < o->policy.level) {
		char m[160];
		snprintf(m, sizeof(m), "sandbox level %s is below the required %s; refusing to run",
		    sbx_level_name(w->level), sbx_level_name(o->policy.level));
		set_internal(r, m);
		return TC_OK;
	}
	if (len > j.pol.max_source_bytes) {
		r->status = SBX_COMPILE_ERROR;
		r->message = fmt("the source is %zu bytes, over the %zu-byte limit", len,
		    j.pol.max_source_bytes);
		return TC_OK;
	}
	const char *names[] = {"solution"};
	const char *srcs[] = {code ? code : ""};
	size_t lens[] = {len};
	j.user_modules = modules_json(names, srcs, lens, 1);
	if (j.user_modules == NULL) {
		r->status = SBX_COMPILE_ERROR;
		r->message = xstrdup(memchr(code, '\0', len) ? "the source contains a NUL byte"
		                                             : "the source is not valid UTF-8");
		return TC_OK;
	}
	r->tests = calloc(p->ntests ? p->ntests : 1, sizeof(*r->tests));
	if (r->tests == NULL) {
		free(j.user_modules);
		return TC_ENOMEM;
	}
	r->ntests = p->ntests;
	r->status = SBX_ACCEPTED;
	for (size_t i = 0; i < p->ntests; i++) {
		struct sbx_test_result *tr = &r->tests[i];
		tr->name = xstrdup(p->tests[i].name);
		tr->hidden = p->tests[i].hidden;
		tr->status = SBX_SKIPPED;
		if (!tr->hidden) {
			tr->input = xstrdup(p->tests[i].input);
			tr->expected = xstrdup(p->tests[i].expected);
		}
	}
	char *compile_error = NULL;
	/* The user's zygotes (one per lane, warm ones when the worker has them)
	 * compile at once and answer before the first test, so no start-up lands
	 * in a test's CPU time.  The author's zygote is needed only after the
	 * tests (checker, counterexample, probe): it starts when lane 0 is done
	 * (run_tests), or when first needed. */
	j.nlanes = o->zygote && p->ntests > 1 ? w->lanes : 1;
	enum tc_err e = sbx__executor_begin(
	    &j.lane[0].x, w, 0, &j.pol, o->zygote, j.user_modules, p->entry_json);
	for (unsigned k = 1; e == TC_OK && k < j.nlanes; k++)
		if (sbx__executor_begin(
		        &j.lane[k].x, w, k, &j.pol, true, j.user_modules, p->entry_json) != TC_OK)
			j.nlanes = k; /* logged; the lanes before it do the work */
	if (e == TC_OK)
		e = sbx__executor_ready(&j.lane[0].x, &compile_error);
	if (e == TC_OK && compile_error == NULL) {
		j.lane[0].up = true;
		for (unsigned k = 1; k < j.nlanes; k++) {
			char *ce = NULL;
			if (sbx__executor_ready(&j.lane[k].x, &ce) != TC_OK || ce != NULL) {
				free(ce);
				stop_lane(&j.lane[k]);
				j.nlanes = k;
				break;
			}
			j.lane[k].up = true;
		}
	}
	if (e != TC_OK) {
		set_internal(r, "the sandbox could not start");
		goto done;
	}
	if (compile_error) {
		struct sbx_frame f;
		r->status = SBX_COMPILE_ERROR;
		if (sbx__frame_decode(compile_error, strlen(compile_error), &f) == TC_OK)
			r->message = fmt("line %ld: %s", f.line, f.error);
		sbx__frame_fini(&f);
		free(compile_error);
		goto done;
	}
	bool batch_check = p->has_checker && p->style != SBX_STYLE_STDIO;
	char **actuals = calloc(p->ntests, sizeof(char *)); /* checker problems: pending */
	j.notes = calloc(p->ntests, sizeof(*j.notes));
	j.order = calloc(p->ntests, sizeof(*j.order));
	if (actuals == NULL || j.notes == NULL || j.order == NULL) {
		free(actuals);
		free(j.notes);
		free(j.order);
		set_internal(r, "out of memory");
		goto done;
	}
	run_tests(&j, r, actuals);
	finish_tests(&j, r, actuals);
	free(j.notes);
	free(j.order);
	stop_user(&j);
	if (batch_check && r->status == SBX_ACCEPTED)
		check_pending(&j, r, actuals);
	for (size_t i = 0; i < p->ntests; i++)
		free(actuals[i]);
	free(actuals);
	if (r->status == SBX_ACCEPTED) {
		/* The verdict is the first failing test's, in test order. */
		for (size_t i = 0; i < r->ntests; i++) {
			struct sbx_test_result *tr = &r->tests[i];
			if (tr->ok) {
				r->passed++;
			} else if (r->status == SBX_ACCEPTED && tr->status != SBX_SKIPPED) {
				r->status = tr->status;
				r->message =
				    fmt("%s on test %s%s%s", sbx_status_name(tr->status), tr->name,
				        tr->message ? ": " : "", tr->message ? tr->message : "");
			}
		}
	}
	if (r->status == SBX_INTERNAL_ERROR || r->status == SBX_COMPILE_ERROR)
		goto done;
	stop_user(&j);
	if (o->counterexample && (r->status == SBX_WRONG_ANSWER || r->status == SBX_RUNTIME_ERROR))
		find_counterexample(&j, r);
	if (o->probe && p->cls != SBX_CLASS_UNKNOWN &&
	    (r->status == SBX_ACCEPTED || r->status == SBX_TIMEOUT))
		run_probe(&j, r);
done:
	stop_user(&j);
	stop_author(&j);
	free(j.user_modules);
	/* Warm zygotes serve one submission: the unused ones go too, and fresh
	 * ones start for the next submission once this one is swept. */
	sbx__warm_drop(w);
	sbx__worker_sweep(w);
	if (!sbx_worker_clean(w))
		set_internal(r, "processes or files of the run survived its end");
	if (o->prepare_next)
		sbx__warm_fill_async(w, &j.pol);
	return TC_OK;
}

/* ---- problem check --------------------------------------------------------------- */

enum tc_err
sbx_problem_check(struct sbx_worker *w, const struct sbx_problem *p, FILE *report)
{
	unsigned bad = 0, npub = 0, nhid = 0;
	for (size_t i = 0; i < p->ntests; i++)
		p->tests[i].hidden ? nhid++ : npub++;
	if (npub < 2 || npub > 3) {
		fprintf(report, "%s: %u public tests (want 2-3)\n", p->slug, npub);
		bad++;
	}
	if (nhid < 10) {
		fprintf(report, "%s: %u hidden tests (want at least 10)\n", p->slug, nhid);
		bad++;
	}
	struct sbx_judge_opts o;
	sbx_judge_opts_init(&o);
	o.probe = false;
	o.counterexample = false;
	o.policy.level = w->level;
	struct sbx_result r;
	enum tc_err e = sbx_judge_run(w, p, p->reference, strlen(p->reference), &o, &r);
	if (e != TC_OK)
		return e;
	if (r.status != SBX_ACCEPTED) {
		fprintf(report, "%s: the reference is not accepted: %s\n", p->slug,
		    r.message ? r.message : sbx_status_name(r.status));
		bad++;
	}
	for (size_t i = 0; i < r.ntests; i++) {
		if (!r.tests[i].ok)
			fprintf(report, "%s: test %s: %s %s\n", p->slug, r.tests[i].name,
			    sbx_status_name(r.tests[i].status),
			    r.tests[i].message ? r.tests[i].message : "");
	}
	sbx_result_fini(&r);
	sbx__warm_wait(w); /* the judging above left the filler running */
	struct judging j = {0};
	j.w = w;
	j.p = p;
	j.o = &o;
	j.pol = effective_policy(p, &o);
	/* The judge accepts an output equal to the expected one without the
	 * checker: the checker must accept every expected output. */
	if (p->has_checker && p->style != SBX_STYLE_STDIO && p->ntests > 0) {
		struct sbx_result cr;
		memset(&cr, 0, sizeof(cr));
		cr.tests = calloc(p->ntests, sizeof(*cr.tests));
		char **expected = calloc(p->ntests, sizeof(char *));
		if (cr.tests == NULL || expected == NULL) {
			free(cr.tests);
			free(expected);
			return TC_ENOMEM;
		}
		cr.ntests = p->ntests;
		for (size_t i = 0; i < p->ntests; i++)
			expected[i] = (char *)p->tests[i].expected;
		check_pending(&j, &cr, expected);
		for (size_t i = 0; i < p->ntests; i++) {
			if (!cr.tests[i].ok) {
				fprintf(report,
				    "%s: test %s: the checker rejects the expected output\n",
				    p->slug, p->tests[i].name);
				bad++;
			}
		}
		free(expected);
		sbx_result_fini(&cr);
	}
	/* The generator must give inputs of the right shape. */
	for (unsigned n = 1; n <= 8; n *= 2) {
		char *in = gen_input(&j, n, 0);
		if (in == NULL || !input_shape_ok(p, in)) {
			fprintf(report, "%s: gen(%u, 0) fails or returns a malformed input\n",
			    p->slug, n);
			bad++;
			free(in);
			break;
		}
		free(in);
	}
	stop_author(&j);
	sbx__warm_drop(w);
	sbx__worker_sweep(w);
	sbx__warm_fill_async(w, &j.pol);
	if (bad == 0)
		fprintf(report, "%s: ok (%zu tests)\n", p->slug, p->ntests);
	return bad ? TC_EPROTO : TC_OK;
}
