/*
 * core/metrics.h - counters, gauges and histograms with a Prometheus text
 * renderer (and CloudWatch Embedded Metric Format lines).
 *
 * Metrics are created once (registration takes a lock) and updated with
 * atomics from any thread.  A metric is identified by name plus an optional
 * label string written in Prometheus form, e.g. `reason="oversized"`; the
 * same name and labels return the same metric.
 */
#ifndef CORE_METRICS_H
#define CORE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct tc_metrics;
struct tc_metric;

enum tc_metric_kind {
	TC_METRIC_COUNTER = 0,
	TC_METRIC_GAUGE = 1,
	TC_METRIC_HISTOGRAM = 2,
};

/* Histogram bucket upper bounds are fixed; at most this many. */
#define TC_HIST_MAX_BUCKETS 24

enum tc_err tc_metrics_new(struct tc_metrics **out);
void tc_metrics_free(struct tc_metrics *m);

/*
 * tc_metrics_counter/gauge/histogram find or create a metric.  name must
 * match [a-zA-Z_:][a-zA-Z0-9_:]*; labels are NULL or `k="v",k2="v2"` with
 * values escaped as the exposition format says (\\, \" and \n; the EMF
 * renderer turns them into JSON).  bounds (ascending,
 * nbounds <= TC_HIST_MAX_BUCKETS) is used when the histogram is created.
 * The registry owns the metric; the handle lives as long as the registry.
 * Returns TC_EINVAL for a bad name or a kind clash.
 * Thread: any.  Blocks: on the registry lock.
 */
enum tc_err tc_metrics_counter(struct tc_metrics *m, const char *name, const char *help,
    const char *labels, struct tc_metric **out);
enum tc_err tc_metrics_gauge(struct tc_metrics *m, const char *name, const char *help,
    const char *labels, struct tc_metric **out);
enum tc_err tc_metrics_histogram(struct tc_metrics *m, const char *name, const char *help,
    const char *labels, const double *bounds, size_t nbounds, struct tc_metric **out);

/* Updates.  Thread: any.  Blocks: no.  A NULL metric is ignored. */
void tc_counter_add(struct tc_metric *c, uint64_t n);
void tc_gauge_set(struct tc_metric *g, int64_t v);
void tc_gauge_add(struct tc_metric *g, int64_t delta);
void tc_hist_observe(struct tc_metric *h, double v);

/* Reads, for tests and reports. */
uint64_t tc_counter_get(const struct tc_metric *c);
int64_t tc_gauge_get(const struct tc_metric *g);
uint64_t tc_hist_count(const struct tc_metric *h);

/*
 * tc_metrics_render writes the Prometheus text exposition of every metric.
 * *out is malloc'd and owned by the caller.  Thread: any.
 */
enum tc_err tc_metrics_render(struct tc_metrics *m, char **out, size_t *len);

/*
 * tc_metrics_render_emf writes one CloudWatch Embedded Metric Format JSON
 * line per metric (counters and gauges as values, histograms as count and
 * sum) under namespace ns.  *out is malloc'd and owned by the caller.
 */
enum tc_err tc_metrics_render_emf(
    struct tc_metrics *m, const char *ns, uint64_t ts_ms, char **out, size_t *len);

#endif /* CORE_METRICS_H */
