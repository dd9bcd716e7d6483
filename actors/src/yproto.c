/*
 * Design notes: these parsers mirror what Yjs (src/utils/encoding.js,
 * UpdateDecoderV1, readItemContent) and lib0 (decoding.js) read, and
 * refuse anything a Yjs client would throw on while applying it, so a
 * relayed update cannot break the other members' documents: a truncated
 * struct, an unknown content or type ref, a string that is not UTF-8 (its
 * JavaScript length, and so every later clock, would differ between
 * clients), a JSON content that JSON.parse rejects.  They are stricter than
 * Yjs in three places that no Yjs writer produces: trailing bytes after the
 * delete set, integers beyond 2^53-1, and nesting beyond YP_MAX_DEPTH.
 *
 * Nothing is allocated per declared count before that count is checked
 * against the bytes left: each struct needs at least two bytes, each
 * client header three, each delete range two.  The only allocation is the
 * per-client table, bounded by YP_MAX_CLIENTS.
 */
#include <stdlib.h>
#include <string.h>

#include "actors/yproto.h"

const uint8_t yp_empty_state_vector[1] = {0};
const uint8_t yp_empty_update[2] = {0, 0};

/* ---- reading ------------------------------------------------------------ */

void
yp_reader_init(struct yp_reader *r, const void *buf, size_t len)
{
	r->p = buf;
	r->len = buf != NULL ? len : 0;
	r->pos = 0;
}

size_t
yp_reader_left(const struct yp_reader *r)
{
	return r->len - r->pos;
}

enum tc_err
yp_read_u8(struct yp_reader *r, uint8_t *out)
{
	if (r->pos >= r->len)
		return TC_EPROTO;
	*out = r->p[r->pos++];
	return TC_OK;
}

enum tc_err
yp_read_var_uint(struct yp_reader *r, uint64_t *out)
{
	uint64_t v = 0;
	unsigned shift = 0;
	size_t pos = r->pos;

	for (;;) {
		if (pos >= r->len || shift > 49)
			return TC_EPROTO;
		uint8_t b = r->p[pos++];
		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if ((b & 0x80) == 0)
			break;
	}
	if (v > YP_UINT_MAX)
		return TC_EPROTO;
	r->pos = pos;
	*out = v;
	return TC_OK;
}

enum tc_err
yp_read_var_int(struct yp_reader *r, int64_t *out)
{
	size_t pos = r->pos;
	uint64_t v;
	unsigned shift = 6;
	bool neg;

	if (pos >= r->len)
		return TC_EPROTO;
	uint8_t b = r->p[pos++];
	v = b & 0x3f;
	neg = (b & 0x40) != 0;
	while (b & 0x80) {
		if (pos >= r->len || shift > 48)
			return TC_EPROTO;
		b = r->p[pos++];
		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	}
	if (v > YP_UINT_MAX)
		return TC_EPROTO;
	r->pos = pos;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return TC_OK;
}

enum tc_err
yp_read_var_bytes(struct yp_reader *r, const uint8_t **out, size_t *len)
{
	struct yp_reader save = *r;
	uint64_t n;
	enum tc_err rv = yp_read_var_uint(r, &n);

	if (rv != TC_OK)
		return rv;
	if (n > yp_reader_left(r)) {
		*r = save;
		return TC_EPROTO;
	}
	*out = r->p + r->pos;
	*len = (size_t)n;
	r->pos += (size_t)n;
	return TC_OK;
}

enum tc_err
yp_read_var_string(struct yp_reader *r, const char **out, size_t *len)
{
	struct yp_reader save = *r;
	const uint8_t *p;
	size_t n;
	enum tc_err rv = yp_read_var_bytes(r, &p, &n);

	if (rv == TC_OK)
		rv = yp_utf8_check((const char *)p, n, NULL);
	if (rv != TC_OK) {
		*r = save;
		return rv;
	}
	*out = (const char *)p;
	*len = n;
	return TC_OK;
}

