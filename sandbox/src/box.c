/*
 * sandbox/src/box.c - starting and killing boxes.
 *
 * Design notes
 * - Full level: clone() with new user, pid, net, mount, ipc and uts
 *   namespaces.  The parent maps one uid (the policy's, 65534 by default)
 *   and puts the child in the worker's cgroups before letting it go on, so
 *   nothing of the box ever runs outside them.  The child mounts a tmpfs
 *   as its new root, binds only the read-only paths the interpreter needs,
 *   adds a private tmpfs /tmp, pivots, detaches the old root and remounts
 *   the new one read-only.  Then it drops every capability, becomes the
 *   unprivileged uid, sets rlimits and no_new_privs, installs the outer
 *   seccomp filter and execs python3.11 with the policy's environment
 *   (empty by default) and one glibc setting, huge pages for malloc, which
 *   the harness removes before any user code runs (ADR-0027).
 * - The box's first process is pid 1 of its pid namespace: killing it from
 *   outside tears the namespace down, and the kernel kills every process
 *   left inside, setsid daemons included.  The worker's cgroup is killed as
 *   well, as a second wall.
 * - Container level: fork, become the worker's uid, rlimits, no_new_privs,
 *   seccomp; leftovers are killed by a helper that runs kill(-1) as that
 *   uid, which is why each worker has its own uid at that level.
 * - Between clone and execve the child calls only system calls (no malloc,
 *   no locks), raw ones where glibc's wrapper would take a lock or signal
 *   the parent's other threads (the set*id calls): a clone made while
 *   another thread held such a lock would wait for it forever.  Everything
 *   the child needs was prepared by the parent.  Failure is
 *   reported through a close-on-exec pipe as (step, errno).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/log.h"
#include "sbx_priv.h"

enum op_kind {
	OP_MKDIR,
	OP_TOUCH,
	OP_SYMLINK,
	OP_BIND,
	OP_BIND_OPTIONAL /* a host that refuses it leaves the directory empty */
};

struct op {
	enum op_kind kind;
	char a[300]; /* source (bind), target (symlink) */
	char b[600]; /* path under the new root */
};

#define MAX_OPS 32

struct child_args {
	const struct sbx_worker *w;
	const struct sbx_box_spec *spec;
	int fds[5];
	int sync_r;
	int sync_w;
	int err_w;
	unsigned uid;
	struct op ops[MAX_OPS];
	unsigned nops;
	char tmp_dir[320];
	char tmp_opts[96];
	char *argv[8];
	char *envp[SBX_MAX_ENV + 2];
	struct rlimit lim_nofile, lim_fsize, lim_nproc, lim_stack, lim_cpu, lim_as;
	bool set_cpu_as;
};

struct fail {
	int step;
	int err;
};

static const char *const step_names[] = {"sync", "fds", "hostname", "mount-private", "mount-root",
    "prepare-root", "mount-tmp", "pivot", "umount-old", "remount-ro", "chdir", "caps", "setgid",
    "setuid", "capset", "rlimit", "no_new_privs", "seccomp", "execve"};

static __attribute__((noreturn)) void
child_fail(const struct child_args *c, int step)
{
	struct fail f = {step, errno};
	ssize_t n = write(5, &f, sizeof(f));
	(void)n;
	_exit(127);
}

static unsigned long
locked_flags(const char *path)
{
	struct statfs st;
	unsigned long fl = 0;
	if (statfs(path, &st) != 0)
		return 0;
	if (st.f_flags & ST_NOSUID)
		fl |= MS_NOSUID;
	if (st.f_flags & ST_NODEV)
		fl |= MS_NODEV;
	if (st.f_flags & ST_NOEXEC)
		fl |= MS_NOEXEC;
	if (st.f_flags & ST_NOATIME)
		fl |= MS_NOATIME;
	if (st.f_flags & ST_NODIRATIME)
		fl |= MS_NODIRATIME;
	if (st.f_flags & ST_RELATIME)
		fl |= MS_RELATIME;
	return fl;
}

