/*
 * ymerge_tool.c - a test-only front end to yp_update_merge, used by the
 * Node test tests/node/ymerge.test.mjs to check merged updates in Yjs.
 *
 *   ymerge_tool IN OUT SV_OUT [HAVE]
 *
 * IN holds the updates, each as a 4-byte big-endian length and its bytes;
 * OUT gets the merged update, SV_OUT its state vector.  HAVE, if given, is
 * a file holding a peer's state vector (structs it has are left out).
 * Exit status: 0 merged, 3 the merge gave up (TC_ENOTSUP), 1 other errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actors/yproto.h"

#define FILE_MAX (64u << 20)

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	uint8_t *buf = malloc(FILE_MAX);
	*len = buf != NULL ? fread(buf, 1, FILE_MAX, f) : 0;
	fclose(f);
	return buf;
}

static int
spit(const char *path, const struct yp_buf *b)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return -1;
	size_t n = b->len > 0 ? fwrite(b->data, 1, b->len, f) : 0;
	return fclose(f) == 0 && n == b->len ? 0 : -1;
}

int
main(int argc, char **argv)
{
	size_t len, have_len = 0, n = 0, cap = 0;
	uint8_t *have = NULL;
	struct yp_span *in = NULL;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: ymerge_tool IN OUT SV_OUT [HAVE]\n");
		return 1;
	}
	uint8_t *buf = slurp(argv[1], &len);
	if (buf == NULL || (argc == 5 && (have = slurp(argv[4], &have_len)) == NULL)) {
		fprintf(stderr, "ymerge_tool: cannot read input\n");
		return 1;
	}
	for (size_t pos = 0; pos < len;) {
		if (len - pos < 4) {
			fprintf(stderr, "ymerge_tool: truncated input\n");
			return 1;
		}
		size_t ulen = (size_t)buf[pos] << 24 | (size_t)buf[pos + 1] << 16 |
		              (size_t)buf[pos + 2] << 8 | buf[pos + 3];
		pos += 4;
		if (ulen > len - pos) {
			fprintf(stderr, "ymerge_tool: truncated input\n");
			return 1;
		}
		if (n == cap) {
			cap = cap > 0 ? cap * 2 : 64;
			in = realloc(in, cap * sizeof(*in));
			if (in == NULL)
				return 1;
		}
		in[n++] = (struct yp_span){buf + pos, ulen};
		pos += ulen;
	}

	struct yp_buf out, sv;
	yp_buf_init(&out, FILE_MAX);
	yp_buf_init(&sv, FILE_MAX);
	enum tc_err rv = yp_update_merge(in, n, have, have_len, &out, &sv);
	int status = 0;
	if (rv != TC_OK) {
		fprintf(stderr, "ymerge_tool: %s\n", tc_errname(rv));
		status = rv == TC_ENOTSUP ? 3 : 1;
	} else if (spit(argv[2], &out) != 0 || spit(argv[3], &sv) != 0) {
		fprintf(stderr, "ymerge_tool: cannot write output\n");
		status = 1;
	}
	yp_buf_fini(&out);
	yp_buf_fini(&sv);
	free(in);
	free(buf);
	free(have);
	return status;
}
