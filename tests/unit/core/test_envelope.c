/*
 * The wire envelope: round trips, every truncation, size caps, hostile
 * counts, nesting depth, the version, and golden bytes from tests/data/.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/msg.h"
#include "xt.h"

/* A message with a few non-trivial field values. */
static struct tc_msg *
sample(size_t body_len)
{
	struct tc_msg *m;
	uint8_t *body = malloc(body_len + 1);

	cr_assert_not_null(body);
	for (size_t i = 0; i < body_len; i++)
		body[i] = (uint8_t)(i * 31 + 7);
	XT_OK(tc_msg_new(TC_MSG_APP + 44, body, body_len, &m));
	free(body);
	m->to = (struct tc_addr){0x0000000900000011ull, 3};
	m->from = (struct tc_addr){0xfffffffe00000001ull, 65535};
	m->flags = TC_MSG_F_ASK;
	m->corr = UINT64_MAX - 5;
	return m;
}

static void
assert_same(const struct tc_msg *a, const struct tc_msg *b)
{
	cr_assert(tc_addr_eq(a->to, b->to));
	cr_assert(tc_addr_eq(a->from, b->from));
	cr_assert_eq(a->type, b->type);
	cr_assert_eq(a->flags, b->flags);
	cr_assert_eq(a->corr, b->corr);
	cr_assert_eq(a->len, b->len);
	cr_assert(a->len == 0 || memcmp(a->body, b->body, a->len) == 0);
}

static void
encode(const struct tc_msg *m, const char *name, uint8_t **buf, size_t *len)
{
	size_t cap = 0;
	*buf = NULL;
	*len = 0;
	XT_OK(tc_envelope_encode(m, name, buf, len, &cap));
	cr_assert_leq(*len, cap);
}

Test(core_envelope, round_trip_preserves_every_field)
{
	const size_t sizes[] = {0, 1, 31, 32, 255, 256, 65535, 65536, 100000};
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct tc_msg *m = sample(sizes[k]), *d = NULL;
		uint8_t *buf;
		size_t len, used = 0;
		char name[TC_NAME_MAX];

		encode(m, k % 2 ? "room/7fk2" : NULL, &buf, &len);
		XT_OK(tc_envelope_decode(buf, len, TC_MSG_BODY_MAX_DEFAULT, &d, &used, name));
		cr_assert_eq(used, len);
		cr_assert_str_eq(name, k % 2 ? "room/7fk2" : "");
		assert_same(m, d);
		tc_msg_free(d);
		tc_msg_free(m);
		free(buf);
	}
}

Test(core_envelope, several_envelopes_in_one_buffer_decode_in_order)
{
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, off = 0;
	char name[TC_NAME_MAX];

	for (uint32_t i = 0; i < 5; i++) {
		struct tc_msg *m = sample(i * 10);
		m->corr = i;
		XT_OK(tc_envelope_encode(m, i == 2 ? "kind/x" : NULL, &buf, &len, &cap));
		tc_msg_free(m);
	}
	for (uint32_t i = 0; i < 5; i++) {
		struct tc_msg *d;
		size_t used;
		XT_OK(tc_envelope_decode(buf + off, len - off, 1024, &d, &used, name));
		cr_assert_eq(d->corr, i);
		cr_assert_eq(d->len, i * 10);
		cr_assert_str_eq(name, i == 2 ? "kind/x" : "");
		off += used;
		tc_msg_free(d);
	}
	cr_assert_eq(off, len);
	free(buf);
}

Test(core_envelope, every_truncation_is_rejected_as_malformed)
{
	struct tc_msg *m = sample(300), *d = NULL;
	uint8_t *buf;
	size_t len, used;
	char name[TC_NAME_MAX];

	encode(m, "room/abc", &buf, &len);
	for (size_t cut = 0; cut < len; cut++) {
		/* A fresh copy of exactly cut bytes, so ASan sees any over-read. */
		uint8_t *part = malloc(cut + 1);
		cr_assert_not_null(part);
		memcpy(part, buf, cut);
		enum tc_err rv = tc_envelope_decode(cut ? part : NULL, cut, 4096, &d, &used, name);
		cr_assert_eq(
		    rv, TC_EPROTO, "prefix of %zu/%zu bytes: %s", cut, len, tc_errname(rv));
		free(part);
	}
	tc_msg_free(m);
	free(buf);
}

