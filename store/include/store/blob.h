/*
 * store/blob.h - the blob store: content-addressed, compressed bytes
 * (problem assets, submitted code, stdout, stderr, result.json).
 *
 * A blob's key is the lowercase hex SHA-256 of its uncompressed bytes, so
 * writing the same bytes twice stores them once and a reader can check
 * what it got.  Backends sit behind an ops table: the filesystem
 * (store/src/blob_fs.c, a directory such as ./data/blobs); an S3 backend
 * comes later behind the same calls.
 *
 * Threads and blocking: every call blocks on I/O (run it on the core's
 * worker pool); a handle may be shared between threads.
 */
#ifndef STORE_BLOB_H
#define STORE_BLOB_H

#include <stddef.h>

#include "core/err.h"

#define ST_BLOB_KEY_LEN 64
#define ST_BLOB_MAX (256u << 20) /* hard cap on one blob: 256 MiB */

struct st_blobs;

/*
 * st_blobs_open opens the blob store at target (a directory path, created
 * if missing).  On failure *out is NULL and err gets one line naming the
 * problem and what to do: TC_EPERM (not writable), TC_EIO, TC_ENOTSUP (a
 * URL scheme this build cannot serve).  The caller owns *out.
 * Thread: any.  Blocks: yes.
 */
enum tc_err st_blobs_open(const char *target, struct st_blobs **out, char *err, size_t errlen);

/* st_blobs_free closes the store; NULL is a no-op.  Blocks: no. */
void st_blobs_free(struct st_blobs *b);

/*
 * st_blob_put stores len bytes (at most ST_BLOB_MAX) and writes their key
 * (ST_BLOB_KEY_LEN hex digits and a NUL) to key.  The write is atomic and
 * durable when the call returns: temp file, fsync, rename, fsync of the
 * directory.  Storing bytes that exist already is a cheap success.
 * Thread: any.  Blocks: yes.
 */
enum tc_err st_blob_put(struct st_blobs *b, const void *data, size_t len, char *key);

/*
 * st_blob_get reads the blob named key.  *data (malloc'd, owned by the
 * caller, NUL-terminated for convenience) and *len receive its bytes.
 * TC_ENOENT if absent, TC_ETOOBIG if it would exceed max bytes (0 means
 * ST_BLOB_MAX), TC_ECORRUPT if the stored bytes do not decompress or do not
 * match the key, TC_EINVAL for a malformed key.  Thread: any.  Blocks: yes.
 */
enum tc_err st_blob_get(struct st_blobs *b, const char *key, size_t max, void **data, size_t *len);

/*
 * st_blob_key computes the key of len bytes without storing them.
 * Thread: any.  Blocks: no.
 */
enum tc_err st_blob_key(const void *data, size_t len, char *key);

#endif /* STORE_BLOB_H */
