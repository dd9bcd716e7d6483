/*
 * actors/yproto.h - the wire formats the room relays without understanding
 * the document (prefix `yp_`):
 *
 *   - lib0's encoding: varUint, varInt, varString, varUint8Array;
 *   - y-protocols frames: `varUint type` then sync (step 1, step 2,
 *     update), awareness, query awareness, or an app payload;
 *   - a Yjs update (v1) structure parser: it walks every struct (GC, Skip,
 *     Item with its origins, parent, parentSub and content) and the delete
 *     set, checks that everything a Yjs client would decode is there and
 *     well formed, and counts per client what was inserted and deleted;
 *   - a merge of Yjs updates into one (Y.mergeUpdates plus squashing),
 *     with the state vector of the result;
 *   - the y-protocols awareness update (clients, clocks, JSON states).
 *
 * Every parser reads from a caller buffer of known length, checks each
 * declared count and length against the bytes left before it allocates,
 * and holds hard caps (YP_MAX_*).  Outside input never crashes it: it
 * returns TC_EPROTO (malformed) or TC_ETOOBIG (over a cap).
 *
 * Thread: any (no shared state).  Blocks: no.
 */
#ifndef ACTORS_YPROTO_H
#define ACTORS_YPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* The largest integer lib0 decodes exactly (JavaScript's safe integer). */
#define YP_UINT_MAX ((UINT64_C(1) << 53) - 1)
/* Distinct clients one update may name (structs plus delete set). */
#define YP_MAX_CLIENTS 65536u
/* Nesting of lib0 Any values and of JSON texts. */
#define YP_MAX_DEPTH 64u
/* Entries one awareness update may carry. */
#define YP_MAX_AWARENESS 1024u

/* ---- lib0 reading ------------------------------------------------------- */

/* A read cursor over borrowed bytes. */
struct yp_reader {
	const uint8_t *p;
	size_t len;
	size_t pos;
};

void yp_reader_init(struct yp_reader *r, const void *buf, size_t len);

/* yp_reader_left: bytes not yet read. */
size_t yp_reader_left(const struct yp_reader *r);

/*
 * The lib0 readers advance r on success only.  varUint and varInt values
 * above YP_UINT_MAX in magnitude are TC_EPROTO, as is reading past the end.
 * yp_read_var_bytes and yp_read_var_string return a pointer into r's
 * buffer (borrowed, not NUL-terminated); strings must be valid UTF-8.
 */
enum tc_err yp_read_u8(struct yp_reader *r, uint8_t *out);
enum tc_err yp_read_var_uint(struct yp_reader *r, uint64_t *out);
enum tc_err yp_read_var_int(struct yp_reader *r, int64_t *out);
enum tc_err yp_read_var_bytes(struct yp_reader *r, const uint8_t **out, size_t *len);
enum tc_err yp_read_var_string(struct yp_reader *r, const char **out, size_t *len);

/*
 * yp_utf8_check validates len bytes of UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF) and, when units is not NULL, writes
 * its length in UTF-16 code units (JavaScript's String.length).
 * Returns TC_EPROTO for invalid UTF-8.
 */
enum tc_err yp_utf8_check(const char *s, size_t len, uint64_t *units);

/*
 * yp_json_check validates one JSON text (RFC 8259, as JSON.parse accepts
 * it) nested at most max_depth deep.  Returns TC_EPROTO.
 */
enum tc_err yp_json_check(const char *s, size_t len, unsigned max_depth);

/* ---- lib0 writing ------------------------------------------------------- */

/*
 * A growing output buffer with a hard maximum: a write that would take it
 * past max fails with TC_ETOOBIG and leaves it unchanged.  data is
 * malloc'd; the owner frees it with yp_buf_fini (idempotent) or takes it.
 */
struct yp_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t max;
};

void yp_buf_init(struct yp_buf *b, size_t max);
void yp_buf_fini(struct yp_buf *b);
/* yp_buf_reset empties b, keeping its memory. */
void yp_buf_reset(struct yp_buf *b);

enum tc_err yp_write_bytes(struct yp_buf *b, const void *data, size_t len);
enum tc_err yp_write_u8(struct yp_buf *b, uint8_t v);
enum tc_err yp_write_var_uint(struct yp_buf *b, uint64_t v);
enum tc_err yp_write_var_bytes(struct yp_buf *b, const void *data, size_t len);