Test(core_envelope, body_over_the_cap_is_too_big)
{
	struct tc_msg *m = sample(2000), *d = NULL;
	uint8_t *buf;
	size_t len, used;
	char name[TC_NAME_MAX];

	encode(m, NULL, &buf, &len);
	XT_ERR(tc_envelope_decode(buf, len, 1999, &d, &used, name), TC_ETOOBIG);
	XT_ERR(tc_envelope_decode(buf, len, 100, &d, &used, name), TC_ETOOBIG);
	XT_OK(tc_envelope_decode(buf, len, 2000, &d, &used, name));
	tc_msg_free(d);
	tc_msg_free(m);
	free(buf);
}

Test(core_envelope, huge_declared_counts_are_rejected_without_allocating)
{
	/* Each header declares far more than the bytes that follow. */
	static const struct {
		uint8_t b[9];
		size_t n;
	} cases[] = {
	    {{0xdd, 0xff, 0xff, 0xff, 0xff}, 5},             /* array32 of 4G items */
	    {{0xdd, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02}, 7}, /* ... with two present */
	    {{0xdf, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02}, 7}, /* map32 */
	    {{0xdc, 0xff, 0xff, 0x01}, 4},                   /* array16 */
	    {{0xde, 0x80, 0x00, 0x01, 0x01}, 5},             /* map16 */
	    {{0xdb, 0xff, 0xff, 0xff, 0xff, 'a'}, 6},        /* str32 */
	    {{0xda, 0xff, 0xff}, 3},                         /* str16 */
	    {{0xd9, 0x05, 'a', 'b'}, 4},                     /* str8 */
	    {{0xc6, 0xff, 0xff, 0xff, 0xff, 0x00}, 6},       /* bin32 */
	    {{0xc5, 0x01, 0x00}, 3},                         /* bin16 */
	    {{0xc9, 0xff, 0xff, 0xff, 0xff, 0x01}, 6},       /* ext32 */
	    {{0xc7, 0x02, 0x01, 0x00}, 4},                   /* ext8: type + 1 of 2 */
	    {{0x9f, 0x01}, 2},                               /* fixarray of 15 */
	    {{0x8f, 0x01, 0x01}, 3},                         /* fixmap of 15 */
	    {{0xbf, 'a'}, 2},                                /* fixstr of 31 */
	    {{0xcf, 0x00, 0x00}, 3},                         /* uint64 cut short */
	    {{0xd8, 0x01}, 2},                               /* fixext16 cut short */
	    {{0xc1}, 1},                                     /* never used */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t used = 12345;
		enum tc_err rv = tc_mp_check(cases[i].b, cases[i].n, 64, &used);
		cr_assert_eq(rv, TC_EPROTO, "case %zu: %s", i, tc_errname(rv));
		cr_assert_eq(used, 12345, "case %zu wrote consumed on failure", i);
	}

	/* The same header inside an envelope is refused by the decoder too. */
	uint8_t env[] = {0x9a, 0x01, 0x01, 0x01, 0xc0, 0x01, 0x01, 0xcd, 0x01, 0x00, 0x00, 0x00,
	    0xc6, 0xff, 0xff, 0xff, 0xff, 0x00};
	struct tc_msg *d;
	size_t used;
	char name[TC_NAME_MAX];
	XT_ERR(tc_envelope_decode(env, sizeof(env), TC_MSG_BODY_MAX_DEFAULT, &d, &used, name),
	    TC_EPROTO);
}

Test(core_envelope, valid_objects_are_measured_exactly)
{
	/* [1, "ab", {nil: true}, bin "x", -1, 1.5f, fixext1] plus a trailing byte */
	static const uint8_t b[] = {0x97, 0x01, 0xa2, 'a', 'b', 0x81, 0xc0, 0xc3, 0xc4, 0x01, 'x',
	    0xff, 0xca, 0x3f, 0xc0, 0x00, 0x00, 0xd4, 0x01, 0x02, 0x55};
	size_t used = 0;
	XT_OK(tc_mp_check(b, sizeof(b), 4, &used));
	cr_assert_eq(used, sizeof(b) - 1);
	XT_ERR(tc_mp_check(b, 0, 4, &used), TC_EPROTO);
}