static int
run_ops(const struct child_args *c)
{
	for (unsigned i = 0; i < c->nops; i++) {
		const struct op *o = &c->ops[i];
		switch (o->kind) {
		case OP_MKDIR:
			if (mkdir(o->b, 0755) != 0 && errno != EEXIST)
				return -1;
			break;
		case OP_TOUCH: {
			int fd = open(o->b, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
			if (fd < 0)
				return -1;
			close(fd);
			break;
		}
		case OP_SYMLINK:
			if (symlink(o->a, o->b) != 0)
				return -1;
			break;
		case OP_BIND:
		case OP_BIND_OPTIONAL:
			if (mount(o->a, o->b, NULL, MS_BIND | MS_REC, NULL) != 0) {
				if (o->kind == OP_BIND_OPTIONAL)
					break;
				return -1;
			}
			if (mount(NULL, o->b, NULL,
			        MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | locked_flags(o->a),
			        NULL) != 0) {
				/* Never left writable: an optional bind goes away. */
				if (o->kind == OP_BIND_OPTIONAL && umount2(o->b, MNT_DETACH) == 0)
					break;
				return -1;
			}
			break;
		}
	}
	return 0;
}

static int
drop_caps(void)
{
	for (int cap = 0; cap <= 63; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
			return -1;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
		return -1;
	return 0;
}

static int
child_main(void *arg)
{
	struct child_args *c = arg;
	bool full = c->w->level == SBX_LEVEL_FULL;
	char b;

	close(c->sync_w);
	if (read(c->sync_r, &b, 1) != 1)
		_exit(127);
	/* Descriptors: 0..4 from the spec, the failure pipe at 5, nothing else. */
	int tmp[5];
	for (int i = 0; i < 5; i++) {
		tmp[i] = fcntl(c->fds[i], F_DUPFD_CLOEXEC, 16);
		if (tmp[i] < 0)
			_exit(127);
	}
	if (dup3(c->err_w, 5, O_CLOEXEC) < 0)
		_exit(127);
	for (int i = 0; i < 5; i++) {
		if (dup2(tmp[i], i) < 0)
			child_fail(c, 1);
	}
	if (syscall(SYS_close_range, 6, ~0U, 0) != 0)
		child_fail(c, 1);

	if (full) {
		/* Files of the new root are created as the mapped uid: host root is
		 * not mapped in the box's user namespace. */
		setfsgid(c->uid);
		setfsuid(c->uid);
		if (sethostname("box", 3) != 0)
			child_fail(c, 2);
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
			child_fail(c, 3);
		if (mount("tmpfs", c->w->root, "tmpfs", MS_NOSUID | MS_NODEV,
		        "size=1m,mode=0755") != 0)
			child_fail(c, 4);
		if (run_ops(c) != 0)
			child_fail(c, 5);
		if (mount("tmpfs", c->tmp_dir, "tmpfs", MS_NOSUID | MS_NODEV, c->tmp_opts) != 0)
			child_fail(c, 6);
		if (chdir(c->w->root) != 0)
			child_fail(c, 7);
		if (syscall(SYS_pivot_root, ".", ".") != 0)
			child_fail(c, 7);
		if (umount2(".", MNT_DETACH) != 0)
			child_fail(c, 8);
		if (chdir("/") != 0)
			child_fail(c, 10);
		if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
		        NULL) != 0)
			child_fail(c, 9);
		if (chdir("/tmp") != 0)
			child_fail(c, 10);
	} else {
		if (chdir(c->tmp_dir) != 0)
			child_fail(c, 10);
		if (syscall(SYS_setgroups, 0, NULL) != 0)
			child_fail(c, 12);
	}
	if (drop_caps() != 0)
		child_fail(c, 11);
	/* Raw system calls: glibc's wrappers would signal the parent's other
	 * threads, whose locks this clone may have copied held. */
	if (syscall(SYS_setresgid, c->uid, c->uid, c->uid) != 0)
		child_fail(c, 12);
	if (syscall(SYS_setresuid, c->uid, c->uid, c->uid) != 0)
		child_fail(c, 13);
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) != 0)
		child_fail(c, 14);
	if (setrlimit(RLIMIT_NOFILE, &c->lim_nofile) != 0 ||
	    setrlimit(RLIMIT_FSIZE, &c->lim_fsize) != 0 ||
	    setrlimit(RLIMIT_NPROC, &c->lim_nproc) != 0 ||
	    setrlimit(RLIMIT_STACK, &c->lim_stack) != 0 ||
	    setrlimit(RLIMIT_CORE, &(struct rlimit){0, 0}) != 0)
		child_fail(c, 15);
	if (c->set_cpu_as &&
	    (setrlimit(RLIMIT_CPU, &c->lim_cpu) != 0 || setrlimit(RLIMIT_AS, &c->lim_as) != 0))
		child_fail(c, 15);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		child_fail(c, 16);
	struct sock_fprog prog = {
	    (unsigned short)(c->w->outer.len / 8), (struct sock_filter *)c->w->outer.data};
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0)
		child_fail(c, 17);
	execve(SBX_PYTHON, c->argv, c->envp);
	child_fail(c, 18);
}

