/*
 * metrics.c - a registry of counters, gauges and histograms.
 *
 * Design notes: registration is rare and takes the registry lock; updates
 * are lock-free atomics on the metric itself.  Metrics are never removed
 * while the registry lives, so handles stay valid.  Rendering walks the
 * registry under the lock, grouping series of the same name under one
 * HELP/TYPE header as the Prometheus text format requires.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"

struct tc_metric {
	enum tc_metric_kind kind;
	char *name;
	char *help;
	char *labels;
	_Atomic uint64_t count; /* counter value, or histogram count */
	_Atomic int64_t gauge;
	_Atomic uint64_t sum_bits; /* histogram sum, a double's bits */
	size_t nbounds;
	double bounds[TC_HIST_MAX_BUCKETS];
	_Atomic uint64_t buckets[TC_HIST_MAX_BUCKETS];
};

struct tc_metrics {
	pthread_mutex_t lock;
	struct tc_metric **items;
	size_t n, cap;
};

enum tc_err
tc_metrics_new(struct tc_metrics **out)
{
	struct tc_metrics *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return TC_ENOMEM;
	pthread_mutex_init(&m->lock, NULL);
	*out = m;
	return TC_OK;
}

void
tc_metrics_free(struct tc_metrics *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->items[i]->name);
		free(m->items[i]->help);
		free(m->items[i]->labels);
		free(m->items[i]);
	}
	free(m->items);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

static bool
name_ok(const char *s)
{
	if (s == NULL || !(isalpha((unsigned char)*s) || *s == '_' || *s == ':'))
		return false;
	for (; *s != '\0'; s++) {
		if (!(isalnum((unsigned char)*s) || *s == '_' || *s == ':'))
			return false;
	}
	return true;
}

static enum tc_err
find_or_add(struct tc_metrics *m, enum tc_metric_kind kind, const char *name, const char *help,
    const char *labels, const double *bounds, size_t nbounds, struct tc_metric **out)
{
	enum tc_err rv = TC_OK;
	const char *lab = labels != NULL ? labels : "";

	if (m == NULL || !name_ok(name) || nbounds > TC_HIST_MAX_BUCKETS)
		return TC_EINVAL;
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->n; i++) {
		struct tc_metric *x = m->items[i];
		if (strcmp(x->name, name) == 0) {
			if (x->kind != kind) {
				rv = TC_EINVAL;
				goto done;
			}
			if (strcmp(x->labels, lab) == 0) {
				*out = x;
				goto done;
			}
		}
	}
	if (m->n == m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 32;
		struct tc_metric **ni = realloc(m->items, nc * sizeof(*ni));
		if (ni == NULL) {
			rv = TC_ENOMEM;
			goto done;
		}
		m->items = ni;
		m->cap = nc;
	}
	struct tc_metric *x = calloc(1, sizeof(*x));
	if (x == NULL) {
		rv = TC_ENOMEM;
		goto done;
	}
	x->kind = kind;
	x->name = strdup(name);
	x->help = strdup(help != NULL ? help : "");
	x->labels = strdup(lab);
	if (x->name == NULL || x->help == NULL || x->labels == NULL) {
		free(x->name);
		free(x->help);
		free(x->labels);
		free(x);
		rv = TC_ENOMEM;
		goto done;
	}
	x->nbounds = nbounds;
	for (size_t i = 0; i < nbounds; i++)
		x->bounds[i] = bounds[i];
	m->items[m->n++] = x;
	*out = x;
done:
	pthread_mutex_unlock(&m->lock);
	return rv;
}

enum tc_err
tc_metrics_counter(struct tc_metrics *m, const char *name, const char *help, const char *labels,
    struct tc_metric **out)
{
	return find_or_add(m, TC_METRIC_COUNTER, name, help, labels, NULL, 0, out);
}

enum tc_err
tc_metrics_gauge(struct tc_metrics *m, const char *name, const char *help, const char *labels,
    struct tc_metric **out)
{
	return find_or_add(m, TC_METRIC_GAUGE, name, help, labels, NULL, 0, out);
}

enum tc_err
tc_metrics_histogram(struct tc_metrics *m, const char *name, const char *help, const char *labels,
    const double *bounds, size_t nbounds, struct tc_metric **out)
{
	for (size_t i = 1; i < nbounds; i++) {
		if (!(bounds[i] > bounds[i - 1]))
			return TC_EINVAL;
	}
	return find_or_add(m, TC_METRIC_HISTOGRAM, name, help, labels, bounds, nbounds, out);
}

void
tc_counter_add(struct tc_metric *c, uint64_t n)
{
	if (c != NULL && n > 0)
		atomic_fetch_add_explicit(&c->count, n, memory_order_relaxed);
}

void
tc_gauge_set(struct tc_metric *g, int64_t v)
{
	if (g != NULL)
		atomic_store_explicit(&g->gauge, v, memory_order_relaxed);
}