/* n nested arrays, innermost empty: 0x91 ... 0x91 0x90. */
static uint8_t *
nested(size_t n)
{
	uint8_t *b = malloc(n);
	cr_assert_not_null(b);
	memset(b, 0x91, n);
	b[n - 1] = 0x90;
	return b;
}

Test(core_envelope, nesting_deeper_than_the_limit_is_rejected)
{
	size_t used;
	uint8_t *b = nested(3);
	XT_OK(tc_mp_check(b, 3, 3, &used));
	cr_assert_eq(used, 3);
	XT_ERR(tc_mp_check(b, 3, 2, &used), TC_EPROTO);
	free(b);

	/* Deep enough to overflow a stack if the walk recursed unbounded. */
	const size_t deep = 1000000;
	b = nested(deep);
	XT_ERR(tc_mp_check(b, deep, 64, &used), TC_EPROTO);
	free(b);

	/* An envelope field that is a container is refused. */
	uint8_t env[] = {
	    0x9a, 0x01, 0x01, 0x91, 0x91, 0x01, 0xc0, 0x01, 0x01, 0x01, 0x00, 0x00, 0xc4, 0x00};
	struct tc_msg *d;
	char name[TC_NAME_MAX];
	XT_ERR(tc_envelope_decode(env, sizeof(env), 1024, &d, &used, name), TC_EPROTO);
}

Test(core_envelope, wrong_version_or_shape_is_malformed)
{
	struct tc_msg *m = sample(4), *d;
	uint8_t *buf;
	size_t len, used;
	char name[TC_NAME_MAX];

	encode(m, NULL, &buf, &len);
	cr_assert_eq(buf[0], 0x9a);
	cr_assert_eq(buf[1], TC_ENVELOPE_VERSION);
	buf[1] = TC_ENVELOPE_VERSION + 1;
	XT_ERR(tc_envelope_decode(buf, len, 1024, &d, &used, name), TC_EPROTO);
	buf[1] = 0x00;
	XT_ERR(tc_envelope_decode(buf, len, 1024, &d, &used, name), TC_EPROTO);
	buf[1] = 0xff; /* negative fixint */
	XT_ERR(tc_envelope_decode(buf, len, 1024, &d, &used, name), TC_EPROTO);
	buf[1] = TC_ENVELOPE_VERSION;
	XT_OK(tc_envelope_decode(buf, len, 1024, &d, &used, name));
	tc_msg_free(d);

	/* An array of 9 (one field short) and a map are not envelopes. */
	buf[0] = 0x99;
	XT_ERR(tc_envelope_decode(buf, len, 1024, &d, &used, name), TC_EPROTO);
	static const uint8_t map[] = {0x81, 0x01, 0x02};
	XT_ERR(tc_envelope_decode(map, sizeof(map), 1024, &d, &used, name), TC_EPROTO);
	/* Field types: a string where the body's bin belongs, a node id over 16 bits. */
	static const uint8_t strbody[] = {
	    0x9a, 0x01, 0x01, 0x01, 0xc0, 0x01, 0x01, 0xcd, 0x01, 0x00, 0x00, 0x00, 0xa1, 'x'};
	XT_ERR(tc_envelope_decode(strbody, sizeof(strbody), 1024, &d, &used, name), TC_EPROTO);
	static const uint8_t bignode[] = {0x9a, 0x01, 0xce, 0x00, 0x01, 0x00, 0x00, 0x01, 0xc0,
	    0x01, 0x01, 0xcd, 0x01, 0x00, 0x00, 0x00, 0xc4, 0x00};
	XT_ERR(tc_envelope_decode(bignode, sizeof(bignode), 1024, &d, &used, name), TC_EPROTO);
	tc_msg_free(m);
	free(buf);
}

