/*
 * sandbox/src/result.c - the result JSON: formatting and parsing.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "problem_priv.h"

#define MAX_RESULT_TESTS 4096
#define MAX_STR (1u << 20)

static const char *const status_names[] = {"ACCEPTED", "WRONG_ANSWER", "TIMEOUT", "MEMORY_LIMIT",
    "OUTPUT_LIMIT", "RUNTIME_ERROR", "COMPILE_ERROR", "INTERNAL_ERROR", "SKIPPED"};

const char *
sbx_status_name(enum sbx_status s)
{
	return (unsigned)s <= SBX_SKIPPED ? status_names[s] : "INTERNAL_ERROR";
}

enum tc_err
sbx_status_parse(const char *name, enum sbx_status *out)
{
	for (int i = 0; i <= SBX_SKIPPED; i++) {
		if (name && strcmp(name, status_names[i]) == 0) {
			*out = (enum sbx_status)i;
			return TC_OK;
		}
	}
	return TC_EINVAL;
}

static void
test_fini(struct sbx_test_result *t)
{
	free(t->name);
	free(t->message);
	free(t->stdout_x);
	free(t->stderr_x);
	free(t->input);
	free(t->expected);
	free(t->actual);
}

void
sbx_result_fini(struct sbx_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->ntests; i++)
		test_fini(&r->tests[i]);
	free(r->tests);
	free(r->message);
	free(r->cex.input);
	free(r->cex.expected);
	free(r->cex.actual);
	free(r->cex.message);
	free(r->probe.message);
	memset(r, 0, sizeof(*r));
}

/* A JSON text as a value, or as a string when it does not parse. */
static json_t *
json_value(const char *text)
{
	if (text == NULL)
		return json_null();
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
	if (v == NULL)
		v = json_loads(text, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, NULL);
	return v ? v : json_string(text);
}

static json_t *
str_or_null(const char *s)
{
	json_t *v = s ? json_string(s) : NULL;
	return v ? v : json_null();
}

static json_t *
cex_json(const struct sbx_counterexample *c)
{
	if (!c->found)
		return json_null();
	json_t *o = json_object();
	json_object_set_new(o, "n", json_integer(c->n));
	json_object_set_new(o, "input", json_value(c->input));
	json_object_set_new(o, "expected", json_value(c->expected));
	json_object_set_new(o, "actual", json_value(c->actual));
	json_object_set_new(o, "message", str_or_null(c->message));
	return o;
}

enum tc_err
sbx_result_format(const struct sbx_result *r, char **out)
{
	*out = NULL;
	json_t *o = json_object();
	if (o == NULL)
		return TC_ENOMEM;
	json_object_set_new(o, "status", json_string(sbx_status_name(r->status)));
	json_object_set_new(o, "passed", json_integer(r->passed));
	json_object_set_new(o, "total", json_integer(r->total));
	json_object_set_new(o, "time_ms", json_integer(r->time_ms));
	json_object_set_new(o, "message", str_or_null(r->message));
	json_object_set_new(o, "sandbox", json_string(sbx_level_name(r->level)));
	json_t *details = json_array();
	bool cex_placed = false;
	for (size_t i = 0; i < r->ntests; i++) {
		const struct sbx_test_result *t = &r->tests[i];
		json_t *d = json_object();
		json_object_set_new(d, "name", str_or_null(t->name));
		json_object_set_new(d, "hidden", json_boolean(t->hidden));
		json_object_set_new(d, "ok", json_boolean(t->ok));
		json_object_set_new(d, "status", json_string(sbx_status_name(t->status)));
		json_object_set_new(d, "time_ms", json_integer(t->time_ms));
		json_object_set_new(d, "mem_kb", json_integer(t->mem_kb));
		json_object_set_new(d, "message", str_or_null(t->message));
		json_object_set_new(d, "stdout", str_or_null(t->stdout_x));
		json_object_set_new(d, "stderr", str_or_null(t->stderr_x));
		if (!t->hidden) {
			json_object_set_new(d, "input", json_value(t->input));
			json_object_set_new(d, "expected", json_value(t->expected));
			json_object_set_new(d, "actual", json_value(t->actual));
		}
		if (!t->ok && !cex_placed && t->status != SBX_SKIPPED) {
			json_object_set_new(d, "counterexample", cex_json(&r->cex));
			cex_placed = true;
		} else {
			json_object_set_new(d, "counterexample", json_null());
		}
		json_array_append_new(details, d);
	}
	json_object_set_new(o, "details", details);
	json_object_set_new(o, "counterexample", cex_json(&r->cex));
	if (r->probe.done) {
		json_t *p = json_object(), *n = json_array(), *ms = json_array();
		for (unsigned i = 0; i < r->probe.count && i < SBX_PROBE_MAX; i++) {
			json_array_append_new(n, json_integer(r->probe.n[i]));
			json_array_append_new(ms, json_real(round(r->probe.ms[i] * 1000) / 1000));
		}
		json_object_set_new(p, "n", n);
		json_object_set_new(p, "ms", ms);
		json_object_set_new(p, "slope",
		    isfinite(r->probe.slope) ? json_real(round(r->probe.slope * 1000) / 1000)
		                             : json_null());
		json_object_set_new(p, "class", json_string(sbx_class_name(r->probe.cls)));
		json_object_set_new(
		    p, "reference_class", json_string(sbx_class_name(r->probe.reference)));
		json_object_set_new(p, "partial", json_boolean(r->probe.partial));
		json_object_set_new(p, "message", str_or_null(r->probe.message));
		json_object_set_new(o, "complexity_probe", p);
	} else {
		json_object_set_new(o, "complexity_probe", json_null());
	}
	*out = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	return *out ? TC_OK : TC_ENOMEM;
}

