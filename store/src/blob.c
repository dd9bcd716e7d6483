/*
 * blob.c - the blob store's front: keys (SHA-256 through OpenSSL's EVP)
 * and dispatch to a backend.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob_priv.h"

enum tc_err
st_blob_key(const void *data, size_t len, char *key)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	static const char hex[] = "0123456789abcdef";

	if ((data == NULL && len > 0) || key == NULL)
		return TC_EINVAL;
	if (EVP_Digest(len > 0 ? data : "", len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		return TC_EINTERNAL;
	for (unsigned i = 0; i < mdlen; i++) {
		key[2 * i] = hex[md[i] >> 4];
		key[2 * i + 1] = hex[md[i] & 15];
	}
	key[2 * mdlen] = '\0';
	return TC_OK;
}

enum tc_err
st_blobs_open(const char *target, struct st_blobs **out, char *err, size_t errlen)
{
	if (out != NULL)
		*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (target == NULL || target[0] == '\0' || out == NULL)
		return TC_EINVAL;
	if (strncmp(target, "s3://", 5) == 0) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen,
			    "blob store %s: S3 is not supported by this build; "
			    "use a directory path",
			    target);
		return TC_ENOTSUP;
	}
	struct st_blobs *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return TC_ENOMEM;
	b->ops = &st__blob_fs_ops;
	enum tc_err rv = b->ops->open(b, target, err, errlen);
	if (rv != TC_OK) {
		free(b);
		return rv;
	}
	*out = b;
	return TC_OK;
}

void
st_blobs_free(struct st_blobs *b)
{
	if (b == NULL)
		return;
	b->ops->close(b);
	free(b);
}

enum tc_err
st_blob_put(struct st_blobs *b, const void *data, size_t len, char *key)
{
	if (b == NULL || key == NULL || (data == NULL && len > 0))
		return TC_EINVAL;
	if (len > ST_BLOB_MAX)
		return TC_ETOOBIG;
	enum tc_err rv = st_blob_key(data, len, key);
	if (rv != TC_OK)
		return rv;
	return b->ops->put(b, key, data, len);
}

enum tc_err
st_blob_get(struct st_blobs *b, const char *key, size_t max, void **data, size_t *len)
{
	if (data != NULL)
		*data = NULL;
	if (len != NULL)
		*len = 0;
	if (b == NULL || key == NULL || data == NULL || len == NULL)
		return TC_EINVAL;
	if (strnlen(key, ST_BLOB_KEY_LEN + 1) != ST_BLOB_KEY_LEN)
		return TC_EINVAL;
	for (int i = 0; i < ST_BLOB_KEY_LEN; i++) {
		if (!((key[i] >= '0' && key[i] <= '9') || (key[i] >= 'a' && key[i] <= 'f')))
			return TC_EINVAL;
	}
	if (max == 0 || max > ST_BLOB_MAX)
		max = ST_BLOB_MAX;
	enum tc_err rv = b->ops->get(b, key, max, data, len);
	if (rv != TC_OK)
		return rv;
	char got[ST_BLOB_KEY_LEN + 1];
	rv = st_blob_key(*data, *len, got);
	if (rv == TC_OK && strcmp(got, key) != 0)
		rv = TC_ECORRUPT;
	if (rv != TC_OK) {
		free(*data);
		*data = NULL;
		*len = 0;
	}
	return rv;
}
