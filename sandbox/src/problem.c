/*
 * sandbox/src/problem.c - loading and validating a problem folder.
 *
 * Every file is read with a size cap and every JSON shape is checked
 * before use, so a malformed folder gives a clear message, never a crash.
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "problem_priv.h"

#define PROBLEM_JSON_CAP (64u << 10)
#define SOURCE_CAP (1u << 20)
#define TEST_CAP (32u << 20)
#define MAX_TESTS 256

static enum tc_err
fail(char *err, size_t errlen, enum tc_err code, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

static const char *const class_names[] = {
    "unknown", "O(1)", "O(log n)", "O(n)", "O(n log n)", "O(n^2)", "O(n^3)", "O(2^n)"};

const char *
sbx_class_name(enum sbx_class c)
{
	return (unsigned)c <= SBX_CLASS_2N ? class_names[c] : "unknown";
}

enum tc_err
sbx_class_parse(const char *name, enum sbx_class *out)
{
	for (int i = 1; i <= SBX_CLASS_2N; i++) {
		if (name && strcmp(name, class_names[i]) == 0) {
			*out = (enum sbx_class)i;
			return TC_OK;
		}
	}
	return TC_EINVAL;
}

void
sbx_problem_free(struct sbx_problem *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->ntests; i++) {
		free(p->tests[i].name);
		free(p->tests[i].input);
		free(p->tests[i].expected);
	}
	free(p->tests);
	free(p->dir);
	free(p->slug);
	free(p->entry_json);
	free(p->reference);
	free(p->gen);
	free(p->checker_src);
	free(p);
}

const char *
sbx_problem_slug(const struct sbx_problem *p)
{
	return p->slug;
}

size_t
sbx_problem_ntests(const struct sbx_problem *p)
{
	return p->ntests;
}

static bool
valid_slug(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Shape check of one test's input and expected for a style. */
static bool
test_shape_ok(enum sbx_style style, json_t *input, json_t *expected, const char **why)
{
	switch (style) {
	case SBX_STYLE_STDIO:
		if (!json_is_string(input) || !json_is_string(expected)) {
			*why = "stdio tests need string \"input\" and \"expected\"";
			return false;
		}
		return true;
	case SBX_STYLE_FUNCTION:
		if (!json_is_array(input)) {
			*why = "function tests need an array of arguments as \"input\"";
			return false;
		}
		return true;
	case SBX_STYLE_DESIGN: {
		json_t *ops = json_object_get(input, "ops"), *args = json_object_get(input, "args");
		if (!json_is_array(ops) || !json_is_array(args) || json_array_size(ops) == 0 ||
		    json_array_size(ops) != json_array_size(args)) {
			*why = "design tests need {\"ops\": [...], \"args\": [...]} of equal, "
			       "non-zero length";
			return false;
		}
		for (size_t i = 0; i < json_array_size(ops); i++) {
			if (!json_is_string(json_array_get(ops, i)) ||
			    !json_is_array(json_array_get(args, i))) {
				*why = "design ops must be strings and args arrays";
				return false;
			}
		}
		if (!json_is_array(expected) || json_array_size(expected) != json_array_size(ops)) {
			*why = "design \"expected\" must be a list with one result per op";
			return false;
		}
		return true;
	}
	}
	return false;
}