/* ---- y-protocols frames ------------------------------------------------- */

/* Frame types of y-protocols (actors/protocol.h repeats them as room_frame). */
enum yp_frame_type {
	YP_FRAME_SYNC = 0,
	YP_FRAME_AWARENESS = 1,
	YP_FRAME_QUERY_AWARENESS = 3,
};

enum yp_sync_type {
	YP_SYNC_STEP1 = 0,
	YP_SYNC_STEP2 = 1,
	YP_SYNC_UPDATE = 2,
};

/*
 * One parsed frame.  For SYNC, sub is the sync type and data the
 * varUint8Array's contents (a state vector for step 1, an update
 * otherwise); for AWARENESS, data is the awareness update; for
 * QUERY_AWARENESS, data is empty; for any other type, data is the rest of
 * the frame (an app payload).  data borrows the frame.
 */
struct yp_frame {
	uint64_t type;
	uint64_t sub;
	const uint8_t *data;
	size_t len;
};

/*
 * yp_frame_parse splits a frame.  The y-protocols types must be exactly
 * one message (no trailing bytes); a sync type other than 0..2 is
 * TC_EPROTO.  Other types are not judged here.
 */
enum tc_err yp_frame_parse(const uint8_t *buf, size_t len, struct yp_frame *out);

/* yp_frame_sync_encode appends a SYNC frame of sub with payload data. */
enum tc_err yp_frame_sync_encode(struct yp_buf *b, unsigned sub, const void *data, size_t len);

/* yp_frame_awareness_encode appends an AWARENESS frame carrying update. */
enum tc_err yp_frame_awareness_encode(struct yp_buf *b, const void *update, size_t len);

/* yp_frame_app_encode appends `varUint type` and body verbatim. */
enum tc_err yp_frame_app_encode(struct yp_buf *b, unsigned type, const void *body, size_t len);

/* The empty state vector, and the update that holds nothing. */
extern const uint8_t yp_empty_state_vector[1];
extern const uint8_t yp_empty_update[2];

/*
 * yp_state_vector_check validates a state vector (varUint count, then
 * count pairs of client and clock) and reports its entry count.
 */
enum tc_err yp_state_vector_check(const uint8_t *buf, size_t len, size_t *nclients);

/* ---- Yjs updates (v1) ---------------------------------------------------- */

/* What one update holds for one client. */
struct yp_client_stat {
	uint64_t client;
	uint64_t clock;    /* first clock of its structs (0 if it has none) */
	uint64_t end;      /* clock just past its structs */
	uint64_t structs;  /* structs of every kind */
	uint64_t gc;       /* of which GC */
	uint64_t skip;     /* of which Skip */
	uint64_t inserted; /* ContentString length, in UTF-16 code units */
	uint64_t deleted;  /* delete-set lengths naming this client */
};

/*
 * What yp_update_parse found: per client (sorted by client id, each
 * client once) and in total.  clients is malloc'd; yp_update_info_fini
 * frees it (idempotent).
 */
struct yp_update_info {
	struct yp_client_stat *clients;
	size_t nclients;
	uint64_t structs;
	uint64_t inserted;
	uint64_t deleted;
	uint64_t ds_ranges;
};

/*
 * yp_update_parse validates a Yjs v1 update of len bytes as a Yjs client
 * would decode it (every struct, every content type, the delete set, no
 * trailing bytes; strings valid UTF-8; JSON contents valid JSON) and fills
 * *out.  On error *out is empty.  TC_EPROTO malformed, TC_ETOOBIG over a
 * cap, TC_ENOMEM.  The caller owns out->clients.
 */
enum tc_err yp_update_parse(const uint8_t *buf, size_t len, struct yp_update_info *out);
void yp_update_info_fini(struct yp_update_info *info);

/* ---- merging updates ----------------------------------------------------- */

/* Structs yp_update_merge holds at once, over all its inputs. */
#define YP_MAX_MERGE_STRUCTS (1u << 20)
/* Delete-set ranges yp_update_merge holds at once, over all its inputs. */
#define YP_MAX_MERGE_RANGES (1u << 21)

