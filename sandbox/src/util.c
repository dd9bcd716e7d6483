/*
 * sandbox/src/util.c - small helpers: bounded file reads, UTF-8 excerpts,
 * clocks, a tree removal that never follows symlinks.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sbx_priv.h"

enum tc_err
sbx__read_file(const char *path, size_t cap, char **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return tc_err_from_errno(errno);
	size_t have = 0, size = 4096;
	char *buf = malloc(size);
	if (buf == NULL) {
		close(fd);
		return TC_ENOMEM;
	}
	for (;;) {
		if (have + 1 >= size) {
			if (size > cap + 1) {
				free(buf);
				close(fd);
				return TC_ETOOBIG;
			}
			size *= 2;
			char *nb = realloc(buf, size);
			if (nb == NULL) {
				free(buf);
				close(fd);
				return TC_ENOMEM;
			}
			buf = nb;
		}
		ssize_t n = read(fd, buf + have, size - have - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			free(buf);
			close(fd);
			return tc_err_from_errno(e);
		}
		if (n == 0)
			break;
		have += (size_t)n;
		if (have > cap) {
			free(buf);
			close(fd);
			return TC_ETOOBIG;
		}
	}
	close(fd);
	buf[have] = '\0';
	*out = buf;
	*len = have;
	return TC_OK;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned cp;
	if (c < 0x80)
		return c == 0 ? 0 : 1;
	if ((c & 0xe0) == 0xc0) {
		len = 2;
		cp = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3;
		cp = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

char *
sbx__utf8_excerpt(const char *s, size_t len, size_t cap)
{
	/* Each invalid byte becomes U+FFFD (3 bytes), so reserve 3x. */
	char *out = malloc(cap * 3 + 8);
	if (out == NULL)
		return NULL;
	size_t o = 0, i = 0;
	while (s && i < len && o < cap) {
		size_t k = utf8_seq((const unsigned char *)s + i, len - i);
		if (k == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else {
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
		}
	}
	if (i < len) {
		memcpy(out + o, "\xe2\x80\xa6", 3); /* ellipsis: truncated */
		o += 3;
	}
	out[o] = '\0';
	return out;
}

uint64_t
sbx__now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
rm_at(int dirfd, const char *name, int depth)
{
	if (depth > 64)
		return;
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			DIR *d = fdopendir(fd);
			if (d != NULL) {
				struct dirent *de;
				while ((de = readdir(d)) != NULL) {
					if (strcmp(de->d_name, ".") == 0 ||
					    strcmp(de->d_name, "..") == 0)
						continue;
					rm_at(fd, de->d_name, depth + 1);
				}
				closedir(d);
			} else {
				close(fd);
			}
		}
		unlinkat(dirfd, name, AT_REMOVEDIR);
	} else {
		unlinkat(dirfd, name, 0);
	}
}

void
sbx__rmtree(const char *path)
{
	rm_at(AT_FDCWD, path, 0);
}
