/*
 * test_ymerge.c - yp_update_merge: hand-built updates for each rule
 * (squashing, Skips for gaps, duplicates, slicing, giving up, the delete
 * set, the state vector, a peer's state vector) and update sequences from
 * real Y.Doc editing (fixtures/, written by tests/node/ymerge-corpus.mjs).
 * tests/node/ymerge.test.mjs checks merged updates in Yjs itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actors/yproto.h"
#include "xt.h"

#define MAX_IN 64

struct merged {
	struct yp_buf u;
	struct yp_buf sv;
};

static enum tc_err
merge_have(
    const struct yp_span *in, size_t n, const uint8_t *have, size_t have_len, struct merged *m)
{
	yp_buf_init(&m->u, 1 << 22);
	yp_buf_init(&m->sv, 1 << 16);
	return yp_update_merge(in, n, have, have_len, &m->u, &m->sv);
}

static enum tc_err
merge(const struct yp_span *in, size_t n, struct merged *m)
{
	return merge_have(in, n, NULL, 0, m);
}

static void
merged_fini(struct merged *m)
{
	yp_buf_fini(&m->u);
	yp_buf_fini(&m->sv);
}

static void
expect_bytes(const struct yp_buf *b, const uint8_t *want, size_t len, const char *what)
{
	cr_assert_eq(b->len, len, "%s: %zu bytes, want %zu", what, b->len, len);
	for (size_t i = 0; i < len; i++)
		cr_assert_eq(b->data[i], want[i], "%s: byte %zu is %u, want %u", what, i,
		    b->data[i], want[i]);
}

#define SPAN(a) ((struct yp_span){(a), sizeof(a)})
#define EXPECT(b, ...)                                        \
	do {                                                  \
		static const uint8_t want_[] = {__VA_ARGS__}; \
		expect_bytes((b), want_, sizeof(want_), #b);  \
	} while (0)

/* Client 9 types "a", "b", "c" into the root text "t": three updates. */
static const uint8_t type_a[] = {1, 1, 9, 0, 4, 1, 1, 't', 1, 'a', 0};
static const uint8_t type_b[] = {1, 1, 9, 1, 0x84, 9, 0, 1, 'b', 0};
static const uint8_t type_c[] = {1, 1, 9, 2, 0x84, 9, 1, 1, 'c', 0};

Test(actors_ymerge, typing_run_squashed_to_one_struct)
{
	struct yp_span in[] = {SPAN(type_a), SPAN(type_b), SPAN(type_c)};
	struct merged m;
	XT_OK(merge(in, 3, &m));
	/* One struct: the first item's header, "abc". */
	EXPECT(&m.u, 1, 1, 9, 0, 4, 1, 1, 't', 3, 'a', 'b', 'c', 0);
	EXPECT(&m.sv, 1, 9, 3);
	merged_fini(&m);
}

Test(actors_ymerge, no_squash_across_a_different_origin_or_right_origin)
{
	/* "b" after something else; "c" after "b" but with a right origin. */
	static const uint8_t b_elsewhere[] = {1, 1, 9, 1, 0x84, 7, 0, 1, 'b', 0};
	static const uint8_t c_right[] = {1, 1, 9, 2, 0xc4, 9, 1, 7, 0, 1, 'c', 0};
	struct yp_span in[] = {SPAN(type_a), SPAN(b_elsewhere), SPAN(c_right)};
	struct merged m;
	XT_OK(merge(in, 3, &m));
	EXPECT(&m.u, 1, 3, 9, 0, 4, 1, 1, 't', 1, 'a', 0x84, 7, 0, 1, 'b', 0xc4, 9, 1, 7, 0, 1, 'c',
	    0);
	merged_fini(&m);
}

Test(actors_ymerge, gap_written_as_skip_and_state_vector_stops_there)
{
	struct yp_span in[] = {SPAN(type_c), SPAN(type_a)};
	struct merged m;
	XT_OK(merge(in, 2, &m));
	/* Clock 1 is missing: a Skip of 1 between "a" and "c". */
	EXPECT(&m.u, 1, 3, 9, 0, 4, 1, 1, 't', 1, 'a', 10, 1, 0x84, 9, 1, 1, 'c', 0);
	EXPECT(&m.sv, 1, 9, 1);
	struct yp_update_info info;
	XT_OK(yp_update_parse(m.u.data, m.u.len, &info));
	cr_assert_eq(info.clients[0].skip, 1);
	yp_update_info_fini(&info);
	merged_fini(&m);
}

