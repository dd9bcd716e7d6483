/*
 * sandbox/src/compare.c - comparing outputs (outside the box) and decoding
 * the harness's result frames.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "problem_priv.h"

#define VALUE_DEPTH_OK 1

static json_t *
load_any(const char *text)
{
	if (text == NULL)
		return NULL;
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
	return v;
}

/* Compact text without whitespace outside strings, for big-integer values. */
static char *
squeeze(const char *s)
{
	size_t n = strlen(s);
	char *o = malloc(n + 1);
	if (o == NULL)
		return NULL;
	size_t k = 0;
	bool in = false, esc = false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (in) {
			o[k++] = c;
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in = false;
		} else if (c == '"') {
			in = true;
			o[k++] = c;
		} else if (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
			o[k++] = c;
		}
	}
	o[k] = '\0';
	return o;
}

static bool
num(json_t *v, double *out)
{
	if (json_is_integer(v)) {
		*out = (double)json_integer_value(v);
		return true;
	}
	if (json_is_real(v)) {
		*out = json_real_value(v);
		return true;
	}
	return false;
}

static bool
float_equal(json_t *a, json_t *b, int depth)
{
	double x, y;
	if (depth > 256)
		return false;
	if (num(a, &x) && num(b, &y)) {
		double d = fabs(x - y);
		return d <= 1e-6 || d <= 1e-6 * fmax(fabs(x), fabs(y));
	}
	if (json_is_array(a) && json_is_array(b)) {
		if (json_array_size(a) != json_array_size(b))
			return false;
		for (size_t i = 0; i < json_array_size(a); i++) {
			if (!float_equal(json_array_get(a, i), json_array_get(b, i), depth + 1))
				return false;
		}
		return true;
	}
	if (json_is_object(a) && json_is_object(b)) {
		if (json_object_size(a) != json_object_size(b))
			return false;
		const char *k;
		json_t *v;
		json_object_foreach(a, k, v)
		{
			json_t *w = json_object_get(b, k);
			if (w == NULL || !float_equal(v, w, depth + 1))
				return false;
		}
		return true;
	}
	return json_equal(a, b);
}

struct keyed {
	char *key;
	json_t *v;
};

static int
cmp_keyed(const void *a, const void *b)
{
	return strcmp(((const struct keyed *)a)->key, ((const struct keyed *)b)->key);
}

