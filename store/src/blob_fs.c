/*
 * blob_fs.c - the blob store's filesystem backend.
 *
 * Design notes.  A blob with key k lives at DIR/k[0..1]/k.zst as one zstd
 * frame (content size and checksum on).  A put writes a temp file in the
 * same directory, fsyncs it, renames it into place and fsyncs the
 * directory, so a reader sees either nothing or the whole blob, and a
 * completed put survives a crash.  Since names are content hashes, a blob
 * that exists is never rewritten.  Reads check the compressed size and the
 * declared content size against the caller's cap before allocating.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "blob_priv.h"
#include "core/log.h"

struct fsb {
	char dir[3900];
};

static int
mkdir_p(const char *path)
{
	char buf[4096];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return ENAMETOOLONG;
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0750) != 0 && errno != EEXIST)
			return errno;
		*p = '/';
	}
	if (mkdir(buf, 0750) != 0 && errno != EEXIST)
		return errno;
	return 0;
}

static int
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	int rc = fsync(fd) == 0 ? 0 : errno;
	close(fd);
	return rc;
}

static enum tc_err
fs_open(struct st_blobs *b, const char *target, char *err, size_t errlen)
{
	struct fsb *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return TC_ENOMEM;
	if (strlen(target) >= sizeof(f->dir) - 80) {
		free(f);
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "blob directory path is too long");
		return TC_EINVAL;
	}
	snprintf(f->dir, sizeof(f->dir), "%s", target);
	int e = mkdir_p(target);
	struct stat sb;
	if (e == 0 && stat(target, &sb) != 0)
		e = errno;
	if (e == 0 && !S_ISDIR(sb.st_mode))
		e = ENOTDIR;
	if (e == 0 && access(target, W_OK | X_OK) != 0)
		e = errno;
	if (e != 0) {
		enum tc_err code = e == EACCES || e == EPERM || e == EROFS ? TC_EPERM : TC_EIO;
		if (err != NULL && errlen > 0)
			snprintf(err, errlen,
			    "cannot use blob directory %s (%s): create it writable or choose "
			    "another path",
			    target, strerror(e));
		free(f);
		return code;
	}
	b->impl = f;
	return TC_OK;
}

static void
fs_close(struct st_blobs *b)
{
	free(b->impl);
	b->impl = NULL;
}

static enum tc_err
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return tc_err_from_errno(errno);
		}
		p += w;
		len -= (size_t)w;
	}
	return TC_OK;
}

static enum tc_err
fs_put(struct st_blobs *b, const char *key, const void *data, size_t len)
{
	struct fsb *f = b->impl;
	char sub[3920], path[4096], tmp[4096];
	snprintf(sub, sizeof(sub), "%s/%.2s", f->dir, key);
	snprintf(path, sizeof(path), "%s/%s.zst", sub, key);
	if (access(path, F_OK) == 0)
		return TC_OK;
	bool new_sub = mkdir(sub, 0750) == 0;
	if (!new_sub && errno != EEXIST) {
		tc_log(TC_LOG_ERROR, "blob", "cannot create %s: %s", sub, strerror(errno));
		return tc_err_from_errno(errno);
	}
	size_t bound = ZSTD_compressBound(len);
	void *z = malloc(bound > 0 ? bound : 1);
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	enum tc_err rv = TC_ENOMEM;
	int fd = -1;
	if (z == NULL || cctx == NULL)
		goto done;
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 3);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1);
	size_t zlen = ZSTD_compress2(cctx, z, bound, len > 0 ? data : "", len);
	if (ZSTD_isError(zlen)) {
		rv = TC_EINTERNAL;
		goto done;
	}
	snprintf(tmp, sizeof(tmp), "%s/.tmp-XXXXXX", sub);
	fd = mkstemp(tmp);
	if (fd < 0) {
		rv = tc_err_from_errno(errno);
		tc_log(TC_LOG_ERROR, "blob", "cannot create a temp file in %s: %s", sub,
		    strerror(errno));
		goto done;
	}
	rv = write_all(fd, z, zlen);
	if (rv == TC_OK && fsync(fd) != 0)
		rv = tc_err_from_errno(errno);
	if (close(fd) != 0 && rv == TC_OK)
		rv = tc_err_from_errno(errno);
	fd = -1;
	if (rv == TC_OK && rename(tmp, path) != 0)
		rv = tc_err_from_errno(errno);
	if (rv != TC_OK) {
		tc_log(TC_LOG_ERROR, "blob", "cannot write blob %s: %s", path, tc_strerror(rv));
		unlink(tmp);
		goto done;
	}
	if (fsync_dir(sub) != 0 || (new_sub && fsync_dir(f->dir) != 0))
		rv = TC_EIO;
done:
	ZSTD_freeCCtx(cctx);
	free(z);
	return rv;
}

static enum tc_err
fs_get(struct st_blobs *b, const char *key, size_t max, void **data, size_t *len)
{
	struct fsb *f = b->impl;
	char path[4096];
	snprintf(path, sizeof(path), "%s/%.2s/%s.zst", f->dir, key, key);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? TC_ENOENT : tc_err_from_errno(errno);
	struct stat sb;
	enum tc_err rv = TC_OK;
	void *z = NULL, *out = NULL;
	if (fstat(fd, &sb) != 0) {
		rv = tc_err_from_errno(errno);
		goto done;
	}
	if ((uint64_t)sb.st_size > ZSTD_compressBound(max)) {
		rv = TC_ETOOBIG;
		goto done;
	}
	size_t zlen = (size_t)sb.st_size;
	z = malloc(zlen > 0 ? zlen : 1);
	if (z == NULL) {
		rv = TC_ENOMEM;
		goto done;
	}
	for (size_t off = 0; off < zlen;) {
		ssize_t r = read(fd, (char *)z + off, zlen - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rv = r < 0 ? tc_err_from_errno(errno) : TC_ECORRUPT;
			goto done;
		}
		off += (size_t)r;
	}
	unsigned long long csize = ZSTD_getFrameContentSize(z, zlen);
	if (csize == ZSTD_CONTENTSIZE_ERROR || csize == ZSTD_CONTENTSIZE_UNKNOWN) {
		rv = TC_ECORRUPT;
		goto done;
	}
	if (csize > max) {
		rv = TC_ETOOBIG;
		goto done;
	}
	out = malloc((size_t)csize + 1);
	if (out == NULL) {
		rv = TC_ENOMEM;
		goto done;
	}
	size_t got = ZSTD_decompress(out, (size_t)csize, z, zlen);
	if (ZSTD_isError(got) || got != csize) {
		rv = TC_ECORRUPT;
		goto done;
	}
	((char *)out)[got] = '\0';
	*data = out;
	*len = got;
	out = NULL;
done:
	if (rv == TC_ECORRUPT)
		tc_log(TC_LOG_ERROR, "blob", "blob %s is corrupt", path);
	close(fd);
	free(z);
	free(out);
	return rv;
}

const struct st_blob_ops st__blob_fs_ops = {
    .name = "fs",
    .open = fs_open,
    .close = fs_close,
    .put = fs_put,
    .get = fs_get,
};