/* A borrowed byte span. */
struct yp_span {
	const uint8_t *p;
	size_t len;
};

/*
 * yp_update_merge merges n Yjs v1 updates into one, as Y.mergeUpdates does
 * plus the squashing a Y.Doc does on its own encoding: structs per client
 * in clock order (earlier inputs win ties), input Skips and structs wholly
 * covered by what is already written dropped, a partly covered GC or
 * Deleted, String, Any or JSON content sliced, gaps written as Skips,
 * adjacent structs merged when Yjs's Item.mergeWith would merge them (same
 * client, consecutive clocks, origin the unit before, same right origin,
 * both String, Any, JSON or Deleted; or both GC), so a typing run becomes
 * one struct, and the delete sets united (ranges sorted, overlapping and
 * adjacent ones joined).  Clients are written in descending id, as Yjs does.
 *
 * have (have_len bytes; NULL for none) is a peer's state vector: a client's
 * structs that end at or below its clock there are left out (a struct
 * across it is kept whole; Yjs skips what it has).  The delete set is
 * always whole.
 *
 * The merged update is appended to out.  When sv is not NULL, the state
 * vector of the result is appended to it (per client the end of its run of
 * structs from clock 0, Skips being holes; y-protocols encoding).  Inputs
 * are borrowed; nothing is kept.
 *
 * Returns TC_OK; TC_EPROTO if an input or have does not parse; TC_ETOOBIG
 * past YP_MAX_MERGE_STRUCTS, YP_MAX_MERGE_RANGES or out's or sv's max;
 * TC_ENOTSUP when inputs overlap partly in a struct that cannot be sliced
 * here (any other content, or a string cut inside a surrogate pair): the
 * caller keeps the inputs unmerged; TC_ENOMEM.  On error out and sv are as
 * they were.
 */
enum tc_err yp_update_merge(const struct yp_span *in, size_t n, const uint8_t *have,
    size_t have_len, struct yp_buf *out, struct yp_buf *sv);

/* What one author did to a document's text (UTF-16 units of ContentString). */
struct yp_author_stat {
	uint64_t typed;   /* units they inserted, each counted once however often resent */
	uint64_t live;    /* of those, units still in the document */
	uint64_t deleted; /* units they deleted first (anyone's text) */
};

/*
 * yp_update_authorship attributes a document's text to its authors: the
 * n updates in order, author[i] (< nauthors) the author who sent in[i].
 * A Yjs client id belongs to the author of the first update naming it;
 * typed and live come from the merged document (yp_update_merge), so
 * resent structs count once; a deleted unit goes to the author of the
 * first update whose delete set holds it.  out[nauthors] is filled,
 * *doc_len gets the document's live text length.  Errors as
 * yp_update_merge (out zeroed); TC_ETOOBIG past 200,000 delete ranges.
 * Blocks: no (CPU: O(structs log structs)).
 */
enum tc_err yp_update_authorship(const struct yp_span *in, const uint32_t *author, size_t n,
    struct yp_author_stat *out, size_t nauthors, uint64_t *doc_len);

/* ---- awareness ---------------------------------------------------------- */

/* One awareness entry; state borrows the parsed buffer ("null": removed). */
struct yp_awareness_entry {
	uint64_t client;
	uint64_t clock;
	const char *state;
	size_t state_len;
};

/*
 * yp_awareness_parse validates an awareness update (varUint count, then
 * per entry client, clock, and a JSON state as a varString) and writes up
 * to max entries to out (borrowing buf), their count to *n.  More than max
 * entries (or YP_MAX_AWARENESS) is TC_ETOOBIG.
 */
enum tc_err yp_awareness_parse(
    const uint8_t *buf, size_t len, struct yp_awareness_entry *out, size_t max, size_t *n);

/* yp_awareness_encode appends an awareness update of n entries. */
enum tc_err yp_awareness_encode(struct yp_buf *b, const struct yp_awareness_entry *e, size_t n);

/* yp_awareness_is_removal: the state is JSON null (the client left). */
bool yp_awareness_is_removal(const struct yp_awareness_entry *e);

#endif /* ACTORS_YPROTO_H */
