/*
 * test_chunk.c - the event chunk codec: round trips, compression, and
 * damaged input that must be refused with TC_ECORRUPT, never a crash.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "xt.h"

static void
make_events(struct st_event *e, size_t n, uint8_t *arena)
{
	/* Yjs-like updates: small, similar byte strings. */
	for (size_t i = 0; i < n; i++) {
		uint8_t *p = arena + i * 24;
		for (int j = 0; j < 24; j++)
			p[j] = (uint8_t)(j < 20 ? 0x10 + j : 'a' + (int)((i + (size_t)j) % 26));
		e[i] = (struct st_event){.seq = 100 + 2 * i + (i % 3 == 0),
		    .ts_ms = 1700000000000 + (int64_t)i * 37 - (i % 5 == 0 ? 3 : 0),
		    .type = ST_EV_YJS,
		    .len = 24,
		    .payload = p};
	}
}

Test(store_chunk, round_trip_keeps_every_field)
{
	struct st_event in[500], *out = NULL;
	uint8_t arena[500 * 24], *buf = NULL, *mem = NULL;
	size_t len = 0, n = 0;
	char why[128];
	make_events(in, 500, arena);
	XT_OK(st_chunk_encode(in, 500, &buf, &len));
	cr_assert(len < 500 * 24 / 2, "compresses similar updates: %zu bytes", len);
	XT_OK(st_chunk_decode(buf, len, &out, &n, &mem, why, sizeof(why)));
	cr_assert_eq(n, 500);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(out[i].seq, in[i].seq);
		cr_assert_eq(out[i].ts_ms, in[i].ts_ms);
		cr_assert_eq(out[i].type, in[i].type);
		cr_assert_eq(out[i].len, in[i].len);
		cr_assert(memcmp(out[i].payload, in[i].payload, in[i].len) == 0);
	}
	free(out);
	free(mem);
	free(buf);
}

Test(store_chunk, empty_payloads_and_one_event_round_trip)
{
	struct st_event in = {.seq = 1, .ts_ms = -5, .type = 9, .len = 0, .payload = NULL};
	struct st_event *out = NULL;
	uint8_t *buf = NULL, *mem = NULL;
	size_t len = 0, n = 0;
	XT_OK(st_chunk_encode(&in, 1, &buf, &len));
	XT_OK(st_chunk_decode(buf, len, &out, &n, &mem, NULL, 0));
	cr_assert_eq(n, 1);
	cr_assert_eq(out[0].ts_ms, -5);
	cr_assert_eq(out[0].len, 0);
	free(out);
	free(mem);
	free(buf);
}

Test(store_chunk, encode_rejects_bad_batches)
{
	struct st_event e[2] = {{.seq = 5, .type = 1}, {.seq = 5, .type = 1}};
	uint8_t *buf = NULL;
	size_t len = 0;
	XT_ERR(st_chunk_encode(e, 2, &buf, &len), TC_EINVAL); /* seqs must increase */
	XT_ERR(st_chunk_encode(e, 0, &buf, &len), TC_EINVAL);
	e[1].seq = 6;
	e[1].type = 0;
	XT_ERR(st_chunk_encode(e, 2, &buf, &len), TC_EINVAL);
	cr_assert_null(buf);
}

Test(store_chunk, every_damaged_byte_is_refused)
{
	struct st_event in[50], *out = NULL;
	uint8_t arena[50 * 24], *buf = NULL, *mem = NULL;
	size_t len = 0, n = 0;
	char why[128];
	make_events(in, 50, arena);
	XT_OK(st_chunk_encode(in, 50, &buf, &len));
	for (size_t i = 0; i < len; i++) {
		buf[i] ^= 0x41;
		enum tc_err rv = st_chunk_decode(buf, len, &out, &n, &mem, why, sizeof(why));
		buf[i] ^= 0x41;
		cr_assert_eq(rv, TC_ECORRUPT, "byte %zu flipped: got %s", i, tc_errname(rv));
		cr_assert_null(out);
		cr_assert_null(mem);
		cr_assert(why[0] != '\0');
	}
	for (size_t cut = 0; cut < len; cut += 7)
		XT_ERR(st_chunk_decode(buf, cut, &out, &n, &mem, why, sizeof(why)), TC_ECORRUPT);
	free(buf);
}