void
tc_gauge_add(struct tc_metric *g, int64_t d)
{
	if (g != NULL)
		atomic_fetch_add_explicit(&g->gauge, d, memory_order_relaxed);
}

static double
bits_double(uint64_t b)
{
	double d;
	memcpy(&d, &b, sizeof(d));
	return d;
}

static uint64_t
double_bits(double d)
{
	uint64_t b;
	memcpy(&b, &d, sizeof(b));
	return b;
}

void
tc_hist_observe(struct tc_metric *h, double v)
{
	if (h == NULL || isnan(v))
		return;
	for (size_t i = 0; i < h->nbounds; i++) {
		if (v <= h->bounds[i]) {
			atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);
			break;
		}
	}
	atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
	uint64_t old = atomic_load(&h->sum_bits);
	while (!atomic_compare_exchange_weak(&h->sum_bits, &old, double_bits(bits_double(old) + v)))
		;
}

uint64_t
tc_counter_get(const struct tc_metric *c)
{
	return c != NULL ? atomic_load(&((struct tc_metric *)c)->count) : 0;
}

int64_t
tc_gauge_get(const struct tc_metric *g)
{
	return g != NULL ? atomic_load(&((struct tc_metric *)g)->gauge) : 0;
}

uint64_t
tc_hist_count(const struct tc_metric *h)
{
	return tc_counter_get(h);
}

/* ---- rendering --------------------------------------------------------- */

struct out {
	char *p;
	size_t len, cap;
	bool failed;
};

static void __attribute__((format(printf, 2, 3))) outf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	if (o->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->failed = true;
			return;
		}
		if ((size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		size_t nc = o->cap * 2 + (size_t)n;
		char *np = realloc(o->p, nc);
		if (np == NULL) {
			o->failed = true;
			return;
		}
		o->p = np;
		o->cap = nc;
	}
}

static const char *const kind_names[] = {"counter", "gauge", "histogram"};

static void
series(struct out *o, const char *name, const char *suffix, const char *labels, const char *extra)
{
	bool any = labels[0] != '\0' || extra != NULL;
	outf(o, "%s%s%s%s%s%s%s", name, suffix, any ? "{" : "", labels,
	    labels[0] != '\0' && extra != NULL ? "," : "", extra != NULL ? extra : "",
	    any ? "}" : "");
}

static void
render_one(struct out *o, const struct tc_metric *x)
{
	switch (x->kind) {
	case TC_METRIC_COUNTER:
		series(o, x->name, "", x->labels, NULL);
		outf(o, " %" PRIu64 "\n", tc_counter_get(x));
		break;
	case TC_METRIC_GAUGE:
		series(o, x->name, "", x->labels, NULL);
		outf(o, " %" PRId64 "\n", tc_gauge_get(x));
		break;
	case TC_METRIC_HISTOGRAM: {
		uint64_t cum = 0;
		char le[64];
		for (size_t i = 0; i < x->nbounds; i++) {
			cum += atomic_load(&((struct tc_metric *)x)->buckets[i]);
			snprintf(le, sizeof(le), "le=\"%g\"", x->bounds[i]);
			series(o, x->name, "_bucket", x->labels, le);
			outf(o, " %" PRIu64 "\n", cum);
		}
		uint64_t count = tc_counter_get(x);
		series(o, x->name, "_bucket", x->labels, "le=\"+Inf\"");
		outf(o, " %" PRIu64 "\n", count);
		series(o, x->name, "_sum", x->labels, NULL);
		outf(o, " %.17g\n", bits_double(atomic_load(&((struct tc_metric *)x)->sum_bits)));
		series(o, x->name, "_count", x->labels, NULL);
		outf(o, " %" PRIu64 "\n", count);
		break;
	}
	}
}

/* HELP text escapes backslash and newline (the exposition format's rule). */
static void
help_escaped(struct out *o, const char *help)
{
	const char *p = help;
	for (;;) {
		size_t span = strcspn(p, "\\\n");
		outf(o, "%.*s", (int)span, p);
		p += span;
		if (*p == '\0')
			return;
		outf(o, "%s", *p == '\\' ? "\\\\" : "\\n");
		p++;
	}
}

enum tc_err
tc_metrics_render(struct tc_metrics *m, char **out_text, size_t *out_len)
{
	struct out o = {malloc(4096), 0, 4096, false};
	if (o.p == NULL)
		return TC_ENOMEM;
	o.p[0] = '\0';
	pthread_mutex_lock(&m->lock);
	bool *done = calloc(m->n + 1, sizeof(*done));
	if (done == NULL)
		o.failed = true;
	for (size_t i = 0; i < m->n && !o.failed; i++) {
		if (done[i])
			continue;
		const struct tc_metric *x = m->items[i];
		outf(&o, "# HELP %s ", x->name);
		help_escaped(&o, x->help);
		outf(&o, "\n# TYPE %s %s\n", x->name, kind_names[x->kind]);
		for (size_t j = i; j < m->n; j++) {
			if (!done[j] && strcmp(m->items[j]->name, x->name) == 0) {
				render_one(&o, m->items[j]);
				done[j] = true;
			}
		}
	}
	pthread_mutex_unlock(&m->lock);
	free(done);
	if (o.failed) {
		free(o.p);
		return TC_ENOMEM;
	}
	*out_text = o.p;
	if (out_len != NULL)
		*out_len = o.len;
	return TC_OK;
}

