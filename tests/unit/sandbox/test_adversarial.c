/*
 * The adversarial suite: hostile submissions, each with its expected
 * verdict (first line "# expect: STATUS[|STATUS]"), judged through the full
 * sandbox on both the zygote and the fresh-process path.  After each one
 * the test asserts that the host is unaffected: the worker's cgroups are
 * empty and removed, its scratch root is empty, nothing connected to our
 * TCP listener or reached our UDP socket, host files are untouched, and no
 * secret (judge environment, hidden tests, another submission) appears in
 * the result.
 */
#include <arpa/inet.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/judge.h"
#include "sbx_priv.h"
#include "xt.h"

#define JUDGE_SECRET "JUDGE-ENV-SECRET-91c2"
#define OTHER_SECRET "OTHER-SUBMISSION-SECRET-5d1e"
#define CANARY_TEXT "canary-text"

struct adv_param {
	char *file;
	bool zygote;
};

static char *
cr_strdup(const char *s)
{
	char *d = cr_malloc(strlen(s) + 1);
	strcpy(d, s);
	return d;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

ParameterizedTestParameters(sandbox_adversarial, submission_contained)
{
	char dir[4096];
	const char *src = getenv("XT_SOURCE_ROOT");
	snprintf(dir, sizeof(dir), "%s/tests/data/sandbox/adversarial", src ? src : ".");
	char *names[256];
	size_t n = 0;
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL && n < 256) {
		size_t l = strlen(de->d_name);
		if (l > 3 && strcmp(de->d_name + l - 3, ".py") == 0)
			names[n++] = strdup(de->d_name);
	}
	if (d)
		closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_names);
	struct adv_param *params = cr_malloc(sizeof(*params) * (n * 2 + 1));
	for (size_t i = 0; i < n; i++) {
		params[2 * i].file = cr_strdup(names[i]);
		params[2 * i].zygote = true;
		params[2 * i + 1].file = cr_strdup(names[i]);
		params[2 * i + 1].zygote = false;
		free(names[i]);
	}
	return cr_make_param_array(struct adv_param, params, n * 2);
}

static char *
replace_all(const char *s, const char *key, const char *val)
{
	size_t kl = strlen(key), vl = strlen(val), n = 0;
	for (const char *p = strstr(s, key); p; p = strstr(p + kl, key))
		n++;
	char *out = malloc(strlen(s) + n * vl + 1), *o = out;
	const char *p;
	while ((p = strstr(s, key)) != NULL) {
		memcpy(o, s, (size_t)(p - s));
		o += p - s;
		memcpy(o, val, vl);
		o += vl;
		s = p + kl;
	}
	strcpy(o, s);
	return out;
}

static int
listen_tcp(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(fd, 8) == 0);
	getsockname(fd, (struct sockaddr *)&a, &len);
	*port = ntohs(a.sin_port);
	return fd;
}

static int
bind_udp(int *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	getsockname(fd, (struct sockaddr *)&a, &len);
	*port = ntohs(a.sin_port);
	return fd;
}

static bool
status_expected(const char *expect, enum sbx_status got)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", expect);
	for (char *tok = strtok(buf, "|"); tok; tok = strtok(NULL, "|")) {
		if (strcmp(tok, sbx_status_name(got)) == 0)
			return true;
	}
	return false;
}

static bool
exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

ParameterizedTest(
    struct adv_param *param, sandbox_adversarial, submission_contained, .timeout = 120)
{
	xt_require(geteuid() == 0, "the full sandbox needs root");
	struct sbx_detect_report rep;
	XT_OK(sbx_detect(&rep));
	xt_require(
	    rep.level == SBX_LEVEL_FULL, "this host does not support the full sandbox level");

	char path[4096];
	snprintf(path, sizeof(path), "%s/tests/data/sandbox/adversarial/%s", xt_source_root(),
	    param->file);
	char *code = NULL;
	size_t len = 0;
	XT_OK(sbx__read_file(path, 1 << 20, &code, &len));
	char expect[128] = "";
	cr_assert(
	    sscanf(code, "# expect: %127s", expect) == 1, "%s: no '# expect:' line", param->file);
	cr_log_info("%s (%s)", param->file, param->zygote ? "zygote" : "fresh");

