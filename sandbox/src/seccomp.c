/*
 * sandbox/src/seccomp.c - the syscall allow-list.
 *
 * Design notes
 * - An allow-list: anything not named below fails with EPERM, so a new
 *   kernel syscall is denied until reviewed.  clone3 fails with ENOSYS so
 *   libc falls back to clone, whose flags we can inspect (clone3 passes them
 *   in memory, out of seccomp's reach).
 * - Only the native architecture is in the filter: i386 (int 0x80) and x32
 *   system calls hit the bad-architecture action and kill the process.
 * - clone may not create namespaces; socket and socketpair only AF_UNIX, so
 *   no internet or netlink sockets at either level.  prctl is limited to
 *   the options the harness and libc use.
 * - The filter is compiled once per worker and exported as classic BPF, so
 *   a freshly cloned child installs it with one prctl (no allocation after
 *   fork) and the harness installs the same bytes through ctypes.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "sbx_priv.h"

static const char *const allowed[] = {
    "read",
    "write",
    "readv",
    "writev",
    "pread64",
    "pwrite64",
    "preadv",
    "pwritev",
    "lseek",
    "close",
    "close_range",
    "fstat",
    "stat",
    "lstat",
    "newfstatat",
    "statx",
    "statfs",
    "fstatfs",
    "open",
    "openat",
    "access",
    "faccessat",
    "faccessat2",
    "readlink",
    "readlinkat",
    "getdents64",
    "getcwd",
    "chdir",
    "fchdir",
    "fcntl",
    "dup",
    "dup2",
    "dup3",
    "pipe",
    "pipe2",
    "mmap",
    "munmap",
    "mprotect",
    "mremap",
    "brk",
    "madvise",
    "mincore",
    "msync",
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "rt_sigpending",
    "rt_sigtimedwait",
    "rt_sigsuspend",
    "sigaltstack",
    "getpid",
    "gettid",
    "getppid",
    "getpgrp",
    "getpgid",
    "getsid",
    "setsid",
    "setpgid",
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
    "getresuid",
    "getresgid",
    "getgroups",
    "getrlimit",
    "setrlimit",
    "prlimit64",
    "getrusage",
    "times",
    "clock_gettime",
    "clock_getres",
    "clock_nanosleep",
    "nanosleep",
    "gettimeofday",
    "time",
    "exit",
    "exit_group",
    "futex",
    "set_robust_list",
    "get_robust_list",
    "set_tid_address",
    "rseq",
    "arch_prctl",
    "getrandom",
    "uname",
    "sysinfo",
    "sched_yield",
    "sched_getaffinity",
    "sched_getparam",
    "sched_getscheduler",
    "getpriority",
    "ioctl",
    "poll",
    "ppoll",
    "select",
    "pselect6",
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_wait",
    "epoll_pwait",
    "eventfd2",
    "wait4",
    "waitid",
    "kill",
    "tgkill",
    "tkill",
    "fork",
    "vfork",
    "unlink",
    "unlinkat",
    "mkdir",
    "mkdirat",
    "rmdir",
    "rename",
    "renameat",
    "renameat2",
    "ftruncate",
    "truncate",
    "fsync",
    "fdatasync",
    "fchmod",
    "chmod",
    "fchmodat",
    "umask",
    "link",
    "linkat",
    "symlink",
    "symlinkat",
    "utimensat",
    "connect",
    "sendto",
    "recvfrom",
    "sendmsg",
    "recvmsg",
    "bind",
    "listen",
    "accept",
    "accept4",
    "shutdown",
    "getsockname",
    "getpeername",
    "setsockopt",
    "getsockopt",
    "seccomp",
    "membarrier",
    "restart_syscall",
    "alarm",
    "pause",
    "timer_create",
    "timer_settime",
    "timer_gettime",
    "timer_delete",
    "memfd_create",
    "flock",
    "sched_setaffinity",
};

/* Namespace-creating clone flags. */
#define NS_FLAGS                                                                                   \
	(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | \
	    CLONE_NEWCGROUP)

static const int prctl_ok[] = {
    PR_SET_NO_NEW_PRIVS,
    PR_GET_NO_NEW_PRIVS,
    PR_SET_SECCOMP,
    PR_GET_SECCOMP,
    PR_SET_NAME,
    PR_GET_NAME,
    PR_GET_DUMPABLE,
    PR_SET_PDEATHSIG,
    PR_GET_PDEATHSIG,
    PR_CAPBSET_READ,
    PR_SET_VMA,
};

static int
add_rules(scmp_filter_ctx ctx, bool allow_exec)
{
	int rc = 0;
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		int nr = seccomp_syscall_resolve_name(allowed[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (rc < 0)
			return rc;
	}
	if (allow_exec) {
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(execve), 0);
		if (rc < 0)
			return rc;
	}
	rc = seccomp_rule_add(
	    ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, NS_FLAGS, 0));
	if (rc < 0)
		return rc;
	rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (rc < 0)
		return rc;
	rc = seccomp_rule_add(
	    ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
	if (rc < 0)
		return rc;
	rc = seccomp_rule_add(
	    ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 1, SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < sizeof(prctl_ok) / sizeof(prctl_ok[0]); i++) {
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
		    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)prctl_ok[i]));
		if (rc < 0)
			return rc;
	}
	return 0;
}

enum tc_err
sbx__filter_build(bool allow_exec, struct sbx_bpf *out)
{
	memset(out, 0, sizeof(*out));
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (ctx == NULL)
		return TC_ENOMEM;
	enum tc_err err = TC_ESANDBOX;
	int fd = -1;
	/* Foreign architectures (i386, x32) are killed, not merely refused. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) < 0)
		goto done;
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0)
		goto done;
	int rc = add_rules(ctx, allow_exec);
	if (rc < 0) {
		tc_log(TC_LOG_ERROR, "sandbox", "seccomp rule: %s", strerror(-rc));
		goto done;
	}
	fd = memfd_create("sbx-bpf", MFD_CLOEXEC);
	if (fd < 0)
		goto done;
	if (seccomp_export_bpf(ctx, fd) < 0)
		goto done;
	off_t len = lseek(fd, 0, SEEK_END);
	if (len <= 0 || len > 65536 || len % 8 != 0)
		goto done;
	out->data = malloc((size_t)len);
	if (out->data == NULL) {
		err = TC_ENOMEM;
		goto done;
	}
	if (pread(fd, out->data, (size_t)len, 0) != len) {
		free(out->data);
		out->data = NULL;
		goto done;
	}
	out->len = (size_t)len;
	err = TC_OK;
done:
	if (fd >= 0)
		close(fd);
	seccomp_release(ctx);
	if (err != TC_OK)
		tc_log(TC_LOG_ERROR, "sandbox", "could not build the seccomp filter");
	return err;
}

void
sbx__bpf_fini(struct sbx_bpf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
}
