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
 * - The overall status is the first failing test's.  A failure to
 *   sandbox as configured is INTERNAL_ERROR, logged, never a weaker run.
 */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
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

struct judging {
	struct sbx_worker *w;
	const struct sbx_problem *p;
	const struct sbx_judge_opts *o;
	struct sbx_policy pol;
	char *user_modules;
	struct sbx_executor user;
	bool user_up;
	struct sbx_executor author;
	bool author_up;
	bool author_failed;
};

static enum tc_err
start_user(struct judging *j, const struct sbx_policy *pol, char **compile_error)
{
	*compile_error = NULL;
	if (j->user_up)
		return TC_OK;
	enum tc_err e = sbx__executor_start(
	    &j->user, j->w, pol, j->o->zygote, j->user_modules, j->p->entry_json, compile_error);
	if (e == TC_OK && *compile_error == NULL)
		j->user_up = true;
	return e;
}

static void
stop_user(struct judging *j)
{
	if (j->user_up || j->user.w)
		sbx__executor_stop(&j->user);
	j->user_up = false;
	memset(&j->user, 0, sizeof(j->user));
}

static enum tc_err
start_author(struct judging *j)
{
	if (j->author_up)
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
	char *ce = NULL;
	enum tc_err e =
	    sbx__executor_start(&j->author, j->w, &pol, true, mods, j->p->entry_json, &ce);
	free(mods);
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

static void
stop_author(struct judging *j)
{
	if (j->author_up)
		sbx__executor_stop(&j->author);
	j->author_up = false;
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

/* Correctness of an actual output: comparison, or the checker for checker problems. */
static enum sbx_status
judge_output(struct judging *j, const char *input, const char *expected, struct outcome *oc)
{
	const struct sbx_problem *p = j->p;
	if (p->style == SBX_STYLE_STDIO) {
		json_t *e = json_loads(expected, JSON_DECODE_ANY, NULL);
		bool ok =
		    json_is_string(e) && sbx_compare_stdio(json_string_value(e),
		                             json_string_length(e), oc->ex.out, oc->ex.outlen);
		json_decref(e);
		return ok ? SBX_ACCEPTED : SBX_WRONG_ANSWER;
	}
	if (!p->has_checker)
		return sbx_compare_values(p->compare, expected, oc->actual) ? SBX_ACCEPTED
		                                                            : SBX_WRONG_ANSWER;
	if (start_author(j) != TC_OK)
		return SBX_INTERNAL_ERROR;
	char *req = fmt("{\"op\":\"check\",\"module\":\"checker\",\"input\":%s,\"expected\":%s,"
	                "\"actual\":%s}",
	    input, expected, oc->actual);
	if (req == NULL)
		return SBX_INTERNAL_ERROR;
	struct sbx_exec ex;
	enum tc_err e = sbx__executor_run(&j->author, req, NULL, 0, &ex);
	free(req);
	enum sbx_status st = SBX_INTERNAL_ERROR;
	struct sbx_frame f;
	if (e == TC_OK && ex.state == SBX_EXEC_DONE &&
	    sbx__frame_decode(ex.result, strlen(ex.result), &f) == TC_OK) {
		if (f.ok && f.value)
			st = strcmp(f.value, "true") == 0 ? SBX_ACCEPTED : SBX_WRONG_ANSWER;
		else
			tc_log(TC_LOG_ERROR, "judge", "%s: checker failed: %s", p->slug,
			    f.error ? f.error : "?");
		sbx__frame_fini(&f);
	} else {
		tc_log(TC_LOG_ERROR, "judge", "%s: checker did not run: %s", p->slug, ex.detail);
		if (!j->author.running)
			stop_author(j);
	}
	sbx__exec_fini(&ex);
	return st;
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

/* Run a batch; returns the array of per-item results (owned) or NULL. */
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
		got = run_batch(&j->user, batch_items(p, "call", "solution", inputs, NULL, NULL));
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

#define PROBE_CAP_MS 400

struct psize {
	unsigned n;
	char *input;
	double best_t, best_b; /* ms; INFINITY until measured */
	bool bad;
	bool self; /* best_t is the child's own CPU for the call (best_b 0) */
};

/*
 * One timed run at size s: the child's CPU time in ms from the cgroup
 * (*self_ms: the CPU the child reports for the call itself, or -1 when it
 * is missing or above what the cgroup measured).  Returns <0 on failure.
 */
static double
probe_run(
    struct judging *j, struct sbx_policy *pol, struct psize *s, bool baseline, double *self_ms)
{
	const struct sbx_problem *p = j->p;
	*self_ms = -1;
	char *compile_error = NULL;
	if (start_user(j, pol, &compile_error) != TC_OK || compile_error) {
		free(compile_error);
		return -2;
	}
	char *req;
	const char *sd = NULL;
	size_t sl = 0;
	if (baseline) {
		req = fmt("{\"op\":\"baseline\",\"style\":\"%s\",\"module\":\"solution\","
		          "\"input\":%s}",
		    p->style == SBX_STYLE_STDIO    ? "stdio"
		    : p->style == SBX_STYLE_DESIGN ? "design"
		                                   : "function",
		    p->style == SBX_STYLE_STDIO ? "null" : s->input);
	} else {
		char *plain = request_for(p, "solution", s->input, &sd, &sl);
		/* request_for's JSON starts with '{': add the timing flag. */
		req = plain ? fmt("{\"timed\":true,%s", plain + 1) : NULL;
		free(plain);
	}
	if (req == NULL) {
		free((char *)sd);
		return -2;
	}
	struct sbx_exec ex;
	enum tc_err e = sbx__executor_run(&j->user, req, sd, sl, &ex);
	free(req);
	free((char *)sd);
	double ms;
	if (e == TC_OK && ex.state == SBX_EXEC_DONE) {
		ms = ex.cpu_us / 1000.0;
		json_t *f = json_loads(ex.result, 0, NULL);
		json_t *c = json_object_get(f, "cpu_ns");
		if (json_is_true(json_object_get(f, "ok")) && json_is_integer(c) &&
		    json_integer_value(c) >= 0 && json_integer_value(c) / 1e6 <= ms + 1.0)
			*self_ms = (double)json_integer_value(c) / 1e6;
		json_decref(f);
	} else {
		ms = e == TC_OK && ex.state == SBX_EXEC_TIMEOUT ? -1 : -2;
	}
	if (!j->user.running)
		stop_user(j);
	sbx__exec_fini(&ex);
	return ms;
}

static bool
measure(struct judging *j, struct sbx_policy *pol, struct psize *s, bool with_baseline)
{
	if (s->input == NULL) {
		s->input = gen_input(j, s->n, 0);
		if (s->input == NULL)
			return false;
		s->best_t = s->best_b = INFINITY;
		s->self = true;
	}
	double self;
	double t = probe_run(j, pol, s, false, &self);
	if (t < 0) {
		s->bad = true;
		return false;
	}
	if (self >= 0 && s->self) {
		/* The call's own CPU, bounded by the cgroup's figure: no start-up
		 * noise to subtract. */
		s->best_t = fmin(s->best_t, self);
		s->best_b = 0;
		return true;
	}
	if (s->self) {
		/* Fall back to cgroup CPU minus a start-up baseline for this size. */
		s->self = false;
		s->best_t = INFINITY;
		with_baseline = true;
	}
	s->best_t = fmin(s->best_t, t);
	if (with_baseline || !isfinite(s->best_b)) {
		double b = probe_run(j, pol, s, true, &self);
		if (b < 0) {
			s->bad = true;
			return false;
		}
		s->best_b = fmin(s->best_b, b);
	}
	return true;
}

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

static void
run_probe(struct judging *j, struct sbx_result *r)
{
	const struct sbx_problem *p = j->p;
	uint64_t end = sbx__now_ms() + j->o->probe_budget_ms;
	struct sbx_policy pol = j->pol;
	pol.cpu_ms = PROBE_CAP_MS;
	pol.wall_ms = PROBE_CAP_MS + 200;
	stop_user(j); /* the probe's limits differ from the tests' */
	struct psize sz[SBX_PROBE_MAX + 8];
	memset(sz, 0, sizeof(sz));
	unsigned nsz = 0;
	/* A submission that timed out is probed from N/16 upwards: starting at N
	 * would spend the budget on timeouts. */
	unsigned n = r->status == SBX_TIMEOUT && p->probe_n >= 64 ? p->probe_n / 16 : p->probe_n;
	r->probe.done = true;
	r->probe.reference = p->cls;
	r->probe.slope = NAN;
	/* Find a size that runs under the cap, dividing by 4 after a timeout. */
	for (;;) {
		sz[nsz].n = n;
		bool ok = measure(j, &pol, &sz[nsz], true);
		if (sz[nsz].input == NULL) {
			r->probe.message = xstrdup("the generator failed");
			goto out;
		}
		if (ok)
			break;
		free(sz[nsz].input);
		sz[nsz].input = NULL;
		if (n < 8 || sbx__now_ms() > end) {
			r->probe.message = xstrdup("too slow to measure at any size");
			goto out;
		}
		n /= 4;
	}
	nsz = 1;
	/* After a timeout, secure two smaller sizes first: they are cheap. */
	unsigned low = sz[0].n;
	while (n < p->probe_n && nsz < 3 && low >= 2 && sbx__now_ms() < end) {
		low /= 2;
		sz[nsz].n = low;
		if (!measure(j, &pol, &sz[nsz], true)) {
			free(sz[nsz].input);
			sz[nsz].input = NULL;
			break;
		}
		nsz++;
	}
	/* Up while even a quadratic next step stays under the cap (at most 8N). */
	unsigned hi = 0;
	for (unsigned i = 0; i < nsz; i++)
		hi = sz[i].n > sz[hi].n ? i : hi;
	while (nsz < SBX_PROBE_MAX && sz[hi].n < p->probe_n * 8 &&
	       (sz[hi].best_t - sz[hi].best_b) * 4 + sz[hi].best_b * 2 < PROBE_CAP_MS &&
	       sbx__now_ms() < end) {
		sz[nsz].n = sz[hi].n * 2;
		hi = nsz;
		if (!measure(j, &pol, &sz[nsz], true)) {
			free(sz[nsz].input);
			sz[nsz].input = NULL;
			break;
		}
		nsz++;
	}
	/* Down until four sizes. */
	while (nsz < 4 && low >= 2 && sbx__now_ms() < end) {
		low /= 2;
		sz[nsz].n = low;
		if (!measure(j, &pol, &sz[nsz], true)) {
			free(sz[nsz].input);
			sz[nsz].input = NULL;
			break;
		}
		nsz++;
	}
	/* Repeats: the minimum of several runs is the least noisy estimate. */
	for (int rep = 0; rep < 5 && sbx__now_ms() < end; rep++)
		for (unsigned i = 0; i < nsz && sbx__now_ms() < end; i++)
			measure(j, &pol, &sz[i], rep < 2);
	/* Sort by n and report. */
	for (unsigned a = 0; a < nsz; a++)
		for (unsigned b = a + 1; b < nsz; b++)
			if (sz[b].n < sz[a].n) {
				struct psize t = sz[a];
				sz[a] = sz[b];
				sz[b] = t;
			}
	double xs[SBX_PROBE_MAX], ys[SBX_PROBE_MAX];
	unsigned k = 0, nfit = 0;
	double top = 0;
	for (unsigned i = 0; i < nsz && k < SBX_PROBE_MAX; i++) {
		double ms = sz[i].best_t - sz[i].best_b;
		r->probe.n[k] = sz[i].n;
		r->probe.ms[k] = ms > 0 ? ms : 0;
		k++;
		top = fmax(top, ms);
		/* Points lost in the start-up noise carry no information. */
		if (ms >= 0.5) {
			xs[nfit] = sz[i].n;
			ys[nfit] = ms;
			nfit++;
		}
	}
	r->probe.count = k;
	double slope;
	if (top < 1.0) {
		r->probe.slope = 0;
		r->probe.cls = SBX_CLASS_1;
		r->probe.message = xstrdup("below the timer's resolution at these sizes");
	} else if (nfit >= 2 && sbx_slope_fit(xs, ys, nfit, &slope) == TC_OK) {
		r->probe.slope = slope;
		double mid = sqrt(xs[0] * xs[nfit - 1]);
		r->probe.cls = sbx_class_from_slope(slope, mid);
		/* Slopes of neighbouring classes differ by less than the noise (n vs
		 * n log n): a slope consistent with the reference's class is
		 * reported as that class. */
		double want = class_slope(p->cls, mid);
		if (isfinite(want) && fabs(slope - want) <= 0.3)
			r->probe.cls = p->cls;
	} else if (r->probe.message == NULL) {
		r->probe.message = xstrdup("not enough sizes measured");
	}
out:
	for (unsigned i = 0; i < SBX_PROBE_MAX + 8; i++)
		free(sz[i].input);
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

/* Decide checker problems' tests in one run of the checker. */
static void
check_pending(struct judging *j, struct sbx_result *r, char **actuals)
{
	const struct sbx_problem *p = j->p;
	json_t *in = json_array(), *ex = json_array(), *ac = json_array();
	size_t idx[1024], k = 0;
	for (size_t i = 0; i < p->ntests && k < 1024; i++) {
		if (actuals[i] == NULL)
			continue;
		json_t *a = json_loads(actuals[i], JSON_DECODE_ANY, NULL);
		json_array_append_new(in, json_loads(p->tests[i].input, JSON_DECODE_ANY, NULL));
		json_array_append_new(ex, json_loads(p->tests[i].expected, JSON_DECODE_ANY, NULL));
		json_array_append_new(ac, a ? a : json_null());
		idx[k++] = i;
	}
	json_t *v = NULL;
	if (k > 0 && start_author(j) == TC_OK)
		v = run_batch(&j->author, batch_items(p, "check", "checker", in, ex, ac));
	for (size_t m = 0; m < k; m++) {
		struct sbx_test_result *tr = &r->tests[idx[m]];
		json_t *res = v ? json_array_get(v, m) : NULL;
		json_t *ok = json_object_get(res, "value");
		if (!json_is_true(json_object_get(res, "ok")) || !json_is_boolean(ok)) {
			tr->status = SBX_INTERNAL_ERROR;
			tr->ok = false;
			free(tr->message);
			tr->message = xstrdup("the checker failed");
			set_internal(r, "the problem's checker failed");
		} else {
			tr->ok = json_is_true(ok);
			tr->status = tr->ok ? SBX_ACCEPTED : SBX_WRONG_ANSWER;
		}
	}
	json_decref(v);
	json_decref(in);
	json_decref(ex);
	json_decref(ac);
}

/* ---- the judging ----------------------------------------------------------------- */

enum tc_err
sbx_judge_run(struct sbx_worker *w, const struct sbx_problem *p, const char *code, size_t len,
    const struct sbx_judge_opts *o, struct sbx_result *r)
{
	memset(r, 0, sizeof(*r));
	if (w == NULL || p == NULL || o == NULL || (code == NULL && len > 0))
		return TC_EINVAL;
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
	enum tc_err e = start_user(&j, &j.pol, &compile_error);
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
	bool skip = false;
	bool batch_check = p->has_checker && p->style != SBX_STYLE_STDIO;
	char **actuals = calloc(p->ntests, sizeof(char *)); /* checker problems: pending */
	if (actuals == NULL) {
		set_internal(r, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < p->ntests; i++) {
		const struct sbx_test *t = &p->tests[i];
		struct sbx_test_result *tr = &r->tests[i];
		if (skip) {
			tr->status = SBX_SKIPPED;
			tr->message = xstrdup("not run after an earlier limit was exceeded");
			continue;
		}
		if (!j.user_up && start_user(&j, &j.pol, &compile_error) != TC_OK) {
			set_internal(r, "the sandbox could not restart");
			break;
		}
		struct outcome oc;
		run_one(p, &j.user, "solution", t->input, &oc);
		if (oc.compile_error) {
			r->status = SBX_COMPILE_ERROR;
			r->message = oc.message;
			oc.message = NULL;
			outcome_fini(&oc);
			break;
		}
		enum sbx_status st = oc.status;
		if (st == SBX_ACCEPTED && batch_check && oc.actual) {
			actuals[i] = xstrdup(oc.actual); /* decided below, in one checker run */
		} else if (st == SBX_ACCEPTED) {
			st = judge_output(&j, t->input, t->expected, &oc);
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
		r->time_ms += tr->time_ms;
		if (st == SBX_INTERNAL_ERROR || st == SBX_TIMEOUT || st == SBX_MEMORY_LIMIT ||
		    st == SBX_OUTPUT_LIMIT)
			skip = true;
		if (o->zygote && !j.user.running)
			stop_user(&j);
		outcome_fini(&oc);
	}
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
	sbx__worker_sweep(w);
	if (!sbx_worker_clean(w))
		set_internal(r, "processes or files of the run survived its end");
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
	/* The generator must give inputs of the right shape. */
	struct judging j = {0};
	j.w = w;
	j.p = p;
	j.o = &o;
	j.pol = effective_policy(p, &o);
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
	sbx__worker_sweep(w);
	if (bad == 0)
		fprintf(report, "%s: ok (%zu tests)\n", p->slug, p->ntests);
	return bad ? TC_EPROTO : TC_OK;
}