/* ---- parsing ---------------------------------------------------------------- */

static bool
get_uint(json_t *o, const char *key, unsigned *out)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 0x7fffffff)
		return false;
	*out = (unsigned)json_integer_value(v);
	return true;
}

/* An optional string (absent or null gives NULL). */
static bool
get_str(json_t *o, const char *key, char **out)
{
	json_t *v = json_object_get(o, key);
	*out = NULL;
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_string(v) || json_string_length(v) > MAX_STR)
		return false;
	*out = strdup(json_string_value(v));
	return *out != NULL;
}

/* Any JSON value kept as text (absent or null gives NULL). */
static bool
get_text(json_t *o, const char *key, char **out)
{
	json_t *v = json_object_get(o, key);
	*out = NULL;
	if (v == NULL || json_is_null(v))
		return true;
	*out = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	return *out != NULL && strlen(*out) <= MAX_STR;
}

static bool
get_status(json_t *o, const char *key, enum sbx_status *out)
{
	return sbx_status_parse(json_string_value(json_object_get(o, key)), out) == TC_OK;
}

static bool
parse_cex(json_t *c, struct sbx_counterexample *out)
{
	if (c == NULL || json_is_null(c))
		return true;
	if (!json_is_object(c))
		return false;
	out->found = true;
	return get_uint(c, "n", &out->n) && get_text(c, "input", &out->input) &&
	       get_text(c, "expected", &out->expected) && get_text(c, "actual", &out->actual) &&
	       get_str(c, "message", &out->message);
}

static bool
parse_probe(json_t *p, struct sbx_probe *out)
{
	if (p == NULL || json_is_null(p))
		return true;
	json_t *n = json_object_get(p, "n"), *ms = json_object_get(p, "ms");
	json_t *slope = json_object_get(p, "slope");
	if (!json_is_object(p) || !json_is_array(n) || !json_is_array(ms) ||
	    json_array_size(n) != json_array_size(ms) || json_array_size(n) > SBX_PROBE_MAX)
		return false;
	out->done = true;
	out->count = (unsigned)json_array_size(n);
	for (unsigned i = 0; i < out->count; i++) {
		json_t *a = json_array_get(n, i), *b = json_array_get(ms, i);
		if (!json_is_integer(a) || json_integer_value(a) < 0 ||
		    json_integer_value(a) > 0x7fffffff || !json_is_number(b))
			return false;
		out->n[i] = (unsigned)json_integer_value(a);
		out->ms[i] = json_number_value(b);
	}
	if (json_is_number(slope))
		out->slope = json_number_value(slope);
	else if (json_is_null(slope))
		out->slope = NAN;
	else
		return false;
	if (sbx_class_parse(json_string_value(json_object_get(p, "class")), &out->cls) != TC_OK)
		out->cls = SBX_CLASS_UNKNOWN;
	if (sbx_class_parse(
	        json_string_value(json_object_get(p, "reference_class")), &out->reference) != TC_OK)
		out->reference = SBX_CLASS_UNKNOWN;
	out->partial = json_is_true(json_object_get(p, "partial"));
	return get_str(p, "message", &out->message);
}

