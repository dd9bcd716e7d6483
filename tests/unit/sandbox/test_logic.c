/*
 * Pure logic of the sandbox module: policy parsing, output comparison,
 * slope fit and classes, result JSON, harness frames, UTF-8 excerpts,
 * cgroup layout discovery and problem folder validation.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>

#include "problem_priv.h"
#include "sandbox/judge.h"
#include "xt.h"

Test(sandbox_logic, policy_set_accepts_valid_limits)
{
	struct sbx_policy p;
	sbx_policy_init(&p);
	XT_OK(sbx_policy_set(&p, "TIME_LIMIT_MS", "1500"));
	XT_OK(sbx_policy_set(&p, "MEM_LIMIT_MB", "512"));
	XT_OK(sbx_policy_set(&p, "SANDBOX_LEVEL", "container"));
	cr_assert_eq(p.cpu_ms, 1500);
	cr_assert_eq(p.mem_mb, 512);
	cr_assert_eq(p.level, SBX_LEVEL_CONTAINER);
	cr_assert_eq(p.uid, 65534);
	cr_assert_eq(p.nenv, 0, "the environment is empty by default");
}

Test(sandbox_logic, policy_set_rejects_bad_values)
{
	struct sbx_policy p;
	sbx_policy_init(&p);
	const char *bad[] = {"", "-5", "12ms", " 100", "0", "99999999999", "1e3", "0x10"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		XT_ERR(sbx_policy_set(&p, "TIME_LIMIT_MS", bad[i]), TC_EINVAL);
	XT_ERR(sbx_policy_set(&p, "MEM_LIMIT_MB", "8"), TC_EINVAL);
	XT_ERR(sbx_policy_set(&p, "SANDBOX_LEVEL", "maximal"), TC_EINVAL);
	XT_ERR(sbx_policy_set(&p, "NO_SUCH_KEY", "1"), TC_ENOENT);
	cr_assert_eq(p.cpu_ms, 2000, "a rejected value leaves the policy unchanged");
}

Test(sandbox_logic, compare_exact_matches_json_values)
{
	cr_assert(sbx_compare_values(SBX_COMPARE_EXACT, "[0, 1]", "[0,1]"));
	cr_assert(
	    sbx_compare_values(SBX_COMPARE_EXACT, "{\"a\":1,\"b\":[2]}", "{\"b\":[2],\"a\":1}"));
	cr_assert(!sbx_compare_values(SBX_COMPARE_EXACT, "[0, 1]", "[1, 0]"));
	cr_assert(!sbx_compare_values(SBX_COMPARE_EXACT, "1", "1.0"));
	cr_assert(!sbx_compare_values(SBX_COMPARE_EXACT, "1", "not json"));
	cr_assert(!sbx_compare_values(SBX_COMPARE_EXACT, "1", NULL));
	cr_assert(sbx_compare_values(SBX_COMPARE_EXACT, "\"caf\\u00e9\"", "\"caf\xc3\xa9\""));
	/* Integers beyond 64 bits compare by their digits. */
	cr_assert(sbx_compare_values(SBX_COMPARE_EXACT, "[123456789012345678901234567890]",
	    "[123456789012345678901234567890]"));
	cr_assert(!sbx_compare_values(
	    SBX_COMPARE_EXACT, "123456789012345678901234567890", "123456789012345678901234567891"));
}

Test(sandbox_logic, compare_unordered_ignores_top_level_order)
{
	cr_assert(sbx_compare_values(SBX_COMPARE_UNORDERED, "[[1,2],[3]]", "[[3],[1,2]]"));
	cr_assert(!sbx_compare_values(SBX_COMPARE_UNORDERED, "[[1,2],[3]]", "[[3],[2,1]]"));
	cr_assert(!sbx_compare_values(SBX_COMPARE_UNORDERED, "[1,1,2]", "[1,2,2]"));
	cr_assert(sbx_compare_values(SBX_COMPARE_UNORDERED, "[]", "[]"));
}

Test(sandbox_logic, compare_float_uses_tolerance)
{
	cr_assert(sbx_compare_values(SBX_COMPARE_FLOAT, "[0.1, 2]", "[0.1000000001, 2.0]"));
	cr_assert(sbx_compare_values(SBX_COMPARE_FLOAT, "1e12", "1000000000001.0"));
	cr_assert(!sbx_compare_values(SBX_COMPARE_FLOAT, "0.1", "0.1001"));
	cr_assert(!sbx_compare_values(SBX_COMPARE_FLOAT, "[1]", "[1, 2]"));
}

