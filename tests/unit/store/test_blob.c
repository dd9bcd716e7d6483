/*
 * test_blob.c - the filesystem blob store: content addressing, atomic
 * writes, caps and corruption.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/blob.h"
#include "xt.h"

Test(store_blob, put_get_round_trip_and_dedup)
{
	char *dir = xt_tmpdir("blob");
	char path[1024], err[256], key[ST_BLOB_KEY_LEN + 1], key2[ST_BLOB_KEY_LEN + 1];
	snprintf(path, sizeof(path), "%s/data/blobs", dir);
	struct st_blobs *b = NULL;
	XT_OK(st_blobs_open(path, &b, err, sizeof(err)));
	const char *text = "{\"status\":\"ACCEPTED\",\"passed\":3,\"total\":3}";
	XT_OK(st_blob_put(b, text, strlen(text), key));
	/* The key is the SHA-256 of the bytes. */
	char want[ST_BLOB_KEY_LEN + 1];
	XT_OK(st_blob_key(text, strlen(text), want));
	cr_assert_str_eq(key, want);
	XT_OK(st_blob_put(b, text, strlen(text), key2));
	cr_assert_str_eq(key, key2);
	void *data = NULL;
	size_t len = 0;
	XT_OK(st_blob_get(b, key, 0, &data, &len));
	cr_assert_eq(len, strlen(text));
	cr_assert(memcmp(data, text, len) == 0);
	free(data);
	XT_ERR(st_blob_get(b, key, 10, &data, &len), TC_ETOOBIG);
	cr_assert_null(data);
	char missing[ST_BLOB_KEY_LEN + 1];
	memset(missing, '0', ST_BLOB_KEY_LEN);
	missing[ST_BLOB_KEY_LEN] = '\0';
	XT_ERR(st_blob_get(b, missing, 0, &data, &len), TC_ENOENT);
	XT_ERR(st_blob_get(b, "../../etc/passwd", 0, &data, &len), TC_EINVAL);
	XT_OK(st_blob_put(b, "", 0, key));
	XT_OK(st_blob_get(b, key, 0, &data, &len));
	cr_assert_eq(len, 0);
	free(data);
	st_blobs_free(b);
	xt_rmtree(dir);
	free(dir);
}

Test(store_blob, known_key_is_sha256)
{
	char key[ST_BLOB_KEY_LEN + 1];
	XT_OK(st_blob_key("abc", 3, key));
	cr_assert_str_eq(key, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

Test(store_blob, damaged_blob_is_corrupt)
{
	char *dir = xt_tmpdir("blobbad");
	char err[256], key[ST_BLOB_KEY_LEN + 1], file[1200];
	struct st_blobs *b = NULL;
	XT_OK(st_blobs_open(dir, &b, err, sizeof(err)));
	char big[4096];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 13);
	XT_OK(st_blob_put(b, big, sizeof(big), key));
	snprintf(file, sizeof(file), "%s/%.2s/%s.zst", dir, key, key);
	FILE *f = fopen(file, "r+b");
	cr_assert_not_null(f);
	fseek(f, -6, SEEK_END);
	fputc('X', f);
	fclose(f);
	void *data = NULL;
	size_t len = 0;
	XT_ERR(st_blob_get(b, key, 0, &data, &len), TC_ECORRUPT);
	cr_assert_null(data);
	/* Replacing it with junk that is not zstd at all is corrupt as well. */
	f = fopen(file, "wb");
	fputs("junk", f);
	fclose(f);
	XT_ERR(st_blob_get(b, key, 0, &data, &len), TC_ECORRUPT);
	st_blobs_free(b);
	xt_rmtree(dir);
	free(dir);
}

Test(store_blob, unusable_directory_is_a_clear_error)
{
	char *dir = xt_tmpdir("blobfile");
	char path[1024], err[256];
	snprintf(path, sizeof(path), "%s/afile", dir);
	FILE *f = fopen(path, "w");
	fclose(f);
	struct st_blobs *b = NULL;
	cr_assert_neq(st_blobs_open(path, &b, err, sizeof(err)), TC_OK);
	cr_assert_null(b);
	cr_assert(strstr(err, path) != NULL, "%s", err);
	XT_ERR(st_blobs_open("s3://bucket/x", &b, err, sizeof(err)), TC_ENOTSUP);
	xt_rmtree(dir);
	free(dir);
}