static int
add_op(struct child_args *c, enum op_kind k, const char *a, const char *b)
{
	if (c->nops >= MAX_OPS)
		return -1;
	struct op *o = &c->ops[c->nops++];
	o->kind = k;
	if (snprintf(o->a, sizeof(o->a), "%s", a ? a : "") >= (int)sizeof(o->a) ||
	    snprintf(o->b, sizeof(o->b), "%s", b) >= (int)sizeof(o->b))
		return -1;
	return 0;
}

/* Plan the new root: parents, symlinks as symlinks, binds of dirs and files. */
static int
plan_root(struct child_args *c, const struct sbx_policy *p, const char *root)
{
	static const char *const devs[] = {"/dev/null", "/dev/zero", "/dev/urandom", "/dev/random"};
	char dst[600];
	snprintf(dst, sizeof(dst), "%s/dev", root);
	if (add_op(c, OP_MKDIR, NULL, dst) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		snprintf(dst, sizeof(dst), "%s%s", root, devs[i]);
		if (add_op(c, OP_TOUCH, NULL, dst) != 0 || add_op(c, OP_BIND, devs[i], dst) != 0)
			return -1;
	}
	for (unsigned i = 0; i < p->nbinds; i++) {
		const char *src = p->ro_binds[i];
		struct stat st;
		if (src[0] != '/' || strstr(src, "..") != NULL)
			return -1;
		if (lstat(src, &st) != 0)
			continue; /* absent on this host: nothing to bind */
		/* Under /sys only settings are bound (huge pages): best effort. */
		enum op_kind bind = strncmp(src, "/sys/", 5) == 0 ? OP_BIND_OPTIONAL : OP_BIND;
		/* Every parent directory, outermost first. */
		for (const char *s = strchr(src + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
			snprintf(dst, sizeof(dst), "%s%.*s", root, (int)(s - src), src);
			if (add_op(c, OP_MKDIR, NULL, dst) != 0)
				return -1;
		}
		snprintf(dst, sizeof(dst), "%s%s", root, src);
		if (S_ISLNK(st.st_mode)) {
			char target[300];
			ssize_t n = readlink(src, target, sizeof(target) - 1);
			if (n <= 0)
				return -1;
			target[n] = '\0';
			if (add_op(c, OP_SYMLINK, target, dst) != 0)
				return -1;
		} else if (S_ISDIR(st.st_mode)) {
			if (add_op(c, OP_MKDIR, NULL, dst) != 0 || add_op(c, bind, src, dst) != 0)
				return -1;
		} else if (S_ISREG(st.st_mode)) {
			if (add_op(c, OP_TOUCH, NULL, dst) != 0 || add_op(c, bind, src, dst) != 0)
				return -1;
		}
	}
	snprintf(dst, sizeof(dst), "%s/tmp", root);
	if (add_op(c, OP_MKDIR, NULL, dst) != 0)
		return -1;
	return 0;
}

static enum tc_err
write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return tc_err_from_errno(errno);
	ssize_t n = write(fd, text, strlen(text));
	int e = errno;
	close(fd);
	return n == (ssize_t)strlen(text) ? TC_OK : tc_err_from_errno(e);
}