Test(sandbox_logic, compare_stdio_ignores_trailing_whitespace)
{
	const char *e = "1 2\n3\n";
	cr_assert(sbx_compare_stdio(e, strlen(e), "1 2  \n3", 7));
	cr_assert(sbx_compare_stdio(e, strlen(e), "1 2\r\n3\n\n\n", 9));
	cr_assert(!sbx_compare_stdio(e, strlen(e), "1  2\n3\n", 7));
	cr_assert(!sbx_compare_stdio(e, strlen(e), "1 2\n\n3\n", 7));
	cr_assert(!sbx_compare_stdio(e, strlen(e), "1 2\n", 4));
	cr_assert(sbx_compare_stdio("", 0, "\n\n", 2));
}

Test(sandbox_logic, slope_fit_recovers_exponents)
{
	double n[] = {1000, 2000, 4000, 8000};
	double lin[4], quad[4], nlogn[4], flat[4];
	for (int i = 0; i < 4; i++) {
		double noise = 1.0 + 0.05 * ((i % 2) ? 1 : -1);
		lin[i] = 0.01 * n[i] * noise;
		quad[i] = 1e-5 * n[i] * n[i] * noise;
		nlogn[i] = 0.001 * n[i] * log(n[i]);
		flat[i] = 3.0 * noise;
	}
	double s;
	XT_OK(sbx_slope_fit(n, lin, 4, &s));
	cr_assert(fabs(s - 1.0) < 0.1, "linear slope %f", s);
	cr_assert_eq(sbx_class_from_slope(s, 2828), SBX_CLASS_N);
	XT_OK(sbx_slope_fit(n, quad, 4, &s));
	cr_assert(fabs(s - 2.0) < 0.1, "quadratic slope %f", s);
	cr_assert_eq(sbx_class_from_slope(s, 2828), SBX_CLASS_N2);
	XT_OK(sbx_slope_fit(n, nlogn, 4, &s));
	cr_assert_eq(sbx_class_from_slope(s, 2828), SBX_CLASS_NLOGN);
	XT_OK(sbx_slope_fit(n, flat, 4, &s));
	cr_assert_eq(sbx_class_from_slope(s, 2828), SBX_CLASS_1);
	cr_assert_eq(sbx_class_from_slope(3.1, 2828), SBX_CLASS_N3);
	cr_assert_eq(sbx_class_from_slope(6.0, 2828), SBX_CLASS_2N);
	cr_assert_eq(sbx_class_from_slope(NAN, 2828), SBX_CLASS_UNKNOWN);
	double one[] = {5};
	XT_ERR(sbx_slope_fit(n, one, 1, &s), TC_EINVAL);
	double same_n[] = {10, 10}, ms2[] = {1, 2};
	XT_ERR(sbx_slope_fit(same_n, ms2, 2, &s), TC_EINVAL);
}

Test(sandbox_logic, class_names_round_trip)
{
	for (int c = SBX_CLASS_1; c <= SBX_CLASS_2N; c++) {
		enum sbx_class back;
		XT_OK(sbx_class_parse(sbx_class_name((enum sbx_class)c), &back));
		cr_assert_eq(back, c);
	}
	enum sbx_class x;
	XT_ERR(sbx_class_parse("O(n!)", &x), TC_EINVAL);
}

