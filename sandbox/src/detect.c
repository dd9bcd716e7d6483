/*
 * sandbox/src/detect.c - which isolation level this host supports.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sbx_priv.h"

static bool
add(struct sbx_detect_report *r, const char *name, bool ok, const char *fmt, ...)
{
	if (r->nchecks >= SBX_MAX_CHECKS)
		return ok;
	unsigned i = r->nchecks++;
	snprintf(r->checks[i].name, sizeof(r->checks[i].name), "%s", name);
	r->checks[i].ok = ok;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->checks[i].detail, sizeof(r->checks[i].detail), fmt, ap);
	va_end(ap);
	return ok;
}

static int
ns_child(void *arg)
{
	(void)arg;
	_exit(0);
}

static bool
try_namespaces(char *why, size_t len)
{
	const size_t sz = 64 * 1024;
	void *stack = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (stack == MAP_FAILED) {
		snprintf(why, len, "mmap: %s", strerror(errno));
		return false;
	}
	pid_t pid = clone(ns_child, (char *)stack + sz,
	    CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC |
	        CLONE_NEWUTS | SIGCHLD,
	    NULL);
	int e = errno;
	bool ok = false;
	if (pid > 0) {
		int st = 0;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
		}
		ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
		snprintf(why, len, "user, pid, net, mount, ipc, uts");
	} else {
		snprintf(why, len, "clone: %s", strerror(e));
	}
	munmap(stack, sz);
	return ok;
}

static bool
try_seccomp(char *why, size_t len)
{
	struct sbx_bpf b;
	if (sbx__filter_build(false, &b) != TC_OK) {
		snprintf(why, len, "libseccomp cannot build the filter");
		return false;
	}
	pid_t pid = fork();
	if (pid == 0) {
		struct sock_fprog prog = {
		    (unsigned short)(b.len / 8), (struct sock_filter *)b.data};
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0)
			_exit(1);
		_exit(0);
	}
	bool ok = false;
	if (pid > 0) {
		int st = 0;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
		}
		ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	snprintf(why, len,
	    ok ? "allow-list filter, %zu instructions" : "the kernel refused the filter",
	    b.len / 8);
	sbx__bpf_fini(&b);
	return ok;
}

enum tc_err
sbx_detect(struct sbx_detect_report *r)
{
	memset(r, 0, sizeof(*r));
	char why[120];
	bool root = add(r, "root", geteuid() == 0,
	    geteuid() == 0 ? "euid 0"
	                   : "euid %u (cgroups "
	                     "and uid switching need root)",
	    (unsigned)geteuid());
	bool py = add(r, "python3.11", access(SBX_PYTHON, X_OK) == 0, "%s", SBX_PYTHON);
	bool sc = try_seccomp(why, sizeof(why));
	add(r, "seccomp", sc, "%s", why);
	bool ns = try_namespaces(why, sizeof(why));
	add(r, "namespaces", ns, "%s", why);
	struct sbx_cg_layout lay;
	bool cg = sbx__cg_discover(&lay) == TC_OK;
	static const char *const names[SBX_CG_N] = {
	    "cgroup memory", "cgroup pids", "cgroup cpu", "cgroup kill"};
	for (int k = 0; k < SBX_CG_N; k++) {
		bool have = lay.base[k][0] != '\0';
		bool w = have && access(lay.base[k], W_OK) == 0;
		if (k <= SBX_CG_PIDS)
			cg = cg && w;
		add(r, names[k], w, have ? "v%d at %s" : "not available", lay.v2[k] ? 2 : 1,
		    lay.base[k]);
	}
	if (root && py && sc && ns && cg)
		r->level = SBX_LEVEL_FULL;
	else if (root && py && sc)
		r->level = SBX_LEVEL_CONTAINER;
	else
		r->level = SBX_LEVEL_NONE;
	return TC_OK;
}

enum tc_err
sbx_doctor_print(FILE *out)
{
	struct sbx_detect_report r;
	enum tc_err err = sbx_detect(&r);
	if (err != TC_OK)
		return err;
	fprintf(out, "sandbox level: %s\n", sbx_level_name(r.level));
	for (unsigned i = 0; i < r.nchecks; i++)
		fprintf(out, "  [%s] %-14s %s\n", r.checks[i].ok ? "ok" : "--", r.checks[i].name,
		    r.checks[i].detail);
	if (r.level == SBX_LEVEL_FULL)
		fprintf(out,
		    "judge lanes: %u (tests of one submission run at once; "
		    "SANDBOX_LANES=1|2)\n",
		    sbx__default_lanes());
	return TC_OK;
}
