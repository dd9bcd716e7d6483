#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "xt.h"

char *
xt_tmpdir(const char *tag)
{
	const char *base = getenv("TMPDIR");
	char *path;

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	if (asprintf(&path, "%s/tandem-%s-XXXXXX", base, tag != NULL ? tag : "t") < 0)
		return NULL;
	if (mkdtemp(path) == NULL) {
		free(path);
		return NULL;
	}
	return path;
}

void
xt_write_file(const char *dir, const char *name, const char *text)
{
	char path[4096];
	if (dir != NULL)
		snprintf(path, sizeof(path), "%s/%s", dir, name);
	else
		snprintf(path, sizeof(path), "%s", name);
	FILE *f = fopen(path, "w");
	cr_assert(f != NULL, "cannot create %s", path);
	fputs(text, f);
	cr_assert(fclose(f) == 0, "cannot write %s", path);
}

static void
rmtree_at(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		unlinkat(dirfd, name, 0);
		return;
	}
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		rmtree_at(fd, e->d_name);
	}
	closedir(d);
	unlinkat(dirfd, name, AT_REMOVEDIR);
}

void
xt_rmtree(const char *path)
{
	if (path != NULL)
		rmtree_at(AT_FDCWD, path);
}

uint64_t
xt_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

bool
xt_wait_until(bool (*cond)(void *), void *arg, unsigned timeout_ms)
{
	uint64_t end = xt_now_ms() + timeout_ms;
	for (;;) {
		if (cond(arg))
			return true;
		if (xt_now_ms() >= end)
			return cond(arg);
		sched_yield();
	}
}

bool
xt_require_all(void)
{
	const char *v = getenv("TANDEM_REQUIRE_ALL");
	return v != NULL && v[0] != '\0' && strcmp(v, "0") != 0;
}

const char *
xt_build_root(void)
{
	const char *v = getenv("XT_BUILD_ROOT");
	return v != NULL ? v : ".";
}

const char *
xt_source_root(void)
{
	const char *v = getenv("XT_SOURCE_ROOT");
	return v != NULL ? v : "..";
}

uint8_t *
xt_read_source(size_t max, size_t *len, const char *fmt, ...)
{
	char rel[2048], path[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", xt_source_root(), rel);
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	uint8_t *buf = malloc(max + 1);
	cr_assert_not_null(buf);
	*len = fread(buf, 1, max + 1, f);
	fclose(f);
	cr_assert_leq(*len, max, "%s is over %zu bytes", path, max);
	return buf;
}