enum tc_err
sbx_result_parse(const char *text, size_t len, struct sbx_result *out)
{
	memset(out, 0, sizeof(*out));
	if (text == NULL || len > (256u << 20))
		return TC_EPROTO;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *details = json_object_get(o, "details");
	bool good = json_is_object(o) && get_status(o, "status", &out->status) &&
	            out->status != SBX_SKIPPED && get_uint(o, "passed", &out->passed) &&
	            get_uint(o, "total", &out->total) && get_uint(o, "time_ms", &out->time_ms) &&
	            get_str(o, "message", &out->message) && json_is_array(details) &&
	            json_array_size(details) <= MAX_RESULT_TESTS && out->passed <= out->total;
	if (good) {
		const char *lv = json_string_value(json_object_get(o, "sandbox"));
		if (lv == NULL || sbx_level_parse(lv, &out->level) != TC_OK)
			out->level = SBX_LEVEL_NONE;
	}
	if (good && json_array_size(details) > 0) {
		out->tests = calloc(json_array_size(details), sizeof(*out->tests));
		good = out->tests != NULL;
	}
	for (size_t i = 0; good && i < json_array_size(details); i++) {
		json_t *d = json_array_get(details, i);
		struct sbx_test_result *t = &out->tests[i];
		out->ntests++;
		json_t *ok = json_object_get(d, "ok"), *hidden = json_object_get(d, "hidden");
		good = json_is_object(d) && json_is_boolean(ok) && get_str(d, "name", &t->name) &&
		       t->name != NULL && get_uint(d, "time_ms", &t->time_ms) &&
		       get_uint(d, "mem_kb", &t->mem_kb) && get_str(d, "message", &t->message) &&
		       get_str(d, "stdout", &t->stdout_x) && get_str(d, "stderr", &t->stderr_x) &&
		       get_text(d, "input", &t->input) && get_text(d, "expected", &t->expected) &&
		       get_text(d, "actual", &t->actual) &&
		       (hidden == NULL || json_is_boolean(hidden));
		if (good) {
			t->ok = json_is_true(ok);
			t->hidden = json_is_true(hidden);
			if (!get_status(d, "status", &t->status))
				t->status = t->ok ? SBX_ACCEPTED : SBX_WRONG_ANSWER;
		}
	}
	if (good)
		good = parse_cex(json_object_get(o, "counterexample"), &out->cex) &&
		       parse_probe(json_object_get(o, "complexity_probe"), &out->probe);
	json_decref(o);
	if (!good) {
		sbx_result_fini(out);
		return TC_EPROTO;
	}
	return TC_OK;
}

/* ---- slope fit ----------------------------------------------------------------- */

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

enum tc_err
sbx_slope_fit(const double *n, const double *ms, size_t count, double *slope)
{
	/* Theil-Sen: the median of the slopes between every pair of points, so
	 * one noisy size cannot swing the estimate. */
	double x[16], y[16], s[120];
	size_t k = 0, m = 0;
	for (size_t i = 0; i < count && k < 16; i++) {
		if (!(n[i] > 0) || !(ms[i] > 0) || !isfinite(n[i]) || !isfinite(ms[i]))
			continue;
		x[k] = log(n[i]);
		y[k] = log(ms[i]);
		k++;
	}
	for (size_t i = 0; i < k; i++) {
		for (size_t j = i + 1; j < k; j++) {
			if (fabs(x[j] - x[i]) > 1e-9)
				s[m++] = (y[j] - y[i]) / (x[j] - x[i]);
		}
	}
	if (m == 0)
		return TC_EINVAL;
	qsort(s, m, sizeof(s[0]), cmp_double);
	*slope = m % 2 ? s[m / 2] : (s[m / 2 - 1] + s[m / 2]) / 2;
	return TC_OK;
}

enum sbx_class
sbx_class_from_slope(double slope, double n_mid)
{
	if (!isfinite(slope))
		return SBX_CLASS_UNKNOWN;
	double ln = log(n_mid > 2 ? n_mid : 2);
	/* The log-log slope each class shows around n_mid. */
	const struct {
		enum sbx_class c;
		double s;
	} k[] = {
	    {SBX_CLASS_1, 0.0},
	    {SBX_CLASS_LOGN, 1.0 / ln},
	    {SBX_CLASS_N, 1.0},
	    {SBX_CLASS_NLOGN, 1.0 + 1.0 / ln},
	    {SBX_CLASS_N2, 2.0},
	    {SBX_CLASS_N3, 3.0},
	};
	if (slope > 4.0)
		return SBX_CLASS_2N;
	enum sbx_class best = SBX_CLASS_1;
	double bd = INFINITY;
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		double d = fabs(slope - k[i].s);
		if (d < bd) {
			bd = d;
			best = k[i].c;
		}
	}
	return best;
}