static enum tc_err
load_tests(struct sbx_problem *p, const char *sub, bool hidden, char *err, size_t errlen)
{
	char dir[1200];
	snprintf(dir, sizeof(dir), "%s/tests/%s", p->dir, sub);
	DIR *d = opendir(dir);
	if (d == NULL)
		return fail(err, errlen, TC_ENOENT, "%s: missing tests/%s/", p->slug, sub);
	char *names[MAX_TESTS];
	size_t nn = 0;
	struct dirent *de;
	enum tc_err rc = TC_OK;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0 || de->d_name[0] == '.')
			continue;
		if (nn >= MAX_TESTS) {
			rc = fail(
			    err, errlen, TC_EPROTO, "tests/%s: more than %d tests", sub, MAX_TESTS);
			break;
		}
		if ((names[nn] = strdup(de->d_name)) == NULL) {
			rc = TC_ENOMEM;
			break;
		}
		nn++;
	}
	closedir(d);
	qsort(names, nn, sizeof(names[0]), cmp_str);
	for (size_t i = 0; rc == TC_OK && i < nn; i++) {
		char path[1500];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		char *text = NULL;
		size_t len;
		enum tc_err e = sbx__read_file(path, TEST_CAP, &text, &len);
		if (e != TC_OK) {
			rc = fail(err, errlen, e == TC_ETOOBIG ? TC_EPROTO : e,
			    "tests/%s/%s: cannot read (%s)", sub, names[i], tc_strerror(e));
			break;
		}
		json_error_t je;
		json_t *t = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
		free(text);
		const char *why = NULL;
		json_t *name = json_object_get(t, "name");
		json_t *input = json_object_get(t, "input");
		json_t *expected = json_object_get(t, "expected");
		if (t == NULL)
			rc = fail(err, errlen, TC_EPROTO, "tests/%s/%s: line %d: %s", sub, names[i],
			    je.line, je.text);
		else if (!json_is_object(t) || !json_is_string(name) || input == NULL ||
		         expected == NULL)
			rc = fail(err, errlen, TC_EPROTO,
			    "tests/%s/%s: need an object with \"name\", \"input\", \"expected\"",
			    sub, names[i]);
		else if (!test_shape_ok(p->style, input, expected, &why))
			rc = fail(err, errlen, TC_EPROTO, "tests/%s/%s: %s", sub, names[i], why);
		if (rc == TC_OK) {
			struct sbx_test *nt = realloc(p->tests, (p->ntests + 1) * sizeof(*nt));
			if (nt == NULL) {
				rc = TC_ENOMEM;
			} else {
				p->tests = nt;
				struct sbx_test *x = &p->tests[p->ntests];
				memset(x, 0, sizeof(*x));
				x->hidden = hidden;
				x->name = strdup(json_string_value(name));
				x->input = json_dumps(input, JSON_COMPACT | JSON_ENCODE_ANY);
				x->expected = json_dumps(expected, JSON_COMPACT | JSON_ENCODE_ANY);
				p->ntests++;
				if (!x->name || !x->input || !x->expected)
					rc = TC_ENOMEM;
			}
		}
		json_decref(t);
	}
	for (size_t i = 0; i < nn; i++)
		free(names[i]);
	return rc;
}

static enum tc_err
load_source(const char *dir, const char *file, bool required, char **out, char *err, size_t errlen)
{
	char path[1200];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	size_t len;
	enum tc_err e = sbx__read_file(path, SOURCE_CAP, out, &len);
	if (e == TC_ENOENT && !required)
		return TC_OK;
	if (e != TC_OK)
		return fail(err, errlen, e == TC_ETOOBIG ? TC_EPROTO : e, "%s: %s", file,
		    e == TC_ENOENT ? "missing" : tc_strerror(e));
	if (memchr(*out, '\0', len) != NULL)
		return fail(err, errlen, TC_EPROTO, "%s: contains a NUL byte", file);
	json_t *probe = json_stringn(*out, len);
	if (probe == NULL)
		return fail(err, errlen, TC_EPROTO, "%s: not valid UTF-8", file);
	json_decref(probe);
	return TC_OK;
}

