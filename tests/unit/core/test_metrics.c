/*
 * Metrics: counters, gauges and histograms; the exact Prometheus text;
 * EMF lines as JSON; names checked; updates from many threads.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "core/node.h"
#include "ct.h"
#include "xt.h"

static struct tc_metrics *
registry(void)
{
	struct tc_metrics *m = NULL;
	XT_OK(tc_metrics_new(&m));
	return m;
}

static char *
render(struct tc_metrics *m)
{
	char *text = NULL;
	size_t len = 0;
	XT_OK(tc_metrics_render(m, &text, &len));
	cr_assert_eq(strlen(text), len);
	return text;
}

Test(core_metrics, values_update_and_read_back)
{
	struct tc_metrics *m = registry();
	struct tc_metric *c, *c2, *g, *h;
	static const double b[] = {1, 2};

	XT_OK(tc_metrics_counter(m, "tc_c_total", "C.", NULL, &c));
	XT_OK(tc_metrics_counter(m, "tc_c_total", "ignored", NULL, &c2));
	cr_assert_eq(c, c2, "same name and labels give the same metric");
	XT_OK(tc_metrics_counter(m, "tc_c_total", "C.", "x=\"1\"", &c2));
	cr_assert_neq(c, c2);
	XT_OK(tc_metrics_gauge(m, "tc_g", "G.", NULL, &g));
	XT_OK(tc_metrics_histogram(m, "tc_h", "H.", NULL, b, 2, &h));

	tc_counter_add(c, 3);
	tc_counter_add(c, 0);
	tc_counter_add(c, 4);
	cr_assert_eq(tc_counter_get(c), 7);
	cr_assert_eq(tc_counter_get(c2), 0);
	tc_gauge_set(g, -5);
	tc_gauge_add(g, 2);
	cr_assert_eq(tc_gauge_get(g), -3);
	tc_hist_observe(h, 1.5);
	tc_hist_observe(h, NAN); /* ignored */
	cr_assert_eq(tc_hist_count(h), 1);

	/* NULL handles are ignored. */
	tc_counter_add(NULL, 1);
	tc_gauge_set(NULL, 1);
	tc_gauge_add(NULL, 1);
	tc_hist_observe(NULL, 1);
	cr_assert_eq(tc_counter_get(NULL), 0);
	tc_metrics_free(m);
	tc_metrics_free(NULL);
}

Test(core_metrics, prometheus_text_is_exact)
{
	struct tc_metrics *m = registry();
	struct tc_metric *req_get, *req_put, *up, *lat;
	static const double bounds[] = {0.5, 1, 8};

	XT_OK(tc_metrics_counter(
	    m, "tc_requests_total", "Requests served.", "method=\"GET\"", &req_get));
	XT_OK(tc_metrics_gauge(m, "tc_up", "Whether it is up.", NULL, &up));
	XT_OK(tc_metrics_histogram(
	    m, "tc_latency_seconds", "Latency.", "route=\"/r\"", bounds, 3, &lat));
	/* Registered after another name: still grouped under the first header. */
	XT_OK(tc_metrics_counter(
	    m, "tc_requests_total", "Requests served.", "method=\"PUT\"", &req_put));

	tc_counter_add(req_get, 12);
	tc_counter_add(req_put, 1);
	tc_gauge_set(up, 1);
	const double obs[] = {0.25, 0.5, 0.5, 4, 64};
	for (size_t i = 0; i < 5; i++)
		tc_hist_observe(lat, obs[i]);

	char *text = render(m);
	const char *want = "# HELP tc_requests_total Requests served.\n"
	                   "# TYPE tc_requests_total counter\n"
	                   "tc_requests_total{method=\"GET\"} 12\n"
	                   "tc_requests_total{method=\"PUT\"} 1\n"
	                   "# HELP tc_up Whether it is up.\n"
	                   "# TYPE tc_up gauge\n"
	                   "tc_up 1\n"
	                   "# HELP tc_latency_seconds Latency.\n"
	                   "# TYPE tc_latency_seconds histogram\n"
	                   "tc_latency_seconds_bucket{route=\"/r\",le=\"0.5\"} 3\n"
	                   "tc_latency_seconds_bucket{route=\"/r\",le=\"1\"} 3\n"
	                   "tc_latency_seconds_bucket{route=\"/r\",le=\"8\"} 4\n"
	                   "tc_latency_seconds_bucket{route=\"/r\",le=\"+Inf\"} 5\n"
	                   "tc_latency_seconds_sum{route=\"/r\"} 69.25\n"
	                   "tc_latency_seconds_count{route=\"/r\"} 5\n";
	cr_assert_str_eq(text, want);
	free(text);
	tc_metrics_free(m);
}