static bool
unordered_equal(json_t *a, json_t *b)
{
	if (!json_is_array(a) || !json_is_array(b))
		return json_equal(a, b);
	size_t n = json_array_size(a);
	if (n != json_array_size(b))
		return false;
	if (n == 0)
		return true;
	struct keyed *ka = calloc(n, sizeof(*ka)), *kb = calloc(n, sizeof(*kb));
	bool eq = ka && kb;
	for (size_t i = 0; eq && i < n; i++) {
		ka[i].v = json_array_get(a, i);
		kb[i].v = json_array_get(b, i);
		ka[i].key = json_dumps(ka[i].v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		kb[i].key = json_dumps(kb[i].v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		eq = ka[i].key && kb[i].key;
	}
	if (eq) {
		qsort(ka, n, sizeof(*ka), cmp_keyed);
		qsort(kb, n, sizeof(*kb), cmp_keyed);
		for (size_t i = 0; eq && i < n; i++)
			eq = json_equal(ka[i].v, kb[i].v);
	}
	for (size_t i = 0; i < n; i++) {
		if (ka)
			free(ka[i].key);
		if (kb)
			free(kb[i].key);
	}
	free(ka);
	free(kb);
	return eq;
}

bool
sbx_compare_values(enum sbx_compare mode, const char *expected, const char *actual)
{
	if (expected == NULL || actual == NULL)
		return false;
	json_t *e = load_any(expected), *a = load_any(actual);
	bool eq = false;
	if (e && a) {
		switch (mode) {
		case SBX_COMPARE_EXACT:
			eq = json_equal(e, a);
			break;
		case SBX_COMPARE_UNORDERED:
			eq = unordered_equal(e, a);
			break;
		case SBX_COMPARE_FLOAT:
			eq = float_equal(e, a, 0);
			break;
		}
	} else if (!e && !a) {
		/* Neither parses as plain JSON (integers beyond 64 bits): compare
		 * the texts, but only if both are JSON once integers may be big. */
		json_t *e2 = json_loads(expected, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, NULL);
		json_t *a2 = json_loads(actual, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, NULL);
		if (e2 && a2) {
			char *x = squeeze(expected), *y = squeeze(actual);
			eq = x && y && strcmp(x, y) == 0;
			free(x);
			free(y);
		}
		json_decref(e2);
		json_decref(a2);
	}
	json_decref(e);
	json_decref(a);
	return eq;
}

/* Next line [*p, end): returns its length without trailing whitespace. */
static size_t
next_line(const char **p, const char *end, const char **start)
{
	const char *s = *p;
	const char *nl = memchr(s, '\n', (size_t)(end - s));
	const char *e = nl ? nl : end;
	*p = nl ? nl + 1 : end;
	*start = s;
	while (e > s &&
	       (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\f' || e[-1] == '\v'))
		e--;
	return (size_t)(e - s);
}

/* Length of text without trailing whitespace-only lines. */
static size_t
trim_tail(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t' ||
	                    s[n - 1] == '\r' || s[n - 1] == '\f' || s[n - 1] == '\v'))
		n--;
	return n;
}

bool
sbx_compare_stdio(const char *expected, size_t elen, const char *actual, size_t alen)
{
	if (expected == NULL)
		expected = "";
	if (actual == NULL)
		actual = "";
	elen = trim_tail(expected, elen);
	alen = trim_tail(actual, alen);
	const char *pe = expected, *ee = expected + elen;
	const char *pa = actual, *ea = actual + alen;
	while (pe < ee || pa < ea) {
		if (pe >= ee || pa >= ea)
			return false;
		const char *ls, *la;
		size_t n1 = next_line(&pe, ee, &ls);
		size_t n2 = next_line(&pa, ea, &la);
		if (n1 != n2 || memcmp(ls, la, n1) != 0)
			return false;
	}
	return true;
}

void
sbx__frame_fini(struct sbx_frame *f)
{
	free(f->value);
	free(f->error);
	memset(f, 0, sizeof(*f));
}

static const char ok_prefix[] = "{\"ok\":true,\"value\":";

enum tc_err
sbx__frame_decode(const char *data, size_t len, struct sbx_frame *out)
{
	memset(out, 0, sizeof(*out));
	if (data == NULL || len == 0 || len > (64u << 20))
		return TC_EPROTO;
	json_error_t je;
	json_t *f = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	if (f == NULL) {
		/* Integers beyond 64 bits: accept the harness's exact shape and keep
		 * the value's text. */
		size_t pl = sizeof(ok_prefix) - 1;
		if (len <= pl + 1 || memcmp(data, ok_prefix, pl) != 0 || data[len - 1] != '}')
			return TC_EPROTO;
		json_t *v =
		    json_loadb(data, len, JSON_DECODE_INT_AS_REAL | JSON_REJECT_DUPLICATES, NULL);
		json_t *inner = json_loadb(
		    data + pl, len - pl - 1, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, NULL);
		bool shape = v && inner && json_is_object(v) && json_object_size(v) == 2;
		json_decref(v);
		json_decref(inner);
		if (!shape)
			return TC_EPROTO;
		out->ok = true;
		out->value = strndup(data + pl, len - pl - 1);
		return out->value ? TC_OK : TC_ENOMEM;
	}
	enum tc_err rc = TC_EPROTO;
	if (!json_is_object(f))
		goto done;
	json_t *ce = json_object_get(f, "compile_error");
	if (ce != NULL) {
		if (!json_is_string(ce))
			goto done;
		out->compile_error = true;
		out->error = strdup(json_string_value(ce));
		json_t *line = json_object_get(f, "line");
		out->line = json_is_integer(line) ? (long)json_integer_value(line) : 0;
		rc = out->error ? TC_OK : TC_ENOMEM;
		goto done;
	}
	json_t *ok = json_object_get(f, "ok");
	if (!json_is_boolean(ok))
		goto done;
	out->ok = json_is_true(ok);
	json_t *v = json_object_get(f, "value");
	json_t *err = json_object_get(f, "error");
	json_t *line = json_object_get(f, "line");
	if (err != NULL && !json_is_string(err))
		goto done;
	if (line != NULL && !json_is_integer(line))
		goto done;
	if (!out->ok && err == NULL)
		goto done;
	out->memory = json_is_true(json_object_get(f, "memory"));
	out->internal = json_is_true(json_object_get(f, "internal"));
	out->line = line ? (long)json_integer_value(line) : 0;
	if (v != NULL && (out->value = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL) {
		rc = TC_ENOMEM;
		goto done;
	}
	if (err != NULL && (out->error = strdup(json_string_value(err))) == NULL) {
		rc = TC_ENOMEM;
		goto done;
	}
	rc = TC_OK;
done:
	json_decref(f);
	if (rc != TC_OK)
		sbx__frame_fini(out);
	return rc;
}