Test(actors_ymerge, input_skips_dropped_and_run_not_from_zero_has_no_state)
{
	/* Client 9 from clock 1 only, with a Skip inside: not in the state vector. */
	static const uint8_t u[] = {1, 3, 9, 1, 0x84, 9, 0, 1, 'b', 10, 2, 0x84, 9, 3, 1, 'e', 0};
	struct yp_span in[] = {SPAN(u)};
	struct merged m;
	XT_OK(merge(in, 1, &m));
	EXPECT(&m.u, 1, 3, 9, 1, 0x84, 9, 0, 1, 'b', 10, 2, 0x84, 9, 3, 1, 'e', 0);
	EXPECT(&m.sv, 0);
	merged_fini(&m);
}

Test(actors_ymerge, duplicates_dropped)
{
	struct yp_span in[] = {
	    SPAN(type_a), SPAN(type_b), SPAN(type_a), SPAN(type_c), SPAN(type_b), SPAN(type_c)};
	struct merged m;
	XT_OK(merge(in, 6, &m));
	EXPECT(&m.u, 1, 1, 9, 0, 4, 1, 1, 't', 3, 'a', 'b', 'c', 0);
	merged_fini(&m);
}

Test(actors_ymerge, partial_overlap_sliced)
{
	/* "ab" (clocks 0-1), then a struct of "abcd" from clock 0 with its
	 * parent written: the rest "cd" gets origin (9,1), no parent, and
	 * then squashes into "ab". */
	static const uint8_t ab[] = {1, 1, 9, 0, 4, 1, 1, 't', 2, 'a', 'b', 0};
	static const uint8_t abcd[] = {1, 1, 9, 0, 4, 1, 1, 't', 4, 'a', 'b', 'c', 'd', 0};
	struct yp_span in[] = {SPAN(ab), SPAN(abcd)};
	struct merged m;
	XT_OK(merge(in, 2, &m));
	EXPECT(&m.u, 1, 1, 9, 0, 4, 1, 1, 't', 4, 'a', 'b', 'c', 'd', 0);
	merged_fini(&m);

	/* With a right origin the sliced rest stays its own struct. */
	static const uint8_t abc[] = {1, 1, 9, 0, 4, 1, 1, 't', 3, 'a', 'b', 'c', 0};
	static const uint8_t bcde[] = {1, 1, 9, 1, 0xc4, 9, 0, 7, 0, 4, 'b', 'c', 'd', 'e', 0};
	struct yp_span in2[] = {SPAN(abc), SPAN(bcde)};
	XT_OK(merge(in2, 2, &m));
	EXPECT(&m.u, 1, 2, 9, 0, 4, 1, 1, 't', 3, 'a', 'b', 'c', 0xc4, 9, 2, 7, 0, 2, 'd', 'e', 0);
	merged_fini(&m);

	/* ContentDeleted and GC slice by length; multi-byte text by UTF-16 unit. */
	static const uint8_t del2[] = {1, 1, 9, 0, 1, 1, 1, 't', 2, 0};
	static const uint8_t del5[] = {1, 1, 9, 0, 0x81, 5, 5, 5, 0};
	struct yp_span in3[] = {SPAN(del2), SPAN(del5)};
	XT_OK(merge(in3, 2, &m));
	EXPECT(&m.u, 1, 1, 9, 0, 1, 1, 1, 't', 5, 0); /* the rest squashes back */
	merged_fini(&m);
	static const uint8_t gc1[] = {1, 1, 9, 0, 0, 1, 0};
	static const uint8_t gc4[] = {1, 1, 9, 0, 0, 4, 0};
	struct yp_span in4[] = {SPAN(gc1), SPAN(gc4)};
	XT_OK(merge(in4, 2, &m));
	EXPECT(&m.u, 1, 1, 9, 0, 0, 4, 0);
	merged_fini(&m);
	static const uint8_t e1[] = {1, 1, 9, 0, 4, 1, 1, 't', 2, 0xc3, 0xa9, 0}; /* "é" */
	static const uint8_t e3[] = {1, 1, 9, 0, 4, 1, 1, 't', 5, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0};
	struct yp_span in5[] = {SPAN(e1), SPAN(e3)};
	XT_OK(merge(in5, 2, &m));
	EXPECT(&m.u, 1, 1, 9, 0, 4, 1, 1, 't', 5, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0);
	merged_fini(&m);
}