Test(core_metrics, histogram_without_labels_has_only_le)
{
	struct tc_metrics *m = registry();
	struct tc_metric *h;
	static const double bounds[] = {10};

	XT_OK(tc_metrics_histogram(m, "tc_size_bytes", "Sizes.", NULL, bounds, 1, &h));
	tc_hist_observe(h, 10);
	tc_hist_observe(h, 11);
	char *text = render(m);
	cr_assert_str_eq(text, "# HELP tc_size_bytes Sizes.\n"
	                       "# TYPE tc_size_bytes histogram\n"
	                       "tc_size_bytes_bucket{le=\"10\"} 1\n"
	                       "tc_size_bytes_bucket{le=\"+Inf\"} 2\n"
	                       "tc_size_bytes_sum 21\n"
	                       "tc_size_bytes_count 2\n");
	free(text);
	tc_metrics_free(m);
}

Test(core_metrics, help_text_is_escaped)
{
	struct tc_metrics *m = registry();
	struct tc_metric *c;

	/* The exposition format escapes backslash and newline in HELP. */
	XT_OK(tc_metrics_counter(m, "tc_odd_total", "Two\nlines \\ here.", NULL, &c));
	char *text = render(m);
	cr_assert_str_eq(text, "# HELP tc_odd_total Two\\nlines \\\\ here.\n"
	                       "# TYPE tc_odd_total counter\n"
	                       "tc_odd_total 0\n");
	free(text);
	tc_metrics_free(m);
}

Test(core_metrics, bad_names_and_kind_clashes_are_refused)
{
	struct tc_metrics *m = registry();
	struct tc_metric *x = NULL;
	static const double down[] = {2, 1}, same[] = {1, 1};
	double many[TC_HIST_MAX_BUCKETS + 1];
	const char *bad[] = {"", "1abc", "a-b", "a b", "a.b", "é", "a{b}"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		XT_ERR(tc_metrics_counter(m, bad[i], "h", NULL, &x), TC_EINVAL);
	XT_ERR(tc_metrics_gauge(m, NULL, "h", NULL, &x), TC_EINVAL);
	XT_OK(tc_metrics_counter(m, "_ok:name_1", "h", NULL, &x));
	XT_OK(tc_metrics_counter(m, "tc_clash", "h", NULL, &x));
	XT_ERR(tc_metrics_gauge(m, "tc_clash", "h", NULL, &x), TC_EINVAL);
	XT_ERR(tc_metrics_histogram(m, "tc_clash", "h", "a=\"b\"", NULL, 0, &x), TC_EINVAL);
	XT_ERR(tc_metrics_histogram(m, "tc_h1", "h", NULL, down, 2, &x), TC_EINVAL);
	XT_ERR(tc_metrics_histogram(m, "tc_h2", "h", NULL, same, 2, &x), TC_EINVAL);
	for (size_t i = 0; i < TC_HIST_MAX_BUCKETS + 1; i++)
		many[i] = (double)i;
	XT_ERR(tc_metrics_histogram(m, "tc_h3", "h", NULL, many, TC_HIST_MAX_BUCKETS + 1, &x),
	    TC_EINVAL);
	XT_OK(tc_metrics_histogram(m, "tc_h4", "h", NULL, many, TC_HIST_MAX_BUCKETS, &x));

	/* Nothing refused was registered. */
	char *text = render(m);
	cr_assert_null(strstr(text, "tc_h1"));
	cr_assert_null(strstr(text, "tc_h3"));
	cr_assert_null(strstr(text, "a-b"));
	free(text);
	tc_metrics_free(m);
}

static void
check_emf_line(const char *line, uint64_t ts, const char *ns, const char *name, const char *dim,
    const char *dim_value, json_int_t value)
{
	json_error_t err;
	json_t *o = json_loads(line, 0, &err);
	cr_assert_not_null(o, "not JSON: %s (%s)", line, err.text);
	cr_assert(json_is_object(o));
	json_t *aws = json_object_get(o, "_aws");
	cr_assert(json_is_object(aws));
	cr_assert_eq(json_integer_value(json_object_get(aws, "Timestamp")), (json_int_t)ts);
	json_t *cwm = json_object_get(aws, "CloudWatchMetrics");
	cr_assert(json_is_array(cwm) && json_array_size(cwm) == 1);
	json_t *d0 = json_array_get(cwm, 0);
	cr_assert_str_eq(json_string_value(json_object_get(d0, "Namespace")), ns);
	json_t *dims = json_object_get(d0, "Dimensions");
	cr_assert(json_is_array(dims) && json_array_size(dims) == 1);
	json_t *set = json_array_get(dims, 0);
	cr_assert(json_is_array(set));
	cr_assert_eq(json_array_size(set), dim != NULL ? 1 : 0);
	json_t *mets = json_object_get(d0, "Metrics");
	cr_assert(json_is_array(mets) && json_array_size(mets) == 1);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(mets, 0), "Name")), name);
	if (dim != NULL) {
		cr_assert_str_eq(json_string_value(json_array_get(set, 0)), dim);
		cr_assert_str_eq(json_string_value(json_object_get(o, dim)), dim_value);
	}
	json_t *v = json_object_get(o, name);
	cr_assert(json_is_integer(v), "no value member %s in %s", name, line);
	cr_assert_eq(json_integer_value(v), value);
	json_decref(o);
}