static void
set_lim(struct rlimit *r, unsigned long long v)
{
	r->rlim_cur = v;
	r->rlim_max = v;
}

enum tc_err
sbx__box_start(struct sbx_worker *w, const struct sbx_box_spec *spec, struct sbx_box *b)
{
	const struct sbx_policy *p = spec->policy;
	memset(b, 0, sizeof(*b));
	if (w->level == SBX_LEVEL_NONE || w->outer.data == NULL)
		return TC_ESANDBOX;
	struct child_args *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return TC_ENOMEM;
	enum tc_err err = TC_ESANDBOX;
	int sync[2] = {-1, -1}, errp[2] = {-1, -1}, devnull = -1;
	void *stack = MAP_FAILED;
	const size_t stack_size = 256 * 1024;

	c->w = w;
	c->spec = spec;
	c->uid = w->level == SBX_LEVEL_CONTAINER ? w->uid : p->uid;
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0)
		goto out;
	for (int i = 0; i < 5; i++)
		c->fds[i] = spec->fds[i] >= 0 ? spec->fds[i] : devnull;
	if (w->level == SBX_LEVEL_FULL) {
		if (plan_root(c, p, w->root) != 0) {
			tc_log(TC_LOG_ERROR, "sandbox", "cannot plan the box root");
			goto out;
		}
		snprintf(c->tmp_dir, sizeof(c->tmp_dir), "%s/tmp", w->root);
		snprintf(c->tmp_opts, sizeof(c->tmp_opts), "size=%uk,nr_inodes=4096,mode=1777",
		    p->tmpfs_kb);
	} else {
		snprintf(c->tmp_dir, sizeof(c->tmp_dir), "%s", w->scratch);
	}
	c->argv[0] = "python3.11";
	c->argv[1] = "-I";
	c->argv[2] = "-S";
	c->argv[3] = "-B";
	c->argv[4] = "-c";
	c->argv[5] = (char *)sbx__harness_py;
	c->argv[6] = (char *)spec->mode;
	c->argv[7] = NULL;
	unsigned ne = 0;
	/* Read by the C library at start-up only: large blocks (a parsed input,
	 * a solution's dict) fault in 2 MiB at a time instead of 4 KiB. */
	c->envp[ne++] = "GLIBC_TUNABLES=glibc.malloc.hugetlb=1";
	for (unsigned i = 0; i < p->nenv && i < SBX_MAX_ENV; i++)
		c->envp[ne++] = (char *)p->env[i];
	set_lim(&c->lim_nofile, p->max_files);
	set_lim(&c->lim_fsize, p->max_file_bytes);
	set_lim(&c->lim_nproc, p->max_procs);
	set_lim(&c->lim_stack, 64ull << 20);
	if (spec->per_test_limits) {
		c->set_cpu_as = true;
		unsigned long long cpu_s = (p->cpu_ms + 999) / 1000 + 1;
		c->lim_cpu.rlim_cur = cpu_s;
		c->lim_cpu.rlim_max = cpu_s + 1;
		set_lim(&c->lim_as, ((unsigned long long)p->mem_mb + 64) << 20);
	}
	if (pipe2(sync, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0)
		goto out;
	c->sync_r = sync[0];
	c->sync_w = sync[1];
	c->err_w = errp[1];
	stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		goto out;
	int flags = SIGCHLD;
	if (w->level == SBX_LEVEL_FULL)
		flags |= CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC |
		         CLONE_NEWUTS;
	pid_t pid = clone(child_main, (char *)stack + stack_size, flags, c);
	if (pid < 0) {
		tc_log(TC_LOG_ERROR, "sandbox", "clone: %s", strerror(errno));
		goto out;
	}
	b->pid = pid;
	close(sync[0]);
	sync[0] = -1;
	close(errp[1]);
	errp[1] = -1;
	if (w->level == SBX_LEVEL_FULL) {
		char path[64], map[64];
		snprintf(map, sizeof(map), "%u %u 1\n", c->uid, c->uid);
		snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
		enum tc_err e1 = write_file(path, map);
		snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
		enum tc_err e2 = write_file(path, "deny");
		snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
		enum tc_err e3 = write_file(path, map);
		if (e1 != TC_OK || e2 != TC_OK || e3 != TC_OK) {
			tc_log(TC_LOG_ERROR, "sandbox", "cannot write the uid/gid maps");
			goto kill;
		}
	}
	if (w->have_cg &&
	    sbx__cg_attach(&w->cg[spec->lane < w->lanes ? spec->lane : 0], pid) != TC_OK) {
		tc_log(TC_LOG_ERROR, "sandbox", "cannot attach the box to its cgroups");
		goto kill;
	}
	if (write(sync[1], "g", 1) != 1)
		goto kill;
	struct fail f;
	ssize_t n;
	do
		n = read(errp[0], &f, sizeof(f));
	while (n < 0 && errno == EINTR);
	if (n == 0) {
		err = TC_OK;
		goto out;
	}
	if (n == (ssize_t)sizeof(f) && f.step >= 0 &&
	    f.step < (int)(sizeof(step_names) / sizeof(step_names[0])))
		tc_log(TC_LOG_ERROR, "sandbox", "box setup failed at %s: %s", step_names[f.step],
		    strerror(f.err));
	else
		tc_log(TC_LOG_ERROR, "sandbox", "box setup failed");
kill:
	sbx__box_kill(w, b);
	b->pid = 0;
out:
	if (stack != MAP_FAILED)
		munmap(stack, stack_size);
	for (int i = 0; i < 2; i++) {
		if (sync[i] >= 0)
			close(sync[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	if (devnull >= 0)
		close(devnull);
	free(c);
	return err;
}

bool
sbx__box_reap(struct sbx_box *b, bool block, int *status, struct rusage *ru)
{
	if (b->pid <= 0 || b->reaped)
		return true;
	int st = 0;
	struct rusage r;
	pid_t rc;
	do
		rc = wait4(b->pid, &st, block ? 0 : WNOHANG, &r);
	while (rc < 0 && errno == EINTR);
	if (rc == 0)
		return false;
	b->reaped = true;
	if (rc < 0)
		return true;
	if (status)
		*status = st;
	if (ru)
		*ru = r;
	return true;
}

/* Container level: kill every process of the worker's uid, from that uid. */
static void
kill_uid(unsigned uid)
{
	for (int round = 0; round < 3; round++) {
		pid_t k = fork();
		if (k == 0) {
			if (setresgid(uid, uid, uid) != 0 || setresuid(uid, uid, uid) != 0)
				_exit(1);
			kill(-1, SIGKILL);
			_exit(0);
		}
		if (k > 0) {
			int st;
			while (waitpid(k, &st, 0) < 0 && errno == EINTR) {
			}
		}
	}
}

void
sbx__box_kill(struct sbx_worker *w, struct sbx_box *b)
{
	(void)w;
	if (b->pid > 0 && !b->reaped)
		kill(b->pid, SIGKILL);
	/* At full level the box's first process is pid 1 of its namespace: it is
	 * reaped only after the kernel has killed everything else inside. */
	sbx__box_reap(b, true, NULL, NULL);
}

void
sbx__worker_sweep(struct sbx_worker *w)
{
	if (w->level == SBX_LEVEL_CONTAINER)
		kill_uid(w->uid);
	for (unsigned i = 0; w->have_cg && i < w->lanes; i++)
		sbx__cg_kill_all(&w->cg[i]);
}
