/*
 * blob_priv.h - the blob store's backend ops table.
 */
#ifndef STORE_BLOB_PRIV_H
#define STORE_BLOB_PRIV_H

#include "store/blob.h"

struct st_blob_ops {
	const char *name;
	/* Open target; on failure write one line to err.  Blocks: yes. */
	enum tc_err (*open)(struct st_blobs *b, const char *target, char *err, size_t errlen);
	void (*close)(struct st_blobs *b);
	/* Store the already-keyed bytes.  Blocks: yes. */
	enum tc_err (*put)(struct st_blobs *b, const char *key, const void *data, size_t len);
	/* Read and verify; see st_blob_get.  Blocks: yes. */
	enum tc_err (*get)(
	    struct st_blobs *b, const char *key, size_t max, void **data, size_t *len);
};

extern const struct st_blob_ops st__blob_fs_ops;

struct st_blobs {
	const struct st_blob_ops *ops;
	void *impl;
};

#endif /* STORE_BLOB_PRIV_H */