Test(core_metrics, emf_lines_are_json_with_the_values)
{
	struct tc_metrics *m = registry();
	struct tc_metric *c, *g, *h;
	static const double bounds[] = {1};
	char *text = NULL;
	size_t len = 0;

	XT_OK(tc_metrics_counter(m, "tc_runs_total", "Runs.", "verdict=\"ACCEPTED\"", &c));
	XT_OK(tc_metrics_gauge(m, "tc_rooms", "Rooms.", NULL, &g));
	XT_OK(tc_metrics_histogram(m, "tc_run_ms", "Run time.", NULL, bounds, 1, &h));
	tc_counter_add(c, 9);
	tc_gauge_set(g, -2);
	tc_hist_observe(h, 0.5);
	tc_hist_observe(h, 2);
	XT_OK(tc_metrics_render_emf(m, "TandemCode", 1700000000123ull, &text, &len));
	cr_assert_eq(strlen(text), len);

	char *save = NULL, *line;
	size_t nlines = 0;
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		switch (nlines++) {
		case 0:
			check_emf_line(line, 1700000000123ull, "TandemCode", "tc_runs_total",
			    "verdict", "ACCEPTED", 9);
			break;
		case 1:
			check_emf_line(
			    line, 1700000000123ull, "TandemCode", "tc_rooms", NULL, NULL, -2);
			break;
		case 2: {
			check_emf_line(
			    line, 1700000000123ull, "TandemCode", "tc_run_ms", NULL, NULL, 2);
			json_t *o = json_loads(line, 0, NULL);
			cr_assert_float_eq(
			    json_number_value(json_object_get(o, "tc_run_ms_sum")), 2.5, 1e-9);
			json_decref(o);
			break;
		}
		default:
			cr_assert_fail("extra line: %s", line);
		}
	}
	cr_assert_eq(nlines, 3);
	free(text);
	tc_metrics_free(m);
}

struct hammer {
	struct tc_metric *c, *h;
	pthread_barrier_t *go;
};

static void *
hammer_main(void *arg)
{
	struct hammer *hm = arg;
	pthread_barrier_wait(hm->go);
	for (int i = 0; i < 50000; i++) {
		tc_counter_add(hm->c, 1);
		tc_hist_observe(hm->h, (double)(i % 4));
	}
	return NULL;
}