Test(actors_ymerge, cut_inside_surrogate_pair_gives_up)
{
	/* Clocks 0-1 known; the other input has "a" then U+1F600 (clocks 1-2). */
	static const uint8_t ab[] = {1, 1, 9, 0, 4, 1, 1, 't', 2, 'a', 'b', 0};
	static const uint8_t emoji[] = {
	    1, 1, 9, 0, 4, 1, 1, 't', 5, 'a', 0xf0, 0x9f, 0x98, 0x80, 0};
	struct yp_span in[] = {SPAN(ab), SPAN(emoji)};
	struct yp_buf out, sv;
	yp_buf_init(&out, 1024);
	yp_buf_init(&sv, 1024);
	XT_OK(yp_write_u8(&out, 0x55)); /* left as it was on error */
	XT_ERR(yp_update_merge(in, 2, NULL, 0, &out, &sv), TC_ENOTSUP);
	cr_assert_eq(out.len, 1);
	cr_assert_eq(sv.len, 0);
	yp_buf_fini(&out);
	yp_buf_fini(&sv);
}

Test(actors_ymerge, delete_sets_united)
{
	static const uint8_t d1[] = {0, 1, 9, 2, 0, 2, 5, 1};
	static const uint8_t d2[] = {0, 2, 9, 1, 1, 3, 3, 1, 0, 1};
	static const uint8_t d3[] = {0, 1, 9, 2, 4, 1, 20, 0};
	struct yp_span in[] = {SPAN(d1), SPAN(d2), SPAN(d3)};
	struct merged m;
	XT_OK(merge(in, 3, &m));
	/* Client 9: 0-2, 1-4, 4, 5 join to (0, 6); the empty range goes; client 3 after 9. */
	EXPECT(&m.u, 0, 2, 9, 1, 0, 6, 3, 1, 0, 1);
	EXPECT(&m.sv, 0);
	merged_fini(&m);
}

Test(actors_ymerge, clients_written_descending_and_gc_squashed)
{
	static const uint8_t c3[] = {1, 1, 3, 0, 4, 1, 1, 't', 1, 'x', 0};
	static const uint8_t gc_a[] = {1, 1, 9, 0, 0, 2, 0};
	static const uint8_t gc_b[] = {1, 1, 9, 2, 0, 3, 0};
	struct yp_span in[] = {SPAN(c3), SPAN(gc_a), SPAN(gc_b)};
	struct merged m;
	XT_OK(merge(in, 3, &m));
	EXPECT(&m.u, 2, 1, 9, 0, 0, 5, 1, 3, 0, 4, 1, 1, 't', 1, 'x', 0);
	EXPECT(&m.sv, 2, 9, 5, 3, 1);
	merged_fini(&m);
}

Test(actors_ymerge, peer_state_vector_leaves_out_what_it_has)
{
	static const uint8_t c3[] = {1, 1, 3, 0, 4, 1, 1, 't', 1, 'x', 1, 9, 1, 0, 1};
	struct yp_span in[] = {SPAN(type_a), SPAN(type_b), SPAN(type_c), SPAN(c3)};
	struct merged m;
	/* Has all of client 9: only client 3 and the whole delete set. */
	static const uint8_t has9[] = {1, 9, 3};
	XT_OK(merge_have(in, 4, has9, sizeof(has9), &m));
	EXPECT(&m.u, 1, 1, 3, 0, 4, 1, 1, 't', 1, 'x', 1, 9, 1, 0, 1);
	merged_fini(&m);
	/* Has part: per input struct, what it has is left out... */
	static const uint8_t part[] = {2, 3, 1, 9, 1};
	XT_OK(merge_have(in, 4, part, sizeof(part), &m));
	EXPECT(&m.u, 1, 1, 9, 1, 0x84, 9, 0, 2, 'b', 'c', 1, 9, 1, 0, 1);
	merged_fini(&m);
	/* ...and a struct across its clock is sent whole. */
	struct merged pre;
	XT_OK(merge(in, 4, &pre));
	struct yp_span one = {pre.u.data, pre.u.len};
	XT_OK(merge_have(&one, 1, part, sizeof(part), &m));
	EXPECT(&m.u, 1, 1, 9, 0, 4, 1, 1, 't', 3, 'a', 'b', 'c', 1, 9, 1, 0, 1);
	merged_fini(&m);
	merged_fini(&pre);
	static const uint8_t bad[] = {2, 3};
	XT_ERR(merge_have(in, 4, bad, sizeof(bad), &m), TC_EPROTO);
	merged_fini(&m);
}