Test(sandbox_logic, result_format_then_parse_round_trips)
{
	struct sbx_result r;
	memset(&r, 0, sizeof(r));
	r.status = SBX_WRONG_ANSWER;
	r.passed = 1;
	r.total = 2;
	r.time_ms = 42;
	r.level = SBX_LEVEL_FULL;
	r.message = strdup("WRONG_ANSWER on test b");
	r.ntests = 2;
	r.tests = calloc(2, sizeof(*r.tests));
	r.tests[0].name = strdup("a");
	r.tests[0].ok = true;
	r.tests[0].input = strdup("[[1,2],3]");
	r.tests[0].expected = strdup("[0,1]");
	r.tests[0].actual = strdup("[0,1]");
	r.tests[0].stdout_x = strdup("caf\xc3\xa9");
	r.tests[1].name = strdup("b");
	r.tests[1].hidden = true;
	r.tests[1].status = SBX_WRONG_ANSWER;
	r.tests[1].input = strdup("[[5],5]"); /* hidden: never written */
	r.cex.found = true;
	r.cex.n = 2;
	r.cex.input = strdup("[[1,1],2]");
	r.cex.expected = strdup("[0,1]");
	r.cex.actual = strdup("[]");
	r.probe.done = true;
	r.probe.count = 2;
	r.probe.n[0] = 100;
	r.probe.n[1] = 200;
	r.probe.ms[0] = 1.5;
	r.probe.ms[1] = 3.0;
	r.probe.slope = 1.0;
	r.probe.cls = SBX_CLASS_N;
	r.probe.reference = SBX_CLASS_N;
	r.probe.partial = true;
	char *json = NULL;
	XT_OK(sbx_result_format(&r, &json));
	cr_assert(strstr(json, "[5]") == NULL, "a hidden test's input must not be written");
	struct sbx_result b;
	XT_OK(sbx_result_parse(json, strlen(json), &b));
	cr_assert_eq(b.status, SBX_WRONG_ANSWER);
	cr_assert_eq(b.passed, 1);
	cr_assert_eq(b.total, 2);
	cr_assert_eq(b.ntests, 2);
	cr_assert_str_eq(b.tests[0].name, "a");
	cr_assert_str_eq(b.tests[0].actual, "[0,1]");
	cr_assert(b.tests[1].hidden);
	cr_assert_null(b.tests[1].input);
	cr_assert(b.cex.found);
	cr_assert_eq(b.cex.n, 2);
	cr_assert_str_eq(b.cex.input, "[[1,1],2]");
	cr_assert(b.probe.done);
	cr_assert_eq(b.probe.count, 2);
	cr_assert_eq(b.probe.cls, SBX_CLASS_N);
	cr_assert(b.probe.partial, "the probe's partial flag survives the round trip");
	cr_assert_eq(b.level, SBX_LEVEL_FULL);
	sbx_result_fini(&b);
	sbx_result_fini(&r);
	free(json);
}

Test(sandbox_logic, result_parse_rejects_malformed_json)
{
	const char *bad[] = {
	    "",
	    "[]",
	    "{\"status\":\"ACCEPTED\"}",
	    "{\"status\":\"NOPE\",\"passed\":0,\"total\":0,\"time_ms\":0,\"details\":[]}",
	    "{\"status\":\"ACCEPTED\",\"passed\":3,\"total\":2,\"time_ms\":0,\"details\":[]}",
	    "{\"status\":\"ACCEPTED\",\"passed\":0,\"total\":0,\"time_ms\":-1,\"details\":[]}",
	    "{\"status\":\"ACCEPTED\",\"passed\":0,\"total\":1,\"time_ms\":0,\"details\":[{}]}",
	    "{\"status\":\"ACCEPTED\",\"passed\":0,\"total\":1,\"time_ms\":0,\"details\":[1]}",
	    "{\"status\":\"ACCEPTED\",\"passed\":0,\"total\":0,\"time_ms\":0,\"details\":[],"
	    "\"complexity_probe\":{\"n\":[1],\"ms\":[]}}",
	    "{\"status\":\"ACCEPTED\",\"status\":\"ACCEPTED\",\"passed\":0,\"total\":0,"
	    "\"time_ms\":0,\"details\":[]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sbx_result r;
		XT_ERR(sbx_result_parse(bad[i], strlen(bad[i]), &r), TC_EPROTO);
		cr_assert_eq(r.ntests, 0);
	}
}

