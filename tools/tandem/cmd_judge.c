/*
 * tandem judge / tandem problem - the judge contract on the command line.
 *
 *   tandem judge --code DIR --tests DIR --out FILE
 *   tandem problem check DIR...
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "sandbox/judge.h"
#include "tandem.h"

#define CODE_CAP (64u << 20)

static int
read_code(const char *dir, char **out, size_t *len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/solution.py", dir);
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "tandem judge: %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	while (buf != NULL) {
		if (n == cap) {
			if (cap >= CODE_CAP)
				break; /* the judge reports it as too large */
			char *nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		size_t k = fread(buf + n, 1, cap - n, f);
		n += k;
		if (k == 0)
			break;
	}
	fclose(f);
	if (buf == NULL)
		return -1;
	*out = buf;
	*len = n;
	return 0;
}

static int
write_out(const char *path, const char *json)
{
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		fprintf(stderr, "tandem judge: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fputs(json, f);
	fputc('\n', f);
	return fclose(f) == 0 ? 0 : -1;
}

static int
internal_result(const char *out, const char *msg)
{
	tc_log(TC_LOG_ERROR, "judge", "%s", msg);
	struct sbx_result r;
	memset(&r, 0, sizeof(r));
	r.status = SBX_INTERNAL_ERROR;
	r.message = (char *)msg;
	char *json = NULL;
	if (sbx_result_format(&r, &json) == TC_OK) {
		if (out)
			write_out(out, json);
		else
			puts(json);
	}
	free(json);
	return TANDEM_EXIT_FAIL;
}

static void
judge_usage(FILE *f)
{
	fprintf(f, "usage: tandem judge --code DIR --tests DIR --out FILE [options]\n\n"
	           "Judges DIR/solution.py against the problem folder given by --tests and\n"
	           "writes result.json (docs/judge-contract.md).  TIME_LIMIT_MS and\n"
	           "MEM_LIMIT_MB from the environment override the problem's limits;\n"
	           "SANDBOX_LEVEL (full|container) is the weakest level allowed.\n\n"
	           "options:\n"
	           "  --fresh              a fresh process per test instead of the zygote\n"
	           "  --no-probe           skip the complexity probe\n"
	           "  --no-counterexample  skip the counterexample search\n"
	           "Exit: 0 judged, 1 internal error, 2 usage.\n");
}

int
tandem_cmd_judge(int argc, char **argv)
{
	if (tandem_wants_help(argc, argv)) {
		judge_usage(stdout);
		return TANDEM_EXIT_OK;
	}
	const char *code_dir = NULL, *tests_dir = NULL, *out = NULL;
	struct sbx_judge_opts o;
	sbx_judge_opts_init(&o);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--code") == 0 && i + 1 < argc)
			code_dir = argv[++i];
		else if (strcmp(argv[i], "--tests") == 0 && i + 1 < argc)
			tests_dir = argv[++i];
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			out = argv[++i];
		else if (strcmp(argv[i], "--fresh") == 0)
			o.zygote = false;
		else if (strcmp(argv[i], "--no-probe") == 0)
			o.probe = false;
		else if (strcmp(argv[i], "--no-counterexample") == 0)
			o.counterexample = false;
		else {
			judge_usage(stderr);
			return TANDEM_EXIT_USAGE;
		}
	}
	if (code_dir == NULL || tests_dir == NULL || out == NULL) {
		judge_usage(stderr);
		return TANDEM_EXIT_USAGE;
	}
	if (sbx_policy_from_env(&o.policy) != TC_OK)
		return internal_result(out, "bad TIME_LIMIT_MS, MEM_LIMIT_MB or SANDBOX_LEVEL");
	char err[512];
	struct sbx_problem *p = NULL;
	if (sbx_problem_load(tests_dir, &p, err, sizeof(err)) != TC_OK) {
		char msg[600];
		snprintf(msg, sizeof(msg), "malformed problem folder: %s", err);
		return internal_result(out, msg);
	}
	char *code = NULL;
	size_t len = 0;
	if (read_code(code_dir, &code, &len) != 0) {
		sbx_problem_free(p);
		return internal_result(out, "cannot read the submission");
	}
	struct sbx_detect_report d;
	sbx_detect(&d);
	struct sbx_worker *w = NULL;
	if (d.level == SBX_LEVEL_NONE || sbx_worker_new(d.level, 0, &w) != TC_OK) {
		free(code);
		sbx_problem_free(p);
		return internal_result(out, "no usable sandbox on this host");
	}
	struct sbx_result r;
	int rc = TANDEM_EXIT_FAIL;
	o.prepare_next = false; /* one judging per process: no zygotes for a next one */
	if (sbx_judge_run(w, p, code, len, &o, &r) == TC_OK) {
		char *json = NULL;
		if (sbx_result_format(&r, &json) == TC_OK && write_out(out, json) == 0)
			rc = r.status == SBX_INTERNAL_ERROR ? TANDEM_EXIT_FAIL : TANDEM_EXIT_OK;
		free(json);
		sbx_result_fini(&r);
	}
	sbx_worker_free(w);
	free(code);
	sbx_problem_free(p);
	return rc;
}

int
tandem_cmd_problem(int argc, char **argv)
{
	if (tandem_wants_help(argc, argv) || argc < 3 || strcmp(argv[1], "check") != 0) {
		FILE *f = tandem_wants_help(argc, argv) ? stdout : stderr;
		fprintf(f, "usage: tandem problem check DIR...\n\n"
		           "Validates problem folders: the JSON shapes, the files, and the\n"
		           "reference solution run on every test in the sandbox.\n");
		return f == stdout ? TANDEM_EXIT_OK : TANDEM_EXIT_USAGE;
	}
	struct sbx_detect_report d;
	sbx_detect(&d);
	struct sbx_worker *w = NULL;
	if (d.level == SBX_LEVEL_NONE || sbx_worker_new(d.level, 0, &w) != TC_OK) {
		fprintf(stderr, "tandem problem: no usable sandbox on this host\n");
		return TANDEM_EXIT_ENV;
	}
	int rc = TANDEM_EXIT_OK;
	for (int i = 2; i < argc; i++) {
		char err[512];
		struct sbx_problem *p = NULL;
		if (sbx_problem_load(argv[i], &p, err, sizeof(err)) != TC_OK) {
			printf("%s: malformed: %s\n", argv[i], err);
			rc = TANDEM_EXIT_FAIL;
			continue;
		}
		if (sbx_problem_check(w, p, stdout) != TC_OK)
			rc = TANDEM_EXIT_FAIL;
		sbx_problem_free(p);
	}
	sbx_worker_free(w);
	return rc;
}