Test(actors_ymerge, bad_input_and_small_output_refused)
{
	static const uint8_t trunc[] = {1, 1, 9, 0, 4, 1, 1, 't', 3, 'a'};
	struct yp_span in[] = {SPAN(type_a), SPAN(trunc)};
	struct merged m;
	XT_ERR(merge(in, 2, &m), TC_EPROTO);
	cr_assert_eq(m.u.len, 0);
	merged_fini(&m);

	struct yp_span ok[] = {SPAN(type_a), SPAN(type_b), SPAN(type_c)};
	struct yp_buf out;
	yp_buf_init(&out, 8);
	XT_ERR(yp_update_merge(ok, 3, NULL, 0, &out, NULL), TC_ETOOBIG);
	cr_assert_eq(out.len, 0);
	yp_buf_fini(&out);

	/* No inputs: the empty update and state vector. */
	XT_OK(merge(NULL, 0, &m));
	EXPECT(&m.u, 0, 0);
	EXPECT(&m.sv, 0);
	merged_fini(&m);
}

/* ---- real Yjs editing ---------------------------------------------------- */

static uint8_t *
fixture(const char *name, size_t *len)
{
	return xt_read_source(1 << 20, len, "tests/unit/actors/fixtures/%s", name);
}

/* split reads a .updates fixture into spans over buf (at most max). */
static size_t
split(const uint8_t *buf, size_t len, struct yp_span *in, size_t max)
{
	size_t n = 0;
	for (size_t pos = 0; pos < len; n++) {
		cr_assert(len - pos >= 4 && n < max);
		size_t ulen = (size_t)buf[pos] << 24 | (size_t)buf[pos + 1] << 16 |
		              (size_t)buf[pos + 2] << 8 | buf[pos + 3];
		cr_assert_leq(ulen, len - pos - 4);
		in[n] = (struct yp_span){buf + pos + 4, ulen};
		pos += 4 + ulen;
	}
	return n;
}

Test(actors_ymerge, real_typing_merges_to_what_a_ydoc_encodes)
{
	static const char *const names[] = {"typing", "unicode_typing"};
	for (size_t k = 0; k < 2; k++) {
		char file[64];
		size_t len, slen;
		snprintf(file, sizeof(file), "%s.updates", names[k]);
		uint8_t *buf = fixture(file, &len);
		snprintf(file, sizeof(file), "%s.state", names[k]);
		uint8_t *state = fixture(file, &slen);
		struct yp_span *in = malloc(1024 * sizeof(*in));
		size_t n = split(buf, len, in, 1024);
		cr_assert_geq(n, 200);
		struct merged m;
		XT_OK(merge(in, n, &m));
		expect_bytes(&m.u, state, slen, names[k]);
		struct yp_update_info info;
		XT_OK(yp_update_parse(m.u.data, m.u.len, &info));
		cr_assert_eq(info.structs, 1, "%s: one struct", names[k]);
		yp_update_info_fini(&info);
		merged_fini(&m);
		free(in);
		free(buf);
		free(state);
	}
}

