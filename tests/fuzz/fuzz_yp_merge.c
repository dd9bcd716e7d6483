/*
 * fuzz_yp_merge.c - yp_update_merge (actors/src/yproto.c) on updates split
 * from arbitrary bytes: it must never crash or read out of bounds, and
 * what it writes must itself parse as an update, merge again (with and
 * without its own state vector as a peer's), and its state vector must
 * be well formed; yp_update_authorship over the same parts never counts
 * more text live than typed.
 *
 * Input: one byte k, then k parts each as a 2-byte big-endian length and
 * its bytes, then the last part (the rest).  Parts that yp_update_parse
 * refuses are left out, as the room never stores them.
 */
#include <stdint.h>
#include <stdlib.h>

#include "actors/yproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PARTS 8

static void
check_update(const uint8_t *p, size_t len)
{
	struct yp_update_info info;
	if (yp_update_parse(p, len, &info) != TC_OK)
		abort();
	yp_update_info_fini(&info);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yp_span in[MAX_PARTS + 1];
	size_t n = 0, pos = 1;

	if (size == 0)
		return 0;
	size_t k = data[0] % (MAX_PARTS + 1);
	for (size_t i = 0; i <= k; i++) {
		size_t len = size - pos;
		if (i < k) {
			if (size - pos < 2)
				break;
			len = (size_t)data[pos] << 8 | data[pos + 1];
			pos += 2;
			if (len > size - pos)
				len = size - pos;
		}
		struct yp_update_info info;
		if (yp_update_parse(data + pos, len, &info) == TC_OK) {
			yp_update_info_fini(&info);
			in[n++] = (struct yp_span){data + pos, len};
		}
		pos += len;
	}

	struct yp_buf out, sv, again, diff;
	yp_buf_init(&out, 1 << 22);
	yp_buf_init(&sv, 1 << 20);
	yp_buf_init(&again, 1 << 22);
	yp_buf_init(&diff, 1 << 22);
	enum tc_err rv = yp_update_merge(in, n, NULL, 0, &out, &sv);
	if (rv == TC_OK) {
		size_t nsv;
		check_update(out.data, out.len);
		if (yp_state_vector_check(sv.data, sv.len, &nsv) != TC_OK)
			abort();
		struct yp_span one = {out.data, out.len};
		if (yp_update_merge(&one, 1, NULL, 0, &again, NULL) != TC_OK)
			abort();
		check_update(again.data, again.len);
		if (yp_update_merge(&one, 1, sv.data, sv.len, &diff, NULL) != TC_OK)
			abort();
		check_update(diff.data, diff.len);
	} else if (rv != TC_ENOTSUP && rv != TC_ETOOBIG && rv != TC_ENOMEM) {
		abort(); /* inputs that parse never fail otherwise */
	} else if (out.len != 0 || sv.len != 0) {
		abort();
	}
	/* Authorship over the same inputs: never more live than typed. */
	uint32_t author[MAX_PARTS + 1];
	struct yp_author_stat st[3];
	uint64_t doc_len = 0, live = 0;
	for (size_t i = 0; i < n; i++)
		author[i] = (uint32_t)(i % 3);
	if (yp_update_authorship(in, author, n, st, 3, &doc_len) == TC_OK) {
		for (size_t a = 0; a < 3; a++) {
			if (st[a].live > st[a].typed)
				abort();
			live += st[a].live;
		}
		if (live != doc_len)
			abort();
	}
	/* A malformed peer state vector (the input's tail) is refused cleanly. */
	if (n > 0 && size > 1) {
		yp_buf_reset(&diff);
		(void)yp_update_merge(in, n, data + size / 2, size - size / 2, &diff, NULL);
		if (diff.len > 0)
			check_update(diff.data, diff.len);
	}
	yp_buf_fini(&out);
	yp_buf_fini(&sv);
	yp_buf_fini(&again);
	yp_buf_fini(&diff);
	return 0;
}
