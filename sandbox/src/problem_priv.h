/*
 * sandbox/src/problem_priv.h - the loaded form of a problem folder.
 */
#ifndef SANDBOX_PROBLEM_PRIV_H
#define SANDBOX_PROBLEM_PRIV_H

#include "sbx_priv.h"

struct sbx_test {
	char *name;
	bool hidden;
	char *input;    /* JSON text */
	char *expected; /* JSON text */
};

struct sbx_problem {
	char *dir;
	char *slug;
	enum sbx_style style;
	char *entry_json;
	unsigned time_ms;
	unsigned mem_mb;
	enum sbx_compare compare;
	bool has_checker;
	enum sbx_class cls; /* SBX_CLASS_UNKNOWN: no probe */
	unsigned probe_n;
	char *reference;
	char *gen;
	char *checker_src;      /* NULL without a checker */
	struct sbx_test *tests; /* public first, then hidden, each sorted by file name */
	size_t ntests;
};

/* A decoded result frame from the harness. */
struct sbx_frame {
	bool ok;
	bool compile_error;
	bool memory;
	bool internal;
	long line;
	char *value; /* JSON text of "value", NULL if absent */
	char *error; /* the error text, NULL if none */
};

/*
 * sbx__frame_decode decodes one harness result frame (outside input: the box
 * writes it).  Strict: one JSON object, known key types, value kept as text
 * (big integers survive).  TC_EPROTO for anything else.
 */
enum tc_err sbx__frame_decode(const char *data, size_t len, struct sbx_frame *out);
void sbx__frame_fini(struct sbx_frame *f);

#endif /* SANDBOX_PROBLEM_PRIV_H */
