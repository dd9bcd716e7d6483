/*
 * fuzz_envelope.c - the wire envelope decoder (core/src/msg.c) on
 * arbitrary bytes, decoded as a node decodes an nng message: envelope
 * after envelope until the bytes end or one is refused.  It must refuse
 * or decode, never crash, read out of bounds or allocate past its caps.
 * A decoded envelope must re-encode to bytes that decode to the same
 * message, and tc_mp_check must agree with the decoder on its size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/msg.h"

#define FUZZ_MAX_BODY 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_round_trip(const struct tc_msg *m, const char *name)
{
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, used = 0;
	struct tc_msg *d = NULL;
	char name2[TC_NAME_MAX];

	if (tc_envelope_encode(m, name[0] != '\0' ? name : NULL, &buf, &len, &cap) != TC_OK)
		abort();
	if (tc_envelope_decode(buf, len, FUZZ_MAX_BODY, &d, &used, name2) != TC_OK || used != len)
		abort();
	if (d->to.node != m->to.node || d->to.id != m->to.id || d->from.node != m->from.node ||
	    d->from.id != m->from.id || d->type != m->type || d->flags != m->flags ||
	    d->corr != m->corr || d->len != m->len || strcmp(name, name2) != 0 ||
	    (m->len > 0 && memcmp(d->body, m->body, m->len) != 0))
		abort();
	tc_msg_free(d);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so ASan catches a read past the end. */
	uint8_t *copy = malloc(size > 0 ? size : 1);
	size_t off = 0;

	if (copy == NULL)
		return 0;
	if (size > 0)
		memcpy(copy, data, size);
	while (off < size) {
		struct tc_msg *m = NULL;
		size_t used = 0, checked = 0;
		char name[TC_NAME_MAX];
		enum tc_err rv =
		    tc_envelope_decode(copy + off, size - off, FUZZ_MAX_BODY, &m, &used, name);
		if (rv != TC_OK) {
			if (rv != TC_EPROTO && rv != TC_ETOOBIG)
				abort();
			break;
		}
		if (used == 0 || used > size - off || m->len > FUZZ_MAX_BODY ||
		    strlen(name) >= TC_NAME_MAX)
			abort();
		if (tc_mp_check(copy + off, size - off, 2, &checked) != TC_OK || checked != used)
			abort();
		check_round_trip(m, name);
		tc_msg_free(m);
		off += used;
	}
	/* The checker alone, at several depths. */
	for (unsigned depth = 0; depth < 64; depth += 21) {
		size_t used = 0;
		if (tc_mp_check(copy, size, depth, &used) == TC_OK && (used == 0 || used > size))
			abort();
	}
	free(copy);
	return 0;
}