Test(core_metrics, concurrent_updates_are_not_lost)
{
	struct tc_metrics *m = registry();
	struct tc_metric *c, *h;
	static const double bounds[] = {0, 1, 2};
	pthread_t th[4];
	pthread_barrier_t go;

	XT_OK(tc_metrics_counter(m, "tc_hits_total", "Hits.", NULL, &c));
	XT_OK(tc_metrics_histogram(m, "tc_vals", "Vals.", NULL, bounds, 3, &h));
	pthread_barrier_init(&go, NULL, 4);
	struct hammer hm = {c, h, &go};
	for (int i = 0; i < 4; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, hammer_main, &hm), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&go);
	cr_assert_eq(tc_counter_get(c), 200000);
	cr_assert_eq(tc_hist_count(h), 200000);
	char *text = render(m);
	/* 0,1,2,3 equally often: 50k per value; sum 4 threads x 12500 x (0+1+2+3). */
	cr_assert_not_null(strstr(text, "tc_vals_bucket{le=\"0\"} 50000\n"));
	cr_assert_not_null(strstr(text, "tc_vals_bucket{le=\"1\"} 100000\n"));
	cr_assert_not_null(strstr(text, "tc_vals_bucket{le=\"2\"} 150000\n"));
	cr_assert_not_null(strstr(text, "tc_vals_bucket{le=\"+Inf\"} 200000\n"));
	cr_assert_not_null(strstr(text, "tc_vals_sum 300000\n"), "%s", text);
	free(text);
	tc_metrics_free(m);
}

Test(core_metrics, node_counts_into_its_registry)
{
	struct tc_metrics *m = registry();
	struct tc_node_config cfg = {.id = 3, .name = "mx", .workers = 1, .metrics = m};
	struct tc_node *n;
	struct ct_probe p;

	XT_OK(tc_node_new(&cfg, &n));
	XT_OK(tc_node_start(n));
	cr_assert_eq(tc_node_metrics(n), m);
	ct_probe_init(&p);
	struct tc_addr a = ct_spawn_probe(n, &p);
	for (int i = 0; i < 3; i++)
		XT_OK(tc_node_send(n, a, TC_ADDR_NONE, TC_MSG_APP, NULL, 0));
	cr_assert(ct_wait_ge(&p.count, 3));
	ct_node_stop_clean(n);
	char *text = render(m);
	cr_assert_not_null(strstr(text, "tc_actors_spawned_total{node=\"mx\"} 1\n"), "%s", text);
	cr_assert_not_null(strstr(text, "tc_actors{node=\"mx\"} 0\n"), "%s", text);
	cr_assert_not_null(
	    strstr(text, "# TYPE tc_envelopes_rejected_total counter\n"
	                 "tc_envelopes_rejected_total{node=\"mx\",reason=\"malformed\"} 0\n"),
	    "%s", text);
	free(text);
	tc_metrics_free(m);
	ct_probe_fini(&p);
}

/* Label values keep the exposition format's escapes (\\, \" and \n); the
 * EMF line turns them, and the namespace, into valid JSON strings. */
Test(core_metrics, emf_escapes_label_values_and_the_namespace)
{
	struct tc_metrics *m = registry();
	struct tc_metric *c;
	char *text = NULL;
	size_t len = 0;

	XT_OK(tc_metrics_counter(
	    m, "tc_odd_total", "Odd labels.", "path=\"a\\\"b\\\\c\\nd\",kind=\"plain\"", &c));
	tc_counter_add(c, 3);
	XT_OK(tc_metrics_render_emf(m, "Tandem\"Code", 1, &text, &len));
	json_error_t err;
	json_t *o = json_loads(text, JSON_DISABLE_EOF_CHECK, &err);
	cr_assert_not_null(o, "not JSON: %s (%s)", text, err.text);
	cr_assert_str_eq(json_string_value(json_object_get(o, "path")), "a\"b\\c\nd");
	cr_assert_str_eq(json_string_value(json_object_get(o, "kind")), "plain");
	cr_assert_eq(json_integer_value(json_object_get(o, "tc_odd_total")), 3);
	json_t *d0 =
	    json_array_get(json_object_get(json_object_get(o, "_aws"), "CloudWatchMetrics"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(d0, "Namespace")), "Tandem\"Code");
	json_t *set = json_array_get(json_object_get(d0, "Dimensions"), 0);
	cr_assert_eq(json_array_size(set), 2);
	cr_assert_str_eq(json_string_value(json_array_get(set, 0)), "path");
	cr_assert_str_eq(json_string_value(json_array_get(set, 1)), "kind");
	json_decref(o);
	free(text);
	tc_metrics_free(m);
}