	char *tmp = xt_tmpdir("sbx-adv");
	char other[4200], canary[4200], problem[4200], file[4400];
	snprintf(other, sizeof(other), "%s/other", tmp);
	snprintf(canary, sizeof(canary), "%s/canary", tmp);
	snprintf(problem, sizeof(problem), "%s/tests/data/sandbox/add", xt_source_root());
	mkdir(other, 0755);
	mkdir(canary, 0755);
	snprintf(file, sizeof(file), "%s/solution.py", other);
	xt_write_file(NULL, file, "# " OTHER_SECRET "\n");
	snprintf(file, sizeof(file), "%s/canary", canary);
	xt_write_file(NULL, file, CANARY_TEXT);
	int tport, uport;
	int tfd = listen_tcp(&tport), ufd = bind_udp(&uport);
	char tp[16], up[16];
	snprintf(tp, sizeof(tp), "%d", tport);
	snprintf(up, sizeof(up), "%d", uport);
	char *s1 = replace_all(code, "@@PROBLEM@@", problem);
	char *s2 = replace_all(s1, "@@OTHER@@", other);
	char *s3 = replace_all(s2, "@@CANARY@@", canary);
	char *s4 = replace_all(s3, "@@TCPPORT@@", tp);
	char *sub = replace_all(s4, "@@UDPPORT@@", up);
	free(s1);
	free(s2);
	free(s3);
	free(s4);
	setenv("TANDEM_TEST_SECRET", JUDGE_SECRET, 1);

	struct sbx_problem *p = NULL;
	char err[256];
	XT_OK(sbx_problem_load(problem, &p, err, sizeof(err)));
	struct sbx_worker *w = NULL;
	XT_OK(sbx_worker_new(SBX_LEVEL_FULL, 0, &w));
	char cgdir[sizeof(w->cg[0].dir[0])];
	snprintf(cgdir, sizeof(cgdir), "%s", w->cg[0].dir[SBX_CG_PIDS]);
	cr_assert(exists(cgdir), "the worker's pids cgroup exists while it lives");

	struct sbx_judge_opts o;
	sbx_judge_opts_init(&o);
	o.zygote = param->zygote;
	o.probe = false;
	struct sbx_result r;
	XT_OK(sbx_judge_run(w, p, sub, strlen(sub), &o, &r));
	char *json = NULL;
	XT_OK(sbx_result_format(&r, &json));
	cr_assert(status_expected(expect, r.status), "%s (%s): got %s, want %s: %s", param->file,
	    param->zygote ? "zygote" : "fresh", sbx_status_name(r.status), expect,
	    r.message ? r.message : "");
	/* Nothing escaped and no secret leaked into what the user sees. */
	cr_assert(strstr(json, "ESCAPED") == NULL, "%s: %s", param->file, json);
	cr_assert(
	    strstr(json, JUDGE_SECRET) == NULL, "%s leaked the judge's environment", param->file);
	cr_assert(strstr(json, "HIDDEN-SECRET") == NULL, "%s leaked hidden tests", param->file);
	cr_assert(strstr(json, OTHER_SECRET) == NULL, "%s leaked another submission", param->file);
	/* The result is valid JSON and valid UTF-8 whatever the program printed. */
	struct sbx_result back;
	XT_OK(sbx_result_parse(json, strlen(json), &back));
	cr_assert_eq(back.status, r.status);
	sbx_result_fini(&back);

	/* The host is unaffected. */
	cr_assert(sbx_worker_clean(w), "%s: processes or files survived the run", param->file);
	cr_assert(accept(tfd, NULL, NULL) < 0 && (errno == EAGAIN || errno == EWOULDBLOCK),
	    "%s reached the host's TCP listener", param->file);
	char b[16];
	cr_assert(recv(ufd, b, sizeof(b), 0) < 0 && (errno == EAGAIN || errno == EWOULDBLOCK),
	    "%s reached the host's UDP socket", param->file);
	char *ctext = NULL;
	size_t clen;
	snprintf(file, sizeof(file), "%s/canary", canary);
	XT_OK(sbx__read_file(file, 4096, &ctext, &clen));
	cr_assert_str_eq(ctext, CANARY_TEXT);
	free(ctext);
	const char *must_not_exist[] = {"/pwned", "/usr/pwned", "/etc/pwned", "/fill", "/usr/fill"};
	for (size_t i = 0; i < sizeof(must_not_exist) / sizeof(must_not_exist[0]); i++)
		cr_assert(
		    !exists(must_not_exist[i]), "%s created %s", param->file, must_not_exist[i]);
	snprintf(file, sizeof(file), "%s/pwned", canary);
	cr_assert(!exists(file));
	snprintf(file, sizeof(file), "%s/fill", canary);
	cr_assert(!exists(file));
	snprintf(file, sizeof(file), "%s/pwned", other);
	cr_assert(!exists(file));
	sbx_worker_free(w);
	cr_assert(!exists(cgdir), "the worker's cgroup was not removed");

	free(json);
	sbx_result_fini(&r);
	sbx_problem_free(p);
	close(tfd);
	close(ufd);
	free(sub);
	free(code);
	xt_rmtree(tmp);
	free(tmp);
}