Test(core_envelope, target_names_are_bounded)
{
	struct tc_msg *m = sample(1), *d;
	uint8_t *buf;
	size_t len, used;
	char name[TC_NAME_MAX];
	char longest[TC_NAME_MAX], toolong[TC_NAME_MAX + 1];

	memset(longest, 'k', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	memset(toolong, 'k', sizeof(toolong) - 1);
	toolong[sizeof(toolong) - 1] = '\0';

	encode(m, longest, &buf, &len);
	XT_OK(tc_envelope_decode(buf, len, 1024, &d, &used, name));
	cr_assert_str_eq(name, longest);
	tc_msg_free(d);
	free(buf);

	encode(m, toolong, &buf, &len);
	XT_ERR(tc_envelope_decode(buf, len, 1024, &d, &used, name), TC_EPROTO);
	free(buf);

	/* A name with an embedded NUL would be read as a different name: refused. */
	static const uint8_t nul[] = {0x9a, 0x01, 0x01, 0x00, 0xa3, 'a', 0x00, 'b', 0x01, 0x01,
	    0xcd, 0x01, 0x00, 0x00, 0x00, 0xc4, 0x00};
	XT_ERR(tc_envelope_decode(nul, sizeof(nul), 1024, &d, &used, name), TC_EPROTO);
	tc_msg_free(m);
}

static uint8_t *
read_golden(const char *file, size_t *len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/tests/data/%s", xt_source_root(), file);
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	uint8_t *buf = malloc(4096);
	cr_assert_not_null(buf);
	*len = fread(buf, 1, 4096, f);
	cr_assert(feof(f), "%s is larger than expected", path);
	fclose(f);
	return buf;
}

Test(core_envelope, golden_bytes_decode_and_reencode_identically)
{
	size_t len, used, elen;
	uint8_t *golden = read_golden("core_envelope_v1.bin", &len);
	uint8_t *buf;
	struct tc_msg *d;
	char name[TC_NAME_MAX];
	static const uint8_t body[] = {0x92, 0xa2, 'h', 'i', 0x07}; /* ["hi", 7] */

	/* The golden envelope's fields, as written by hand from the spec. */
	XT_OK(tc_envelope_decode(golden, len, 1024, &d, &used, name));
	cr_assert_eq(used, len);
	cr_assert_eq(d->to.node, 2);
	cr_assert_eq(d->to.id, 0x0000000300000007ull);
	cr_assert_str_eq(name, "room/7fk2");
	cr_assert_eq(d->from.node, 1);
	cr_assert_eq(d->from.id, 0x0000000100000005ull);
	cr_assert_eq(d->type, 300);
	cr_assert_eq(d->flags, TC_MSG_F_ASK);
	cr_assert_eq(d->corr, 42);
	cr_assert_eq(d->len, sizeof(body));
	cr_assert_arr_eq(d->body, body, sizeof(body));

	encode(d, name, &buf, &elen);
	cr_assert_eq(elen, len);
	cr_assert_arr_eq(buf, golden, len);
	free(buf);
	tc_msg_free(d);
	free(golden);
}

Test(core_envelope, system_bodies_decode_and_reject_mismatches)
{
	/* DOWN is [node, id, reason]; WORK_DONE is [tag, rc]. */
	static const uint8_t down[] = {0x93, 0x02, 0xcf, 0, 0, 0, 1, 0, 0, 0, 9, 0x09};
	static const uint8_t done[] = {0x92, 0x2a, 0x00};
	struct tc_msg *m;
	struct tc_down dn;
	struct tc_work_done wd;

	XT_OK(tc_msg_new(TC_MSG_DOWN, down, sizeof(down), &m));
	XT_OK(tc_down_decode(m, &dn));
	cr_assert_eq(dn.who.node, 2);
	cr_assert_eq(dn.who.id, 0x0000000100000009ull);
	cr_assert_eq(dn.reason, TC_EIO);
	XT_ERR(tc_work_done_decode(m, &wd), TC_EPROTO); /* wrong type */
	m->len = 3;                                     /* truncated */
	XT_ERR(tc_down_decode(m, &dn), TC_EPROTO);
	tc_msg_free(m);

	XT_OK(tc_msg_new(TC_MSG_WORK_DONE, done, sizeof(done), &m));
	XT_OK(tc_work_done_decode(m, &wd));
	cr_assert_eq(wd.tag, 42);
	cr_assert_eq(wd.rc, TC_OK);
	XT_ERR(tc_down_decode(m, &dn), TC_EPROTO);
	tc_msg_free(m);
}