enum tc_err
yp_utf8_check(const char *str, size_t len, uint64_t *units)
{
	const uint8_t *s = (const uint8_t *)str;
	uint64_t u = 0;
	size_t i = 0;

	while (i < len) {
		uint8_t c = s[i];
		if (c < 0x80) {
			i++;
			u++;
			continue;
		}
		size_t need;
		uint32_t cp, min;
		if ((c & 0xe0) == 0xc0) {
			need = 1;
			cp = c & 0x1f;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			need = 2;
			cp = c & 0x0f;
			min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			need = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return TC_EPROTO;
		}
		if (len - i <= need)
			return TC_EPROTO;
		for (size_t k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return TC_EPROTO;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return TC_EPROTO;
		u += cp >= 0x10000 ? 2 : 1;
		i += need + 1;
	}
	if (units != NULL)
		*units = u;
	return TC_OK;
}

/* ---- JSON --------------------------------------------------------------- */

struct jp {
	const char *s;
	size_t len;
	size_t pos;
};

static void
jp_ws(struct jp *j)
{
	while (j->pos < j->len) {
		char c = j->s[j->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		j->pos++;
	}
}

static bool
jp_lit(struct jp *j, const char *lit)
{
	size_t n = strlen(lit);
	if (j->len - j->pos < n || memcmp(j->s + j->pos, lit, n) != 0)
		return false;
	j->pos += n;
	return true;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool
jp_string(struct jp *j)
{
	j->pos++; /* the opening quote */
	while (j->pos < j->len) {
		unsigned char c = (unsigned char)j->s[j->pos++];
		if (c == '"')
			return true;
		if (c < 0x20)
			return false;
		if (c != '\\')
			continue;
		if (j->pos >= j->len)
			return false;
		c = (unsigned char)j->s[j->pos++];
		if (c == 'u') {
			if (j->len - j->pos < 4)
				return false;
			for (int k = 0; k < 4; k++) {
				if (!is_hex(j->s[j->pos + k]))
					return false;
			}
			j->pos += 4;
		} else if (strchr("\"\\/bfnrt", c) == NULL || c == 0) {
			return false;
		}
	}
	return false;
}

static bool
jp_digits(struct jp *j)
{
	size_t start = j->pos;
	while (j->pos < j->len && is_digit(j->s[j->pos]))
		j->pos++;
	return j->pos > start;
}

static bool
jp_number(struct jp *j)
{
	if (j->s[j->pos] == '-')
		j->pos++;
	if (j->pos >= j->len)
		return false;
	if (j->s[j->pos] == '0')
		j->pos++;
	else if (!jp_digits(j))
		return false;
	if (j->pos < j->len && j->s[j->pos] == '.') {
		j->pos++;
		if (!jp_digits(j))
			return false;
	}
	if (j->pos < j->len && (j->s[j->pos] == 'e' || j->s[j->pos] == 'E')) {
		j->pos++;
		if (j->pos < j->len && (j->s[j->pos] == '+' || j->s[j->pos] == '-'))
			j->pos++;
		if (!jp_digits(j))
			return false;
	}
	return true;
}

static bool
jp_value(struct jp *j, unsigned depth)
{
	jp_ws(j);
	if (j->pos >= j->len)
		return false;
	char c = j->s[j->pos];
	switch (c) {
	case '{':
	case '[': {
		char close = c == '{' ? '}' : ']';
		if (depth == 0)
			return false;
		j->pos++;
		jp_ws(j);
		if (j->pos < j->len && j->s[j->pos] == close) {
			j->pos++;
			return true;
		}
		for (;;) {
			if (c == '{') {
				jp_ws(j);
				if (j->pos >= j->len || j->s[j->pos] != '"' || !jp_string(j))
					return false;
				jp_ws(j);
				if (j->pos >= j->len || j->s[j->pos] != ':')
					return false;
				j->pos++;
			}
			if (!jp_value(j, depth - 1))
				return false;
			jp_ws(j);
			if (j->pos >= j->len)
				return false;
			if (j->s[j->pos] == ',') {
				j->pos++;
				continue;
			}
			if (j->s[j->pos] != close)
				return false;
			j->pos++;
			return true;
		}
	}
	case '"':
		return jp_string(j);
	case 't':
		return jp_lit(j, "true");
	case 'f':
		return jp_lit(j, "false");
	case 'n':
		return jp_lit(j, "null");
	default:
		if (c == '-' || is_digit(c))
			return jp_number(j);
		return false;
	}
}

enum tc_err
yp_json_check(const char *s, size_t len, unsigned max_depth)
{
	struct jp j = {s, len, 0};

	if (s == NULL || yp_utf8_check(s, len, NULL) != TC_OK)
		return TC_EPROTO;
	if (!jp_value(&j, max_depth))
		return TC_EPROTO;
	jp_ws(&j);
	return j.pos == len ? TC_OK : TC_EPROTO;
}

/* ---- writing ------------------------------------------------------------ */

void
yp_buf_init(struct yp_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
yp_buf_fini(struct yp_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
yp_buf_reset(struct yp_buf *b)
{
	b->len = 0;
}

enum tc_err
yp_write_bytes(struct yp_buf *b, const void *data, size_t len)
{
	if (len == 0)
		return TC_OK;
	if (len > b->max || b->len > b->max - len)
		return TC_ETOOBIG;
	if (b->len + len > b->cap) {
		size_t ncap = b->cap > 0 ? b->cap : 64;
		while (ncap < b->len + len)
			ncap = ncap > b->max / 2 ? b->max : ncap * 2;
		uint8_t *nd = realloc(b->data, ncap);
		if (nd == NULL)
			return TC_ENOMEM;
		b->data = nd;
		b->cap = ncap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	return TC_OK;
}

enum tc_err
yp_write_u8(struct yp_buf *b, uint8_t v)
{
	return yp_write_bytes(b, &v, 1);
}

enum tc_err
yp_write_var_uint(struct yp_buf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	do {
		uint8_t byte = v & 0x7f;
		v >>= 7;
		tmp[n++] = byte | (v != 0 ? 0x80 : 0);
	} while (v != 0);
	return yp_write_bytes(b, tmp, n);
}

enum tc_err
yp_write_var_bytes(struct yp_buf *b, const void *data, size_t len)
{
	size_t mark = b->len;
	enum tc_err rv = yp_write_var_uint(b, len);
	if (rv == TC_OK)
		rv = yp_write_bytes(b, data, len);
	if (rv != TC_OK)
		b->len = mark;
	return rv;
}

/* ---- frames ------------------------------------------------------------- */

enum tc_err
yp_frame_parse(const uint8_t *buf, size_t len, struct yp_frame *out)
{
	struct yp_reader r;
	struct yp_frame f = {0};
	enum tc_err rv;

	yp_reader_init(&r, buf, len);
	if ((rv = yp_read_var_uint(&r, &f.type)) != TC_OK)
		return rv;
	switch (f.type) {
	case YP_FRAME_SYNC:
		if ((rv = yp_read_var_uint(&r, &f.sub)) != TC_OK)
			return rv;
		if (f.sub > YP_SYNC_UPDATE)
			return TC_EPROTO;
		rv = yp_read_var_bytes(&r, &f.data, &f.len);
		break;
	case YP_FRAME_AWARENESS:
		rv = yp_read_var_bytes(&r, &f.data, &f.len);
		break;
	case YP_FRAME_QUERY_AWARENESS:
		f.data = buf + r.pos;
		f.len = 0;
		break;
	default:
		f.data = buf + r.pos;
		f.len = yp_reader_left(&r);
		r.pos = r.len;
		break;
	}
	if (rv != TC_OK)
		return rv;
	if (yp_reader_left(&r) != 0)
		return TC_EPROTO;
	*out = f;
	return TC_OK;
}

enum tc_err
yp_frame_sync_encode(struct yp_buf *b, unsigned sub, const void *data, size_t len)
{
	size_t mark = b->len;
	enum tc_err rv = yp_write_var_uint(b, YP_FRAME_SYNC);
	if (rv == TC_OK)
		rv = yp_write_var_uint(b, sub);
	if (rv == TC_OK)
		rv = yp_write_var_bytes(b, data, len);
	if (rv != TC_OK)
		b->len = mark;
	return rv;
}

enum tc_err
yp_frame_awareness_encode(struct yp_buf *b, const void *update, size_t len)
{
	size_t mark = b->len;
	enum tc_err rv = yp_write_var_uint(b, YP_FRAME_AWARENESS);
	if (rv == TC_OK)
		rv = yp_write_var_bytes(b, update, len);
	if (rv != TC_OK)
		b->len = mark;
	return rv;
}

enum tc_err
yp_frame_app_encode(struct yp_buf *b, unsigned type, const void *body, size_t len)
{
	size_t mark = b->len;
	enum tc_err rv = yp_write_var_uint(b, type);
	if (rv == TC_OK)
		rv = yp_write_bytes(b, body, len);
	if (rv != TC_OK)
		b->len = mark;
	return rv;
}

enum tc_err
yp_state_vector_check(const uint8_t *buf, size_t len, size_t *nclients)
{
	struct yp_reader r;
	uint64_t n, v;
	enum tc_err rv;

	yp_reader_init(&r, buf, len);
	if ((rv = yp_read_var_uint(&r, &n)) != TC_OK)
		return rv;
	if (n > yp_reader_left(&r) / 2)
		return TC_EPROTO;
	for (uint64_t i = 0; i < n; i++) {
		if ((rv = yp_read_var_uint(&r, &v)) != TC_OK ||
		    (rv = yp_read_var_uint(&r, &v)) != TC_OK)
			return rv;
	}
	if (yp_reader_left(&r) != 0)
		return TC_EPROTO;
	*nclients = (size_t)n;
	return TC_OK;
}

/* ---- updates ------------------------------------------------------------ */

/* Info byte bits (Yjs binary.BIT6..BIT8, BITS5). */
#define INFO_CONTENT 0x1f
#define INFO_PARENT_SUB 0x20
#define INFO_RIGHT_ORIGIN 0x40
#define INFO_ORIGIN 0x80

enum content_ref {
	REF_GC = 0,
	REF_DELETED = 1,
	REF_JSON = 2,
	REF_BINARY = 3,
	REF_STRING = 4,
	REF_EMBED = 5,
	REF_FORMAT = 6,
	REF_TYPE = 7,
	REF_ANY = 8,
	REF_DOC = 9,
	REF_SKIP = 10,
};

/* Yjs type refs: YArray .. YXmlText; Element and Hook carry a name. */
#define TYPE_REF_XML_ELEMENT 3
#define TYPE_REF_XML_HOOK 5
#define TYPE_REF_MAX 6

static enum tc_err
skip_id(struct yp_reader *r)
{
	uint64_t v;
	enum tc_err rv = yp_read_var_uint(r, &v);
	if (rv == TC_OK)
		rv = yp_read_var_uint(r, &v);
	return rv;
}

static enum tc_err
skip_string(struct yp_reader *r)
{
	const char *s;
	size_t n;
	return yp_read_var_string(r, &s, &n);
}

static enum tc_err
skip_json_string(struct yp_reader *r, bool allow_undefined)
{
	const char *s;
	size_t n;
	enum tc_err rv = yp_read_var_string(r, &s, &n);
	if (rv != TC_OK)
		return rv;
	if (allow_undefined && n == 9 && memcmp(s, "undefined", 9) == 0)
		return TC_OK;
	return yp_json_check(s, n, YP_MAX_DEPTH);
}

/* skip_any walks one lib0 Any value (lib0 decoding.readAny). */
static enum tc_err
skip_any(struct yp_reader *r, unsigned depth)
{
	uint8_t tag;
	uint64_t n;
	int64_t iv;
	const uint8_t *p;
	size_t len;
	enum tc_err rv;

	if ((rv = yp_read_u8(r, &tag)) != TC_OK)
		return rv;
	switch (tag) {
	case 127: /* undefined */
	case 126: /* null */
	case 121: /* false */
	case 120: /* true */
		return TC_OK;
	case 125: /* integer */
		return yp_read_var_int(r, &iv);
	case 124: /* float32 */
		if (yp_reader_left(r) < 4)
			return TC_EPROTO;
		r->pos += 4;
		return TC_OK;
	case 123: /* float64 */
	case 122: /* bigint64 */
		if (yp_reader_left(r) < 8)
			return TC_EPROTO;
		r->pos += 8;
		return TC_OK;
	case 119: /* string */
		return skip_string(r);
	case 118: /* object: count, then key and value */
	case 117: /* array: count, then values */
		if (depth == 0)
			return TC_ETOOBIG;
		if ((rv = yp_read_var_uint(r, &n)) != TC_OK)
			return rv;
		if (n > yp_reader_left(r) / (tag == 118 ? 2 : 1))
			return TC_EPROTO;
		for (uint64_t i = 0; i < n; i++) {
			if (tag == 118 && (rv = skip_string(r)) != TC_OK)
				return rv;
			if ((rv = skip_any(r, depth - 1)) != TC_OK)
				return rv;
		}
		return TC_OK;
	case 116: /* Uint8Array */
		return yp_read_var_bytes(r, &p, &len);
	default:
		return TC_EPROTO;
	}
}

/*
 * read_content walks an Item's content of ref and reports its length in
 * clock units and, for strings, the UTF-16 units inserted.
 */
static enum tc_err
read_content(struct yp_reader *r, unsigned ref, uint64_t *length, uint64_t *chars)
{
	uint64_t n;
	const uint8_t *p;
	const char *s;
	size_t len;
	enum tc_err rv;

	*chars = 0;
	switch (ref) {
	case REF_DELETED:
		return yp_read_var_uint(r, length);
	case REF_JSON:
	case REF_ANY:
		if ((rv = yp_read_var_uint(r, &n)) != TC_OK)
			return rv;
		if (n > yp_reader_left(r))
			return TC_EPROTO;
		for (uint64_t i = 0; i < n; i++) {
			rv =
			    ref == REF_JSON ? skip_json_string(r, true) : skip_any(r, YP_MAX_DEPTH);
			if (rv != TC_OK)
				return rv;
		}
		*length = n;
		return TC_OK;
	case REF_BINARY:
		*length = 1;
		return yp_read_var_bytes(r, &p, &len);
	case REF_STRING:
		if ((rv = yp_read_var_bytes(r, &p, &len)) != TC_OK)
			return rv;
		if ((rv = yp_utf8_check((const char *)p, len, chars)) != TC_OK)
			return rv;
		*length = *chars;
		return TC_OK;
	case REF_EMBED:
		*length = 1;
		return skip_json_string(r, false);
	case REF_FORMAT:
		*length = 1;
		if ((rv = yp_read_var_string(r, &s, &len)) != TC_OK)
			return rv;
		return skip_json_string(r, false);
	case REF_TYPE:
		*length = 1;
		if ((rv = yp_read_var_uint(r, &n)) != TC_OK)
			return rv;
		if (n > TYPE_REF_MAX)
			return TC_EPROTO;
		if (n == TYPE_REF_XML_ELEMENT || n == TYPE_REF_XML_HOOK)
			return skip_string(r);
		return TC_OK;
	case REF_DOC:
		*length = 1;
		if ((rv = skip_string(r)) != TC_OK)
			return rv;
		return skip_any(r, YP_MAX_DEPTH);
	default:
		return TC_EPROTO;
	}
}

/* A growing per-client table, bounded by YP_MAX_CLIENTS. */
struct stats {
	struct yp_client_stat *v;
	size_t n;
	size_t cap;
};

static enum tc_err
stats_add(struct stats *s, uint64_t client, struct yp_client_stat **out)
{
	if (s->n == s->cap) {
		if (s->cap >= YP_MAX_CLIENTS)
			return TC_ETOOBIG;
		size_t ncap = s->cap > 0 ? s->cap * 2 : 8;
		if (ncap > YP_MAX_CLIENTS)
			ncap = YP_MAX_CLIENTS;
		struct yp_client_stat *nv = realloc(s->v, ncap * sizeof(*nv));
		if (nv == NULL)
			return TC_ENOMEM;
		s->v = nv;
		s->cap = ncap;
	}
	*out = &s->v[s->n++];
	memset(*out, 0, sizeof(**out));
	(*out)->client = client;
	return TC_OK;
}

static int
stat_cmp(const void *a, const void *b)
{
	const struct yp_client_stat *x = a, *y = b;
	if (x->client != y->client)
		return x->client < y->client ? -1 : 1;
	return 0;
}

/* merge_stats sorts by client (stable on ties by position) and folds duplicates. */
static void
merge_stats(struct stats *s)
{
	if (s->n < 2)
		return;
	qsort(s->v, s->n, sizeof(*s->v), stat_cmp);
	size_t w = 0;
	for (size_t i = 1; i < s->n; i++) {
		struct yp_client_stat *a = &s->v[w], *b = &s->v[i];
		if (a->client != b->client) {
			s->v[++w] = *b;
			continue;
		}
		if (b->structs > 0) {
			if (a->structs == 0 || b->clock < a->clock)
				a->clock = b->clock;
			if (b->end > a->end)
				a->end = b->end;
		}
		a->structs += b->structs;
		a->gc += b->gc;
		a->skip += b->skip;
		a->inserted += b->inserted;
		a->deleted += b->deleted;
	}
	s->n = w + 1;
}

static enum tc_err
read_structs(struct yp_reader *r, struct yp_client_stat *st, uint64_t nstructs)
{
	uint64_t clock = st->clock;
	enum tc_err rv;

	for (uint64_t i = 0; i < nstructs; i++) {
		uint8_t info;
		uint64_t length = 0, chars = 0, v;

		if ((rv = yp_read_u8(r, &info)) != TC_OK)
			return rv;
		switch (info & INFO_CONTENT) {
		case REF_GC:
			rv = yp_read_var_uint(r, &length);
			st->gc++;
			break;
		case REF_SKIP:
			rv = yp_read_var_uint(r, &length);
			st->skip++;
			break;
		default:
			if ((info & INFO_ORIGIN) && (rv = skip_id(r)) != TC_OK)
				return rv;
			if ((info & INFO_RIGHT_ORIGIN) && (rv = skip_id(r)) != TC_OK)
				return rv;
			if ((info & (INFO_ORIGIN | INFO_RIGHT_ORIGIN)) == 0) {
				/* No origin to copy the parent from: it is written. */
				if ((rv = yp_read_var_uint(r, &v)) != TC_OK)
					return rv;
				rv = v == 1 ? skip_string(r) : skip_id(r);
				if (rv != TC_OK)
					return rv;
				if ((info & INFO_PARENT_SUB) && (rv = skip_string(r)) != TC_OK)
					return rv;
			}
			rv = read_content(r, info & INFO_CONTENT, &length, &chars);
			break;
		}
		if (rv != TC_OK)
			return rv;
		if (length > YP_UINT_MAX - clock)
			return TC_EPROTO;
		clock += length;
		st->inserted += chars;
	}
	st->structs += nstructs;
	st->end = clock;
	return TC_OK;
}

static enum tc_err
parse_update(struct yp_reader *r, struct stats *s, struct yp_update_info *info)
{
	uint64_t nclients, nstructs, client, clock, nranges, len;
	struct yp_client_stat *st;
	enum tc_err rv;

	/* Structs, per client. */
	if ((rv = yp_read_var_uint(r, &nclients)) != TC_OK)
		return rv;
	if (nclients > yp_reader_left(r) / 3)
		return TC_EPROTO;
	if (nclients > YP_MAX_CLIENTS)
		return TC_ETOOBIG;
	for (uint64_t i = 0; i < nclients; i++) {
		if ((rv = yp_read_var_uint(r, &nstructs)) != TC_OK ||
		    (rv = yp_read_var_uint(r, &client)) != TC_OK ||
		    (rv = yp_read_var_uint(r, &clock)) != TC_OK)
			return rv;
		if (nstructs > yp_reader_left(r) / 2)
			return TC_EPROTO;
		if ((rv = stats_add(s, client, &st)) != TC_OK)
			return rv;
		st->clock = clock;
		if ((rv = read_structs(r, st, nstructs)) != TC_OK)
			return rv;
		info->structs += nstructs;
		info->inserted += st->inserted;
	}

	/* The delete set: per client, ranges of clock and length. */
	if ((rv = yp_read_var_uint(r, &nclients)) != TC_OK)
		return rv;
	if (nclients > yp_reader_left(r) / 2)
		return TC_EPROTO;
	if (nclients > YP_MAX_CLIENTS)
		return TC_ETOOBIG;
	for (uint64_t i = 0; i < nclients; i++) {
		if ((rv = yp_read_var_uint(r, &client)) != TC_OK ||
		    (rv = yp_read_var_uint(r, &nranges)) != TC_OK)
			return rv;
		if (nranges > yp_reader_left(r) / 2)
			return TC_EPROTO;
		if ((rv = stats_add(s, client, &st)) != TC_OK)
			return rv;
		for (uint64_t k = 0; k < nranges; k++) {
			if ((rv = yp_read_var_uint(r, &clock)) != TC_OK ||
			    (rv = yp_read_var_uint(r, &len)) != TC_OK)
				return rv;
			if (len > YP_UINT_MAX - clock)
				return TC_EPROTO;
			st->deleted += len;
			info->deleted += len;
		}
		info->ds_ranges += nranges;
	}
	if (yp_reader_left(r) != 0)
		return TC_EPROTO;
	merge_stats(s);
	if (s->n > YP_MAX_CLIENTS)
		return TC_ETOOBIG;
	return TC_OK;
}

enum tc_err
yp_update_parse(const uint8_t *buf, size_t len, struct yp_update_info *out)
{
	struct yp_reader r;
	struct stats s = {0};
	struct yp_update_info info = {0};
	enum tc_err rv;

	yp_reader_init(&r, buf, len);
	rv = parse_update(&r, &s, &info);
	if (rv != TC_OK) {
		free(s.v);
		memset(out, 0, sizeof(*out));
		return rv;
	}
	info.clients = s.v;
	info.nclients = s.n;
	*out = info;
	return TC_OK;
}

void
yp_update_info_fini(struct yp_update_info *info)
{
	if (info == NULL)
		return;
	free(info->clients);
	memset(info, 0, sizeof(*info));
}

/* ---- merging updates ------------------------------------------------------ */

/*
 * One struct of an input, as yp_update_merge holds it.  hdr is what follows
 * the info byte up to the content (origins, parent info, parentSub); body
 * is the content's encoding, except for a string (its UTF-8 bytes) and
 * Any or JSON (the values after their count), the contents Yjs slices and
 * concatenates.  A sliced struct (synth) has its header rebuilt from the
 * origin ids.
 */
struct mst {
	uint64_t client, clock, len;
	uint64_t oc, ok; /* origin (client, clock) when info has INFO_ORIGIN */
	uint64_t rc, rk; /* right origin when info has INFO_RIGHT_ORIGIN */
	const uint8_t *hdr, *body;
	size_t hdr_len, body_len;
	size_t seq; /* input order: earlier inputs win ties */
	uint8_t info;
	bool synth;
};

struct mrange {
	uint64_t client, clock, len;
};

struct mpiece {
	const uint8_t *p;
	size_t len;
};

struct mrg {
	struct mst *st;
	size_t nst, capst;
	struct mrange *ds;
	size_t nds, capds;
	struct mpiece *pc;
	size_t npc, cappc;
	struct mrange *have; /* the peer's state vector, sorted by client */
	size_t nhave;
};

/* grow makes room for one more element of size elem in *v, at most max. */
static enum tc_err
grow(void **v, size_t *cap, size_t n, size_t elem, size_t max)
{
	if (n < *cap)
		return TC_OK;
	if (n >= max)
		return TC_ETOOBIG;
	size_t ncap = *cap > 0 ? *cap * 2 : 64;
	if (ncap > max)
		ncap = max;
	void *nv = realloc(*v, ncap * elem);
	if (nv == NULL)
		return TC_ENOMEM;
	*v = nv;
	*cap = ncap;
	return TC_OK;
}

static enum tc_err
read_id(struct yp_reader *r, uint64_t *client, uint64_t *clock)
{
	enum tc_err rv = yp_read_var_uint(r, client);
	if (rv == TC_OK)
		rv = yp_read_var_uint(r, clock);
	return rv;
}

/* merge_read_struct reads one struct of client at clock into *s. */
static enum tc_err
merge_read_struct(struct yp_reader *r, struct mst *s)
{
	uint64_t v, chars;
	enum tc_err rv;

	if ((rv = yp_read_u8(r, &s->info)) != TC_OK)
		return rv;
	unsigned ref = s->info & INFO_CONTENT;
	if (ref == REF_GC || ref == REF_SKIP)
		return yp_read_var_uint(r, &s->len);

	size_t hstart = r->pos;
	if ((s->info & INFO_ORIGIN) && (rv = read_id(r, &s->oc, &s->ok)) != TC_OK)
		return rv;
	if ((s->info & INFO_RIGHT_ORIGIN) && (rv = read_id(r, &s->rc, &s->rk)) != TC_OK)
		return rv;
	if ((s->info & (INFO_ORIGIN | INFO_RIGHT_ORIGIN)) == 0) {
		if ((rv = yp_read_var_uint(r, &v)) != TC_OK)
			return rv;
		if ((rv = v == 1 ? skip_string(r) : skip_id(r)) != TC_OK)
			return rv;
		if ((s->info & INFO_PARENT_SUB) && (rv = skip_string(r)) != TC_OK)
			return rv;
	}
	s->hdr = r->p + hstart;
	s->hdr_len = r->pos - hstart;

	size_t cstart = r->pos;
	if ((rv = read_content(r, ref, &s->len, &chars)) != TC_OK)
		return rv;
	s->body = r->p + cstart;
	s->body_len = r->pos - cstart;
	if (ref == REF_STRING) {
		struct yp_reader sr;
		yp_reader_init(&sr, s->body, s->body_len);
		if ((rv = yp_read_var_bytes(&sr, &s->body, &s->body_len)) != TC_OK)
			return rv;
	} else if (ref == REF_ANY || ref == REF_JSON) {
		struct yp_reader sr;
		yp_reader_init(&sr, s->body, s->body_len);
		if ((rv = yp_read_var_uint(&sr, &v)) != TC_OK)
			return rv;
		s->body += sr.pos;
		s->body_len -= sr.pos;
	}
	return TC_OK;
}

/* is_list: content Yjs slices by element and concatenates (mergeWith). */
static bool
is_list(unsigned ref)
{
	return ref == REF_STRING || ref == REF_ANY || ref == REF_JSON;
}

/* merge_read adds one update's structs and delete ranges to m. */
static enum tc_err
merge_read(struct mrg *m, const uint8_t *buf, size_t len)
{
	struct yp_reader r;
	uint64_t nclients, nstructs, client, clock, nranges, rlen;
	enum tc_err rv;

	yp_reader_init(&r, buf, len);
	if ((rv = yp_read_var_uint(&r, &nclients)) != TC_OK)
		return rv;
	if (nclients > yp_reader_left(&r) / 3)
		return TC_EPROTO;
	for (uint64_t i = 0; i < nclients; i++) {
		if ((rv = yp_read_var_uint(&r, &nstructs)) != TC_OK ||
		    (rv = yp_read_var_uint(&r, &client)) != TC_OK ||
		    (rv = yp_read_var_uint(&r, &clock)) != TC_OK)
			return rv;
		if (nstructs > yp_reader_left(&r) / 2)
			return TC_EPROTO;
		for (uint64_t k = 0; k < nstructs; k++) {
			struct mst s;
			memset(&s, 0, sizeof(s));
			s.client = client;
			s.clock = clock;
			if ((rv = merge_read_struct(&r, &s)) != TC_OK)
				return rv;
			if (s.len > YP_UINT_MAX - clock)
				return TC_EPROTO;
			clock += s.len;
			rv = grow((void **)&m->st, &m->capst, m->nst, sizeof(*m->st),
			    YP_MAX_MERGE_STRUCTS);
			if (rv != TC_OK)
				return rv;
			s.seq = m->nst;
			m->st[m->nst++] = s;
		}
	}

	if ((rv = yp_read_var_uint(&r, &nclients)) != TC_OK)
		return rv;
	if (nclients > yp_reader_left(&r) / 2)
		return TC_EPROTO;
	for (uint64_t i = 0; i < nclients; i++) {
		if ((rv = yp_read_var_uint(&r, &client)) != TC_OK ||
		    (rv = yp_read_var_uint(&r, &nranges)) != TC_OK)
			return rv;
		if (nranges > yp_reader_left(&r) / 2)
			return TC_EPROTO;
		for (uint64_t k = 0; k < nranges; k++) {
			if ((rv = read_id(&r, &clock, &rlen)) != TC_OK)
				return rv;
			if (rlen > YP_UINT_MAX - clock)
				return TC_EPROTO;
			if (rlen == 0)
				continue;
			rv = grow((void **)&m->ds, &m->capds, m->nds, sizeof(*m->ds),
			    YP_MAX_MERGE_RANGES);
			if (rv != TC_OK)
				return rv;
			m->ds[m->nds++] = (struct mrange){client, clock, rlen};
		}
	}
	return yp_reader_left(&r) == 0 ? TC_OK : TC_EPROTO;
}

/* Clients descending (as Yjs writes them), then clock, then input order. */
static int
mst_cmp(const void *a, const void *b)
{
	const struct mst *x = a, *y = b;
	if (x->client != y->client)
		return x->client > y->client ? -1 : 1;
	if (x->clock != y->clock)
		return x->clock < y->clock ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
mrange_cmp(const void *a, const void *b)
{
	const struct mrange *x = a, *y = b;
	if (x->client != y->client)
		return x->client > y->client ? -1 : 1;
	if (x->clock != y->clock)
		return x->clock < y->clock ? -1 : 1;
	return 0;
}

static int
have_cmp(const void *a, const void *b)
{
	const struct mrange *x = a, *y = b;
	if (x->client != y->client)
		return x->client < y->client ? -1 : 1;
	return x->clock < y->clock ? -1 : x->clock > y->clock;
}

/* merge_have reads a state vector into m->have, sorted by client. */
static enum tc_err
merge_have(struct mrg *m, const uint8_t *buf, size_t len)
{
	struct yp_reader r;
	size_t n;
	enum tc_err rv = yp_state_vector_check(buf, len, &n);

	if (rv != TC_OK || n == 0)
		return rv;
	m->have = malloc(n * sizeof(*m->have)); /* n <= len / 2 */
	if (m->have == NULL)
		return TC_ENOMEM;
	yp_reader_init(&r, buf, len);
	uint64_t count;
	(void)yp_read_var_uint(&r, &count);
	for (size_t i = 0; i < n; i++) {
		m->have[i].len = 0;
		if ((rv = read_id(&r, &m->have[i].client, &m->have[i].clock)) != TC_OK)
			return rv;
	}
	m->nhave = n;
	qsort(m->have, n, sizeof(*m->have), have_cmp);
	return TC_OK;
}

/* have_clock: the peer's clock for client (the lowest if named twice). */
static uint64_t
have_clock(const struct mrg *m, uint64_t client)
{
	size_t lo = 0, hi = m->nhave;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->have[mid].client < client)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->nhave && m->have[lo].client == client ? m->have[lo].clock : 0;
}

/*
 * mst_slice drops the first k clock units of s (0 < k < s->len), as Yjs's
 * sliceStruct does: the rest's origin is the unit before it.  GC, Deleted,
 * String, Any and JSON are sliced; other content (one clock unit each)
 * cannot overlap partly.  TC_ENOTSUP for a string cut inside a surrogate
 * pair (Yjs would write U+FFFD there).
 */
static enum tc_err
mst_slice(struct mst *s, uint64_t k)
{
	unsigned ref = s->info & INFO_CONTENT;

	if (ref == REF_STRING) {
		size_t i = 0;
		uint64_t u = 0;
		while (u < k) {
			if (i >= s->body_len)
				return TC_EPROTO;
			uint8_t c = s->body[i];
			size_t n = c < 0x80             ? 1
			           : (c & 0xe0) == 0xc0 ? 2
			           : (c & 0xf0) == 0xe0 ? 3
			                                : 4;
			uint64_t units = n == 4 ? 2 : 1;
			if (u + units > k)
				return TC_ENOTSUP;
			if (n > s->body_len - i)
				return TC_EPROTO;
			u += units;
			i += n;
		}
		s->body += i;
		s->body_len -= i;
	} else if (ref == REF_ANY || ref == REF_JSON) {
		struct yp_reader r;
		enum tc_err rv = TC_OK;
		yp_reader_init(&r, s->body, s->body_len);
		for (uint64_t i = 0; i < k && rv == TC_OK; i++)
			rv = ref == REF_ANY ? skip_any(&r, YP_MAX_DEPTH)
			                    : skip_json_string(&r, true);
		if (rv != TC_OK)
			return rv;
		s->body += r.pos;
		s->body_len -= r.pos;
	} else if (ref != REF_GC && ref != REF_DELETED) {
		return TC_ENOTSUP;
	}
	if (ref != REF_GC) {
		s->oc = s->client;
		s->ok = s->clock + k - 1;
		s->info |= INFO_ORIGIN;
		s->synth = true;
	}
	s->clock += k;
	s->len -= k;
	return TC_OK;
}

/*
 * can_squash: next (starting where cur ends) would be merged into cur by
 * Yjs's Item.mergeWith (or both are GC).
 */
static bool
can_squash(const struct mst *cur, const struct mst *next)
{
	unsigned a = cur->info & INFO_CONTENT, b = next->info & INFO_CONTENT;

	if (a == REF_GC || b == REF_GC)
		return a == b;
	if (a != b || (!is_list(a) && a != REF_DELETED))
		return false;
	if (!(next->info & INFO_ORIGIN) || next->oc != cur->client ||
	    next->ok != cur->clock + cur->len - 1)
		return false;
	if ((cur->info & INFO_RIGHT_ORIGIN) != (next->info & INFO_RIGHT_ORIGIN))
		return false;
	return !(cur->info & INFO_RIGHT_ORIGIN) || (cur->rc == next->rc && cur->rk == next->rk);
}

/* mst_write writes s; the content of a list (is_list) is pc[0..npc). */
static enum tc_err
mst_write(struct yp_buf *b, const struct mst *s, const struct mpiece *pc, size_t npc)
{
	unsigned ref = s->info & INFO_CONTENT;
	enum tc_err rv;

	if (ref == REF_GC || ref == REF_SKIP) {
		if ((rv = yp_write_u8(b, (uint8_t)ref)) != TC_OK)
			return rv;
		return yp_write_var_uint(b, s->len);
	}
	if ((rv = yp_write_u8(b, s->info)) != TC_OK)
		return rv;
	if (!s->synth) {
		rv = yp_write_bytes(b, s->hdr, s->hdr_len);
	} else {
		if (s->info & INFO_ORIGIN) {
			if ((rv = yp_write_var_uint(b, s->oc)) != TC_OK ||
			    (rv = yp_write_var_uint(b, s->ok)) != TC_OK)
				return rv;
		}
		if (s->info & INFO_RIGHT_ORIGIN) {
			if ((rv = yp_write_var_uint(b, s->rc)) != TC_OK ||
			    (rv = yp_write_var_uint(b, s->rk)) != TC_OK)
				return rv;
		}
	}
	if (rv != TC_OK)
		return rv;
	if (ref == REF_DELETED)
		return yp_write_var_uint(b, s->len);
	if (!is_list(ref))
		return yp_write_bytes(b, s->body, s->body_len);
	size_t total = 0;
	for (size_t i = 0; i < npc; i++)
		total += pc[i].len;
	if ((rv = yp_write_var_uint(b, ref == REF_STRING ? total : s->len)) != TC_OK)
		return rv;
	for (size_t i = 0; i < npc && rv == TC_OK; i++)
		rv = yp_write_bytes(b, pc[i].p, pc[i].len);
	return rv;
}

static enum tc_err
push_piece(struct mrg *m, const uint8_t *p, size_t len)
{
	enum tc_err rv =
	    grow((void **)&m->pc, &m->cappc, m->npc, sizeof(*m->pc), YP_MAX_MERGE_STRUCTS);
	if (rv == TC_OK)
		m->pc[m->npc++] = (struct mpiece){p, len};
	return rv;
}

/*
 * merge_client writes the structs of one client, st[0..n), to cb and
 * reports how many it wrote, their first clock and the end of their run
 * from clock 0 (0 if the run does not start at 0).
 */
static enum tc_err
merge_client(struct mrg *m, const struct mst *st, size_t n, struct yp_buf *cb, uint64_t *count,
    uint64_t *start, uint64_t *sv_end)
{
	uint64_t floor = m->nhave > 0 ? have_clock(m, st[0].client) : 0;
	uint64_t end = 0;
	bool started = false, has_cur = false, contiguous = true;
	struct mst cur;
	enum tc_err rv;

	*count = 0;
	*start = 0;
	*sv_end = 0;
	memset(&cur, 0, sizeof(cur));
	for (size_t i = 0; i < n; i++) {
		struct mst s = st[i];
		unsigned ref = s.info & INFO_CONTENT;
		if (ref == REF_SKIP || s.len == 0 || s.clock + s.len <= floor)
			continue;
		if (started) {
			if (s.clock + s.len <= end)
				continue; /* a duplicate */
			if (s.clock < end && (rv = mst_slice(&s, end - s.clock)) != TC_OK)
				return rv;
		}
		bool squash = has_cur && s.clock == end && can_squash(&cur, &s);
		if (has_cur && !squash) {
			if ((rv = mst_write(cb, &cur, m->pc, m->npc)) != TC_OK)
				return rv;
			(*count)++;
			has_cur = false;
		}
		if (started && s.clock > end) {
			struct mst skip = {.info = REF_SKIP, .len = s.clock - end};
			if ((rv = mst_write(cb, &skip, NULL, 0)) != TC_OK)
				return rv;
			(*count)++;
			contiguous = false;
		}
		if (!started) {
			started = true;
			*start = s.clock;
			contiguous = s.clock == 0;
		}
		if (squash) {
			cur.len += s.len;
		} else {
			cur = s;
			has_cur = true;
			m->npc = 0;
		}
		if (is_list(ref) && (rv = push_piece(m, s.body, s.body_len)) != TC_OK)
			return rv;
		end = s.clock + s.len;
		if (contiguous)
			*sv_end = end;
	}
	if (has_cur) {
		if ((rv = mst_write(cb, &cur, m->pc, m->npc)) != TC_OK)
			return rv;
		(*count)++;
	}
	return TC_OK;
}

/* merge_ds sorts and unites the delete ranges, then writes the delete set. */
static enum tc_err
merge_ds(struct mrg *m, struct yp_buf *b)
{
	size_t w = 0, nclients = 0;
	enum tc_err rv;

	if (m->nds > 1)
		qsort(m->ds, m->nds, sizeof(*m->ds), mrange_cmp);
	for (size_t i = 0; i < m->nds; i++) {
		struct mrange *cur = w > 0 ? &m->ds[w - 1] : NULL, *x = &m->ds[i];
		if (cur != NULL && cur->client == x->client && x->clock <= cur->clock + cur->len) {
			if (x->clock + x->len > cur->clock + cur->len)
				cur->len = x->clock + x->len - cur->clock;
			continue;
		}
		if (cur == NULL || cur->client != x->client)
			nclients++;
		m->ds[w++] = *x;
	}
	if ((rv = yp_write_var_uint(b, nclients)) != TC_OK)
		return rv;
	for (size_t i = 0; i < w;) {
		size_t j = i;
		while (j < w && m->ds[j].client == m->ds[i].client)
			j++;
		if ((rv = yp_write_var_uint(b, m->ds[i].client)) != TC_OK ||
		    (rv = yp_write_var_uint(b, j - i)) != TC_OK)
			return rv;
		for (; i < j; i++) {
			if ((rv = yp_write_var_uint(b, m->ds[i].clock)) != TC_OK ||
			    (rv = yp_write_var_uint(b, m->ds[i].len)) != TC_OK)
				return rv;
		}
	}
	return TC_OK;
}

static enum tc_err
merge_run(struct mrg *m, const struct yp_span *in, size_t n, const uint8_t *have, size_t have_len,
    struct yp_buf *out, struct yp_buf *sv)
{
	struct yp_buf sb, cb, svb;
	uint64_t nclients = 0, nsv = 0;
	enum tc_err rv = TC_OK;

	if (have != NULL && (rv = merge_have(m, have, have_len)) != TC_OK)
		return rv;
	for (size_t i = 0; i < n; i++) {
		if (in[i].p == NULL && in[i].len > 0)
			return TC_EINVAL;
		if ((rv = merge_read(m, in[i].p, in[i].len)) != TC_OK)
			return rv;
	}
	if (m->nst > 1)
		qsort(m->st, m->nst, sizeof(*m->st), mst_cmp);

	yp_buf_init(&sb, out->max);
	yp_buf_init(&cb, out->max);
	yp_buf_init(&svb, sv != NULL ? sv->max : 0);
	for (size_t i = 0; i < m->nst && rv == TC_OK;) {
		size_t j = i;
		uint64_t count, start, sv_end;
		while (j < m->nst && m->st[j].client == m->st[i].client)
			j++;
		yp_buf_reset(&cb);
		rv = merge_client(m, m->st + i, j - i, &cb, &count, &start, &sv_end);
		if (rv == TC_OK && count > 0) {
			nclients++;
			if ((rv = yp_write_var_uint(&sb, count)) == TC_OK &&
			    (rv = yp_write_var_uint(&sb, m->st[i].client)) == TC_OK &&
			    (rv = yp_write_var_uint(&sb, start)) == TC_OK)
				rv = yp_write_bytes(&sb, cb.data, cb.len);
		}
		if (rv == TC_OK && count > 0 && sv_end > 0 && sv != NULL) {
			nsv++;
			if ((rv = yp_write_var_uint(&svb, m->st[i].client)) == TC_OK)
				rv = yp_write_var_uint(&svb, sv_end);
		}
		i = j;
	}
	if (rv == TC_OK && (rv = yp_write_var_uint(out, nclients)) == TC_OK &&
	    (rv = yp_write_bytes(out, sb.data, sb.len)) == TC_OK)
		rv = merge_ds(m, out);
	if (rv == TC_OK && sv != NULL && (rv = yp_write_var_uint(sv, nsv)) == TC_OK)
		rv = yp_write_bytes(sv, svb.data, svb.len);
	yp_buf_fini(&sb);
	yp_buf_fini(&cb);
	yp_buf_fini(&svb);
	return rv;
}

enum tc_err
yp_update_merge(const struct yp_span *in, size_t n, const uint8_t *have, size_t have_len,
    struct yp_buf *out, struct yp_buf *sv)
{
	struct mrg m;
	size_t out_mark = out->len, sv_mark = sv != NULL ? sv->len : 0;

	if (in == NULL && n > 0)
		return TC_EINVAL;
	memset(&m, 0, sizeof(m));
	enum tc_err rv = merge_run(&m, in, n, have, have_len, out, sv);
	free(m.st);
	free(m.ds);
	free(m.pc);
	free(m.have);
	if (rv != TC_OK) {
		out->len = out_mark;
		if (sv != NULL)
			sv->len = sv_mark;
	}
	return rv;
}

/* ---- awareness ---------------------------------------------------------- */

enum tc_err
yp_awareness_parse(
    const uint8_t *buf, size_t len, struct yp_awareness_entry *out, size_t max, size_t *n)
{
	struct yp_reader r;
	uint64_t count;
	enum tc_err rv;

	yp_reader_init(&r, buf, len);
	if ((rv = yp_read_var_uint(&r, &count)) != TC_OK)
		return rv;
	if (count > yp_reader_left(&r) / 3)
		return TC_EPROTO;
	if (count > max || count > YP_MAX_AWARENESS)
		return TC_ETOOBIG;
	for (uint64_t i = 0; i < count; i++) {
		struct yp_awareness_entry e;
		if ((rv = yp_read_var_uint(&r, &e.client)) != TC_OK ||
		    (rv = yp_read_var_uint(&r, &e.clock)) != TC_OK ||
		    (rv = yp_read_var_string(&r, &e.state, &e.state_len)) != TC_OK)
			return rv;
		if ((rv = yp_json_check(e.state, e.state_len, YP_MAX_DEPTH)) != TC_OK)
			return rv;
		out[i] = e;
	}
	if (yp_reader_left(&r) != 0)
		return TC_EPROTO;
	*n = (size_t)count;
	return TC_OK;
}

enum tc_err
yp_awareness_encode(struct yp_buf *b, const struct yp_awareness_entry *e, size_t n)
{
	size_t mark = b->len;
	enum tc_err rv = yp_write_var_uint(b, n);

	for (size_t i = 0; rv == TC_OK && i < n; i++) {
		rv = yp_write_var_uint(b, e[i].client);
		if (rv == TC_OK)
			rv = yp_write_var_uint(b, e[i].clock);
		if (rv == TC_OK)
			rv = yp_write_var_bytes(b, e[i].state, e[i].state_len);
	}
	if (rv != TC_OK)
		b->len = mark;
	return rv;
}

bool
yp_awareness_is_removal(const struct yp_awareness_entry *e)
{
	struct jp j = {e->state, e->state_len, 0};
	jp_ws(&j);
	if (!jp_lit(&j, "null"))
		return false;
	jp_ws(&j);
	return j.pos == j.len;
}

/* ---- authorship ---------------------------------------------------------- */

/* Delete-set ranges yp_update_authorship attributes one by one. */
#define AUTHOR_MAX_RANGES 200000u

struct owner {
	uint64_t client;
	size_t input;
};

static int
owner_cmp(const void *a, const void *b)
{
	const struct owner *x = a, *y = b;
	if (x->client != y->client)
		return x->client < y->client ? -1 : 1;
	return x->input < y->input ? -1 : x->input > y->input;
}

/* A delete-set range and the input that named it (seq: input index). */
static int
range_by_client_input(const void *a, const void *b)
{
	const struct mst *x = a, *y = b;
	if (x->client != y->client)
		return x->client < y->client ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->clock < y->clock ? -1 : x->clock > y->clock;
}

/* owner_of: the author index of client, or SIZE_MAX. */
static size_t
owner_of(const struct owner *o, size_t n, const uint32_t *author, uint64_t client)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (o[mid].client < client)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && o[lo].client == client ? author[o[lo].input] : SIZE_MAX;
}

/*
 * cover adds [clock, clock+len) to a client's sorted, disjoint covered
 * ranges and returns how many of its units were not covered before.
 */
static enum tc_err
cover(struct mrange **cv, size_t *n, size_t *cap, uint64_t clock, uint64_t len, uint64_t *fresh)
{
	uint64_t end = clock + len, lo = clock, hi = end, covered = 0;
	size_t i = 0, j;
	while (i < *n && (*cv)[i].clock + (*cv)[i].len < clock)
		i++;
	for (j = i; j < *n && (*cv)[j].clock <= end; j++) {
		uint64_t s = (*cv)[j].clock, e = s + (*cv)[j].len;
		uint64_t os = s > clock ? s : clock, oe = e < end ? e : end;
		covered += oe > os ? oe - os : 0;
		lo = s < lo ? s : lo;
		hi = e > hi ? e : hi;
	}
	*fresh = len - covered;
	if (j == i) { /* insert at i */
		enum tc_err rv = grow((void **)cv, cap, *n, sizeof(**cv), AUTHOR_MAX_RANGES);
		if (rv != TC_OK)
			return rv;
		memmove(*cv + i + 1, *cv + i, (*n - i) * sizeof(**cv));
		(*n)++;
	} else if (j > i + 1) { /* ranges i..j-1 become one */
		memmove(*cv + i + 1, *cv + j, (*n - j) * sizeof(**cv));
		*n -= j - i - 1;
	}
	(*cv)[i] = (struct mrange){0, lo, hi - lo};
	return TC_OK;
}

/* authors_typed: typed and live units per author from the merged update. */
static enum tc_err
authors_typed(const uint8_t *merged, size_t len, const struct owner *o, size_t no,
    const uint32_t *author, struct yp_author_stat *out, size_t nauthors, uint64_t *doc_len)
{
	struct mrg m;
	enum tc_err rv;

	memset(&m, 0, sizeof(m));
	if ((rv = merge_read(&m, merged, len)) == TC_OK) {
		if (m.nst > 1)
			qsort(m.st, m.nst, sizeof(*m.st), mst_cmp);
		if (m.nds > 1)
			qsort(m.ds, m.nds, sizeof(*m.ds), mrange_cmp);
		size_t d = 0;
		for (size_t i = 0; i < m.nst; i++) {
			const struct mst *s = &m.st[i];
			if ((s->info & INFO_CONTENT) != REF_STRING)
				continue;
			/* both sorted by client (descending) then clock; the merged
			 * delete set is disjoint: skip the ranges before this struct */
			struct mrange key = {s->client, s->clock, 0};
			while (d < m.nds && (m.ds[d].client != s->client
			                            ? mrange_cmp(&m.ds[d], &key) < 0
			                            : m.ds[d].clock + m.ds[d].len <= s->clock))
				d++;
			uint64_t gone = 0;
			for (size_t k = d; k < m.nds && m.ds[k].client == s->client &&
			                   m.ds[k].clock < s->clock + s->len;
			     k++) {
				uint64_t os = m.ds[k].clock > s->clock ? m.ds[k].clock : s->clock;
				uint64_t e = m.ds[k].clock + m.ds[k].len, se = s->clock + s->len;
				uint64_t oe = e < se ? e : se;
				gone += oe > os ? oe - os : 0;
			}
			*doc_len += s->len - gone;
			size_t a = owner_of(o, no, author, s->client);
			if (a < nauthors) {
				out[a].typed += s->len;
				out[a].live += s->len - gone;
			}
		}
	}
	free(m.st);
	free(m.ds);
	free(m.pc);
	return rv;
}

enum tc_err
yp_update_authorship(const struct yp_span *in, const uint32_t *author, size_t n,
    struct yp_author_stat *out, size_t nauthors, uint64_t *doc_len)
{
	struct owner *o = NULL;
	struct mst *dr = NULL; /* delete-set ranges: client, clock, len, seq = input */
	struct mrange *cv = NULL;
	size_t no = 0, capo = 0, ndr = 0, capdr = 0, ncv = 0, capcv = 0;
	struct yp_buf merged;
	enum tc_err rv = TC_OK;

	if ((in == NULL || author == NULL) && n > 0)
		return TC_EINVAL;
	if (nauthors > 0)
		memset(out, 0, nauthors * sizeof(*out));
	*doc_len = 0;
	/* Who wrote each client's first structs, and who deleted what. */
	for (size_t i = 0; i < n && rv == TC_OK; i++) {
		struct mrg t;
		memset(&t, 0, sizeof(t));
		rv = merge_read(&t, in[i].p, in[i].len);
		for (size_t k = 0; rv == TC_OK && k < t.nst; k++) {
			if (k > 0 && t.st[k].client == t.st[k - 1].client)
				continue;
			if ((rv = grow((void **)&o, &capo, no, sizeof(*o), YP_MAX_MERGE_STRUCTS)) ==
			    TC_OK)
				o[no++] = (struct owner){t.st[k].client, i};
		}
		for (size_t k = 0; rv == TC_OK && k < t.nds; k++) {
			if ((rv = grow((void **)&dr, &capdr, ndr, sizeof(*dr),
			         AUTHOR_MAX_RANGES)) == TC_OK)
				dr[ndr++] = (struct mst){.client = t.ds[k].client,
				    .clock = t.ds[k].clock,
				    .len = t.ds[k].len,
				    .seq = i};
		}
		free(t.st);
		free(t.ds);
		free(t.pc);
	}
	if (rv == TC_OK && no > 1) {
		qsort(o, no, sizeof(*o), owner_cmp);
		size_t w = 0; /* keep each client's first input */
		for (size_t k = 0; k < no; k++)
			if (w == 0 || o[w - 1].client != o[k].client)
				o[w++] = o[k];
		no = w;
	}
	/* Typed and still there: from the merged document, each unit once. */
	yp_buf_init(&merged, (size_t)1 << 30);
	if (rv == TC_OK)
		rv = yp_update_merge(in, n, NULL, 0, &merged, NULL);
	if (rv == TC_OK)
		rv = authors_typed(merged.data, merged.len, o, no, author, out, nauthors, doc_len);
	yp_buf_fini(&merged);
	/* Deleted: each unit goes to the first input that deleted it. */
	if (rv == TC_OK && ndr > 1)
		qsort(dr, ndr, sizeof(*dr), range_by_client_input);
	for (size_t k = 0; rv == TC_OK && k < ndr; k++) {
		uint64_t fresh = 0;
		if (k > 0 && dr[k].client != dr[k - 1].client)
			ncv = 0;
		if ((rv = cover(&cv, &ncv, &capcv, dr[k].clock, dr[k].len, &fresh)) == TC_OK &&
		    author[dr[k].seq] < nauthors)
			out[author[dr[k].seq]].deleted += fresh;
	}
	free(o);
	free(dr);
	free(cv);
	if (rv != TC_OK && nauthors > 0)
		memset(out, 0, nauthors * sizeof(*out));
	return rv;
}