Test(actors_ymerge, real_histories_merge_stably)
{
	static const char *const names[] = {"concurrent", "duplicates"};
	for (size_t k = 0; k < 2; k++) {
		char file[64];
		size_t len;
		snprintf(file, sizeof(file), "%s.updates", names[k]);
		uint8_t *buf = fixture(file, &len);
		struct yp_span *in = malloc(2048 * sizeof(*in));
		size_t n = split(buf, len, in, 2048);
		struct merged all, again, halves, first;
		XT_OK(merge(in, n, &all));

		/* The merge parses, and holds what the inputs insert (no struct twice). */
		struct yp_update_info info, one;
		XT_OK(yp_update_parse(all.u.data, all.u.len, &info));
		uint64_t structs = 0;
		for (size_t i = 0; i < n; i++) {
			XT_OK(yp_update_parse(in[i].p, in[i].len, &one));
			structs += one.structs;
			yp_update_info_fini(&one);
		}
		cr_assert_lt(info.structs, structs, "%s: %llu structs of %llu", names[k],
		    (unsigned long long)info.structs, (unsigned long long)structs);
		yp_update_info_fini(&info);

		/*
		 * Merging again changes nothing.  Merging in two steps (as the room
		 * compacts) knows the same structs; it may pick other struct
		 * boundaries (which input's struct covers a clock first), so its
		 * bytes may differ: tests/node/ymerge.test.mjs checks the documents.
		 */
		struct yp_span s = {all.u.data, all.u.len};
		XT_OK(merge(&s, 1, &again));
		expect_bytes(&again.u, all.u.data, all.u.len, "merged again");
		expect_bytes(&again.sv, all.sv.data, all.sv.len, "state vector again");
		XT_OK(merge(in, n / 2, &first));
		in[n / 2 - 1] = (struct yp_span){first.u.data, first.u.len};
		XT_OK(merge(in + n / 2 - 1, n - n / 2 + 1, &halves));
		expect_bytes(&halves.sv, all.sv.data, all.sv.len, "merged in two steps");
		XT_OK(yp_update_parse(halves.u.data, halves.u.len, &info));
		yp_update_info_fini(&info);
		merged_fini(&all);
		merged_fini(&again);
		merged_fini(&first);
		merged_fini(&halves);
		free(in);
		free(buf);
	}
}

/* Authorship: typing by one client, a deletion by another author, resends. */
Test(actors_ymerge, authorship_counts_each_unit_once)
{
	/* the delete set only: client 9's clock 1 (the 'b') */
	static const uint8_t del_b[] = {0, 1, 9, 1, 1, 1};
	struct yp_span in[] = {{type_a, sizeof(type_a)}, {type_b, sizeof(type_b)},
	    {type_c, sizeof(type_c)}, {del_b, sizeof(del_b)}, {type_a, sizeof(type_a)},
	    {del_b, sizeof(del_b)}};
	/* ada types "abc"; bob deletes the b and resends ada's a; ada resends the delete */
	const uint32_t author[] = {0, 0, 0, 1, 1, 0};
	struct yp_author_stat st[2];
	uint64_t doc_len = 0;
	XT_OK(yp_update_authorship(in, author, 6, st, 2, &doc_len));
	cr_assert_eq(doc_len, 2);
	cr_assert_eq(st[0].typed, 3);
	cr_assert_eq(st[0].live, 2);
	cr_assert_eq(st[0].deleted, 0, "the resent delete was bob's first");
	cr_assert_eq(st[1].typed, 0, "a resent struct belongs to its first sender");
	cr_assert_eq(st[1].live, 0);
	cr_assert_eq(st[1].deleted, 1);
}

Test(actors_ymerge, authorship_of_a_real_history)
{
	size_t len;
	uint8_t *buf = fixture("concurrent.updates", &len);
	struct yp_span in[4096];
	size_t n = split(buf, len, in, 4096);
	cr_assert_gt(n, 1);
	uint32_t *author = calloc(n, sizeof(*author));
	struct yp_update_info info;
	/* the author of an update is its first client's: one author per editor */
	uint64_t clients[8] = {0};
	size_t nc = 0;
	for (size_t i = 0; i < n; i++) {
		XT_OK(yp_update_parse(in[i].p, in[i].len, &info));
		uint64_t c = info.nclients > 0 ? info.clients[0].client : 0;
		size_t k;
		for (k = 0; k < nc && clients[k] != c; k++)
			;
		if (k == nc && nc < 8)
			clients[nc++] = c;
		author[i] = (uint32_t)k;
		yp_update_info_fini(&info);
	}
	struct yp_author_stat st[9];
	uint64_t doc_len = 0, live = 0, typed = 0;
	XT_OK(yp_update_authorship(in, author, n, st, 9, &doc_len));
	for (size_t a = 0; a < 9; a++) {
		cr_assert_leq(st[a].live, st[a].typed);
		live += st[a].live;
		typed += st[a].typed;
	}
	cr_assert_eq(live, doc_len, "every live unit has an author");
	cr_assert_gt(doc_len, 0);
	cr_assert_geq(typed, doc_len);
	free(author);
	free(buf);
}