static enum tc_err
parse_meta(struct sbx_problem *p, json_t *m, char *err, size_t errlen)
{
	const char *style = json_string_value(json_object_get(m, "style"));
	json_t *slug = json_object_get(m, "slug");
	json_t *entry = json_object_get(m, "entry");
	json_t *limits = json_object_get(m, "limits");
	json_t *cmp = json_object_get(m, "compare");
	json_t *checker = json_object_get(m, "checker");
	json_t *cx = json_object_get(m, "complexity");
	if (!json_is_object(m))
		return fail(err, errlen, TC_EPROTO, "problem.json: not a JSON object");
	if (!json_is_string(slug) || !valid_slug(json_string_value(slug)))
		return fail(
		    err, errlen, TC_EPROTO, "problem.json: \"slug\" must be [a-z0-9-]{1,64}");
	if ((p->slug = strdup(json_string_value(slug))) == NULL)
		return TC_ENOMEM;
	if (!json_is_string(json_object_get(m, "title")))
		return fail(err, errlen, TC_EPROTO, "problem.json: \"title\" must be a string");
	if (style == NULL)
		return fail(err, errlen, TC_EPROTO, "problem.json: \"style\" is missing");
	if (strcmp(style, "function") == 0)
		p->style = SBX_STYLE_FUNCTION;
	else if (strcmp(style, "stdio") == 0)
		p->style = SBX_STYLE_STDIO;
	else if (strcmp(style, "design") == 0)
		p->style = SBX_STYLE_DESIGN;
	else
		return fail(err, errlen, TC_EPROTO,
		    "problem.json: \"style\" must be function, stdio or design");
	if (p->style != SBX_STYLE_STDIO) {
		if (!json_is_object(entry) || !json_is_string(json_object_get(entry, "class")) ||
		    (p->style == SBX_STYLE_FUNCTION &&
		        !json_is_string(json_object_get(entry, "method"))))
			return fail(err, errlen, TC_EPROTO,
			    "problem.json: \"entry\" needs \"class\" (and \"method\" for function "
			    "style)");
		p->entry_json = json_dumps(entry, JSON_COMPACT);
	} else {
		p->entry_json = strdup("{}");
	}
	if (p->entry_json == NULL)
		return TC_ENOMEM;
	json_t *tm = json_object_get(limits, "time_ms"), *mm = json_object_get(limits, "mem_mb");
	if (!json_is_object(limits) || !json_is_integer(tm) || !json_is_integer(mm) ||
	    json_integer_value(tm) < 1 || json_integer_value(tm) > 60000 ||
	    json_integer_value(mm) < 16 || json_integer_value(mm) > 8192)
		return fail(err, errlen, TC_EPROTO,
		    "problem.json: \"limits\" needs time_ms 1..60000 and mem_mb 16..8192");
	p->time_ms = (unsigned)json_integer_value(tm);
	p->mem_mb = (unsigned)json_integer_value(mm);
	p->compare = SBX_COMPARE_EXACT;
	if (cmp != NULL) {
		const char *c = json_string_value(cmp);
		if (c && strcmp(c, "exact") == 0)
			p->compare = SBX_COMPARE_EXACT;
		else if (c && strcmp(c, "unordered") == 0)
			p->compare = SBX_COMPARE_UNORDERED;
		else if (c && strcmp(c, "float") == 0)
			p->compare = SBX_COMPARE_FLOAT;
		else
			return fail(err, errlen, TC_EPROTO,
			    "problem.json: \"compare\" must be exact, unordered or float");
	}
	if (checker != NULL && !json_is_boolean(checker))
		return fail(
		    err, errlen, TC_EPROTO, "problem.json: \"checker\" must be true or false");
	p->has_checker = json_is_true(checker);
	if (cx != NULL) {
		json_t *pn = json_object_get(cx, "probe_n");
		if (!json_is_object(cx) ||
		    sbx_class_parse(json_string_value(json_object_get(cx, "class")), &p->cls) !=
		        TC_OK ||
		    !json_is_integer(pn) || json_integer_value(pn) < 1 ||
		    json_integer_value(pn) > 10000000)
			return fail(err, errlen, TC_EPROTO,
			    "problem.json: \"complexity\" needs a known \"class\" and probe_n "
			    "1..10000000");
		p->probe_n = (unsigned)json_integer_value(pn);
	}
	return TC_OK;
}

enum tc_err
sbx_problem_load(const char *dir, struct sbx_problem **out, char *err, size_t errlen)
{
	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (dir == NULL || strlen(dir) > 1000)
		return fail(err, errlen, TC_EINVAL, "bad problem directory");
	struct sbx_problem *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return TC_ENOMEM;
	p->dir = strdup(dir);
	p->slug = NULL;
	enum tc_err rc = p->dir ? TC_OK : TC_ENOMEM;
	char path[1200], *text = NULL;
	size_t len;
	if (rc == TC_OK) {
		snprintf(path, sizeof(path), "%s/problem.json", dir);
		rc = sbx__read_file(path, PROBLEM_JSON_CAP, &text, &len);
		if (rc != TC_OK)
			rc = fail(err, errlen, rc == TC_ETOOBIG ? TC_EPROTO : rc,
			    "problem.json: %s", rc == TC_ENOENT ? "missing" : tc_strerror(rc));
	}
	if (rc == TC_OK) {
		json_error_t je;
		json_t *m = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
		if (m == NULL)
			rc = fail(
			    err, errlen, TC_EPROTO, "problem.json: line %d: %s", je.line, je.text);
		else
			rc = parse_meta(p, m, err, errlen);
		json_decref(m);
	}
	free(text);
	if (rc == TC_OK)
		rc = load_source(dir, "reference.py", true, &p->reference, err, errlen);
	if (rc == TC_OK)
		rc = load_source(dir, "gen.py", true, &p->gen, err, errlen);
	if (rc == TC_OK)
		rc = load_source(dir, "checker.py", p->has_checker, &p->checker_src, err, errlen);
	if (rc == TC_OK)
		rc = load_tests(p, "public", false, err, errlen);
	if (rc == TC_OK)
		rc = load_tests(p, "hidden", true, err, errlen);
	if (rc == TC_OK && p->ntests == 0)
		rc = fail(err, errlen, TC_EPROTO, "no tests");
	if (rc != TC_OK) {
		if (rc == TC_ENOMEM)
			fail(err, errlen, rc, "out of memory");
		sbx_problem_free(p);
		return rc;
	}
	*out = p;
	return TC_OK;
}