/*
 * The closing quote of a label value that starts at v (after its opening
 * quote), skipping the exposition format's escapes (\\, \" and \n); NULL
 * when the value is not closed.
 */
static const char *
label_value_end(const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' && v[1] != '\0')
			v++;
		else if (*v == '"')
			return v;
	}
	return NULL;
}

/* Raw bytes [s, end) as the body of a JSON string: quote, backslash and
 * control characters escaped. */
static void
json_chars(struct out *o, const char *s, const char *end)
{
	while (s < end) {
		const char *run = s;
		while (s < end && *s != '"' && *s != '\\' && (unsigned char)*s >= 0x20)
			s++;
		if (s > run)
			outf(o, "%.*s", (int)(s - run), run);
		if (s == end)
			break;
		unsigned char c = (unsigned char)*s++;
		if (c < 0x20)
			outf(o, "\\u%04x", c);
		else
			outf(o, "\\%c", c);
	}
}

/* A label value in the exposition format's escaping, [s, end), as the body
 * of a JSON string: its three escapes are JSON's too; a lone backslash and
 * raw control characters are escaped. */
static void
json_label_value(struct out *o, const char *s, const char *end)
{
	for (; s < end; s++) {
		if (*s == '\\' && s + 1 < end && (s[1] == '\\' || s[1] == '"' || s[1] == 'n')) {
			outf(o, "\\%c", s[1]);
			s++;
		} else {
			json_chars(o, s, s + 1);
		}
	}
}

/* Writes labels `a="x",b="y"` as JSON members "a":"x","b":"y". */
static void
labels_json(struct out *o, const char *labels)
{
	const char *p = labels;
	while (*p != '\0') {
		const char *eq = strchr(p, '=');
		if (eq == NULL || eq[1] != '"')
			return;
		const char *end = label_value_end(eq + 2);
		if (end == NULL)
			return;
		outf(o, ",\"");
		json_chars(o, p, eq);
		outf(o, "\":\"");
		json_label_value(o, eq + 2, end);
		outf(o, "\"");
		p = end + 1;
		if (*p == ',')
			p++;
	}
}

static void
labels_dims(struct out *o, const char *labels)
{
	const char *p = labels;
	bool first = true;
	while (*p != '\0') {
		const char *eq = strchr(p, '=');
		if (eq == NULL)
			return;
		outf(o, "%s\"", first ? "" : ",");
		json_chars(o, p, eq);
		outf(o, "\"");
		first = false;
		const char *end = eq[1] == '"' ? label_value_end(eq + 2) : NULL;
		if (end == NULL)
			return;
		p = end + 1;
		if (*p == ',')
			p++;
	}
}

enum tc_err
tc_metrics_render_emf(
    struct tc_metrics *m, const char *ns, uint64_t ts_ms, char **out_text, size_t *out_len)
{
	struct out o = {malloc(4096), 0, 4096, false};
	if (o.p == NULL)
		return TC_ENOMEM;
	o.p[0] = '\0';
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->n && !o.failed; i++) {
		const struct tc_metric *x = m->items[i];
		const char *unit = "Count";
		outf(&o,
		    "{\"_aws\":{\"Timestamp\":%" PRIu64 ",\"CloudWatchMetrics\":[{\"Namespace\":\"",
		    ts_ms);
		json_chars(&o, ns, ns + strlen(ns));
		outf(&o, "\",\"Dimensions\":[[");
		labels_dims(&o, x->labels);
		outf(&o, "]],\"Metrics\":[{\"Name\":\"%s\",\"Unit\":\"%s\"}]}]}", x->name, unit);
		labels_json(&o, x->labels);
		if (x->kind == TC_METRIC_GAUGE)
			outf(&o, ",\"%s\":%" PRId64 "}\n", x->name, tc_gauge_get(x));
		else if (x->kind == TC_METRIC_COUNTER)
			outf(&o, ",\"%s\":%" PRIu64 "}\n", x->name, tc_counter_get(x));
		else
			outf(&o, ",\"%s\":%" PRIu64 ",\"%s_sum\":%.17g}\n", x->name,
			    tc_counter_get(x), x->name,
			    bits_double(atomic_load(&((struct tc_metric *)x)->sum_bits)));
	}
	pthread_mutex_unlock(&m->lock);
	if (o.failed) {
		free(o.p);
		return TC_ENOMEM;
	}
	*out_text = o.p;
	if (out_len != NULL)
		*out_len = o.len;
	return TC_OK;
}