Test(sandbox_logic, frame_decode_reads_harness_frames)
{
	struct sbx_frame f;
	const char *ok = "{\"ok\":true,\"value\":[0,1]}";
	XT_OK(sbx__frame_decode(ok, strlen(ok), &f));
	cr_assert(f.ok);
	cr_assert_str_eq(f.value, "[0,1]");
	sbx__frame_fini(&f);
	const char *big = "{\"ok\":true,\"value\":[123456789012345678901234567890]}";
	XT_OK(sbx__frame_decode(big, strlen(big), &f));
	cr_assert_str_eq(f.value, "[123456789012345678901234567890]");
	sbx__frame_fini(&f);
	const char *err =
	    "{\"ok\":false,\"error\":\"ZeroDivisionError: division by zero\",\"line\":4}";
	XT_OK(sbx__frame_decode(err, strlen(err), &f));
	cr_assert(!f.ok);
	cr_assert_eq(f.line, 4);
	cr_assert_str_eq(f.error, "ZeroDivisionError: division by zero");
	sbx__frame_fini(&f);
	const char *ce = "{\"compile_error\":\"SyntaxError: expected ':'\",\"line\":2}";
	XT_OK(sbx__frame_decode(ce, strlen(ce), &f));
	cr_assert(f.compile_error);
	cr_assert_eq(f.line, 2);
	sbx__frame_fini(&f);
	const char *bad[] = {"", "{", "[]", "{\"ok\":1}", "{\"ok\":false}",
	    "{\"ok\":true,\"value\":3}{\"ok\":true,\"value\":4}", "{\"ok\":false,\"error\":5}",
	    "{\"ok\":true,\"value\":123456789012345678901234567890,\"x\":1}",
	    "{\"ok\":true,\"value\":1e999999}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		XT_ERR(sbx__frame_decode(bad[i], strlen(bad[i]), &f), TC_EPROTO);
}

Test(sandbox_logic, utf8_excerpt_replaces_bad_bytes_and_caps)
{
	char *s = sbx__utf8_excerpt("ok\xff\xc3\x28\xed\xa0\x80 \xc3\xa9", 11, 100);
	cr_assert_str_eq(
	    s, "ok\xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xc3\xa9");
	free(s);
	s = sbx__utf8_excerpt("abcdefgh", 8, 4);
	cr_assert_str_eq(s, "abcd\xe2\x80\xa6");
	free(s);
	s = sbx__utf8_excerpt(NULL, 0, 4);
	cr_assert_str_eq(s, "");
	free(s);
}

Test(sandbox_logic, cgroup_layout_hybrid_v1_and_v2)
{
	const char *mounts = "proc /proc proc rw 0 0\n"
	                     "cgroup /sys/fs/cgroup/cpuacct cgroup rw,relatime,cpuacct 0 0\n"
	                     "cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0\n"
	                     "cgroup /sys/fs/cgroup/pids cgroup rw,relatime,pids 0 0\n"
	                     "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0\n";
	const char *self = "8:pids:/\n4:memory:/jobs/abc\n2:cpuacct:/\n0::/\n";
	struct sbx_cg_layout l;
	XT_OK(sbx__cg_discover_text(mounts, self, &l));
	cr_assert_str_eq(l.base[SBX_CG_MEMORY], "/sys/fs/cgroup/memory/jobs/abc");
	cr_assert(!l.v2[SBX_CG_MEMORY]);
	cr_assert_str_eq(l.base[SBX_CG_PIDS], "/sys/fs/cgroup/pids");
	cr_assert_str_eq(l.base[SBX_CG_CPU], "/sys/fs/cgroup/cpuacct");
	cr_assert_str_eq(l.base[SBX_CG_KILL], "/sys/fs/cgroup/unified");
	cr_assert(l.v2[SBX_CG_KILL]);
}

Test(sandbox_logic, cgroup_layout_pure_v2)
{
	const char *mounts = "cgroup2 /sys/fs/cgroup cgroup2 rw,nsdelegate 0 0\n";
	const char *self = "0::/system.slice/tandem.service\n";
	struct sbx_cg_layout l;
	XT_OK(sbx__cg_discover_text(mounts, self, &l));
	for (int k = 0; k < SBX_CG_N; k++) {
		cr_assert_str_eq(l.base[k], "/sys/fs/cgroup/system.slice/tandem.service");
		cr_assert(l.v2[k]);
	}
}

Test(sandbox_logic, cgroup_layout_without_cgroups_is_unsupported)
{
	struct sbx_cg_layout l;
	XT_ERR(sbx__cg_discover_text("proc /proc proc rw 0 0\n", "0::/\n", &l), TC_ENOTSUP);
	XT_ERR(sbx__cg_discover_text(
	           "cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n", "4:memory:/\n", &l),
	    TC_ENOTSUP);
}

/* ---- problem folders --------------------------------------------------------------- */

static char *
good_problem(void)
{
	char *d = xt_tmpdir("sbx-prob");
	char sub[4096];
	snprintf(sub, sizeof(sub), "%s/tests", d);
	mkdir(sub, 0755);
	snprintf(sub, sizeof(sub), "%s/tests/public", d);
	mkdir(sub, 0755);
	snprintf(sub, sizeof(sub), "%s/tests/hidden", d);
	mkdir(sub, 0755);
	xt_write_file(d, "problem.json",
	    "{\"slug\":\"p\",\"title\":\"P\",\"style\":\"function\","
	    "\"entry\":{\"class\":\"Solution\",\"method\":\"f\"},"
	    "\"limits\":{\"time_ms\":1000,\"mem_mb\":64},\"compare\":\"exact\",\"checker\":false}");
	xt_write_file(
	    d, "reference.py", "class Solution:\n    def f(self, x):\n        return x\n");
	xt_write_file(d, "gen.py", "def gen(n, seed):\n    return [n]\n");
	xt_write_file(d, "tests/public/01-a.json", "{\"name\":\"a\",\"input\":[1],\"expected\":1}");
	xt_write_file(d, "tests/hidden/01-b.json", "{\"name\":\"b\",\"input\":[2],\"expected\":2}");
	return d;
}

static void
expect_malformed(const char *file, const char *text, const char *needle)
{
	char *d = good_problem();
	if (text)
		xt_write_file(d, file, text);
	else {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", d, file);
		xt_rmtree(path);
	}
	struct sbx_problem *p = (struct sbx_problem *)1;
	char err[512] = "";
	enum tc_err rc = sbx_problem_load(d, &p, err, sizeof(err));
	cr_assert(rc == TC_EPROTO || rc == TC_ENOENT, "%s: got %s", file, tc_errname(rc));
	cr_assert_null(p);
	cr_assert(strstr(err, needle) != NULL, "%s: message '%s' lacks '%s'", file, err, needle);
	xt_rmtree(d);
	free(d);
}

Test(sandbox_logic, problem_load_accepts_a_good_folder)
{
	char *d = good_problem();
	struct sbx_problem *p = NULL;
	char err[256];
	XT_OK(sbx_problem_load(d, &p, err, sizeof(err)));
	cr_assert_str_eq(sbx_problem_slug(p), "p");
	cr_assert_eq(sbx_problem_ntests(p), 2);
	cr_assert(!p->tests[0].hidden && p->tests[1].hidden, "public tests come first");
	sbx_problem_free(p);
	xt_rmtree(d);
	free(d);
}

Test(sandbox_logic, problem_load_explains_malformed_folders)
{
	expect_malformed("problem.json", NULL, "problem.json: missing");
	expect_malformed("problem.json", "{\"slug\": ", "problem.json: line");
	expect_malformed("problem.json", "[1,2]", "not a JSON object");
	expect_malformed("problem.json",
	    "{\"slug\":\"Bad Slug\",\"title\":\"x\",\"style\":\"function\"}", "slug");
	expect_malformed("problem.json",
	    "{\"slug\":\"p\",\"title\":\"P\",\"style\":\"haiku\",\"entry\":{},"
	    "\"limits\":{\"time_ms\":1,\"mem_mb\":64}}",
	    "style");
	expect_malformed("problem.json",
	    "{\"slug\":\"p\",\"title\":\"P\",\"style\":\"function\","
	    "\"entry\":{\"class\":\"Solution\",\"method\":\"f\"},"
	    "\"limits\":{\"time_ms\":0,\"mem_mb\":64}}",
	    "limits");
	expect_malformed("problem.json",
	    "{\"slug\":\"p\",\"title\":\"P\",\"style\":\"function\","
	    "\"entry\":{\"class\":\"Solution\",\"method\":\"f\"},"
	    "\"limits\":{\"time_ms\":10,\"mem_mb\":64},\"complexity\":{\"class\":\"O(n!)\"}}",
	    "complexity");
	expect_malformed("problem.json",
	    "{\"slug\":\"p\",\"title\":\"P\",\"style\":\"function\","
	    "\"entry\":{\"class\":\"Solution\",\"method\":\"f\"},"
	    "\"limits\":{\"time_ms\":10,\"mem_mb\":64},\"checker\":true}",
	    "checker.py: missing");
	expect_malformed("reference.py", NULL, "reference.py: missing");
	expect_malformed("reference.py", "x = '\xff'\n", "UTF-8");
	expect_malformed("gen.py", NULL, "gen.py: missing");
	expect_malformed("tests/hidden", NULL, "tests/hidden");
	expect_malformed("tests/public/01-a.json", "{\"name\":\"a\",\"input\":[1]}", "expected");
	expect_malformed("tests/public/01-a.json", "{\"name\":\"a\",\"input\":5,\"expected\":1}",
	    "array of arguments");
	expect_malformed("tests/public/01-a.json", "not json", "01-a.json");
}

Test(sandbox_logic, every_bundled_problem_folder_loads)
{
	char root[4096];
	snprintf(root, sizeof(root), "%s/sandbox/problems", xt_source_root());
	DIR *d = opendir(root);
	cr_assert(d != NULL);
	struct dirent *de;
	unsigned n = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char dir[4400], err[512] = "";
		snprintf(dir, sizeof(dir), "%s/%s", root, de->d_name);
		struct sbx_problem *p = NULL;
		cr_expect(sbx_problem_load(dir, &p, err, sizeof(err)) == TC_OK, "%s: %s",
		    de->d_name, err);
		sbx_problem_free(p);
		n++;
	}
	closedir(d);
	cr_assert(n >= 1, "two-sum at least");
}
