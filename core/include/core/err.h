/*
 * core/err.h - the one project-wide error code set.
 *
 * Every fallible function in TandemCode returns an enum tc_err and writes
 * its results through out-parameters.  Numbers are stable: they appear in
 * logs, wire error frames and exit codes, so a code is never renumbered or
 * reused.  Add new codes at the end, and add their text in core/src/err.c.
 */
#ifndef CORE_ERR_H
#define CORE_ERR_H

enum tc_err {
	TC_OK = 0,
	TC_EINVAL = 1,        /* invalid argument (a programmer's or a caller's) */
	TC_ENOMEM = 2,        /* out of memory */
	TC_ENOENT = 3,        /* no such actor, object, file or row */
	TC_ESTOPPED = 4,      /* the target stopped, or the runtime is stopping */
	TC_ETIMEDOUT = 5,     /* a deadline passed */
	TC_EFULL = 6,         /* a bounded queue or buffer is full */
	TC_ETOOBIG = 7,       /* input is over its hard size limit */
	TC_EPROTO = 8,        /* malformed input: bad encoding, lengths, counts */
	TC_EIO = 9,           /* an operating-system I/O error */
	TC_EBUSY = 10,        /* resource busy or locked; may succeed later */
	TC_ECANCELED = 11,    /* the operation was canceled */
	TC_EEXIST = 12,       /* already exists */
	TC_ENOTSUP = 13,      /* not supported here */
	TC_EPERM = 14,        /* not permitted */
	TC_ECONNREFUSED = 15, /* a peer or server refused or is unreachable */
	TC_ECLOSED = 16,      /* the object or connection is closed */
	TC_ESTATE = 17,       /* called in the wrong state */
	TC_ESCHEMA = 18,      /* stored data has a schema newer than this build */
	TC_EDB = 19,          /* the database reported an error */
	TC_ECORRUPT = 20,     /* stored data failed an integrity check */
	TC_ESANDBOX = 21,     /* the sandbox could not be set up as configured */
	TC_EINTERNAL = 22,    /* an internal error: a bug, logged with detail */
	TC_EAUTH = 23,        /* authentication failed */
	TC_ERATE = 24,        /* a rate limit was exceeded */
};

/*
 * tc_strerror returns a short static description of err; an unknown code
 * gives "unknown error".  Thread: any.  Blocks: no.
 */
const char *tc_strerror(enum tc_err err);

/*
 * tc_errname returns the symbolic name of err ("TC_ENOENT"), for logs and
 * JSON.  Thread: any.  Blocks: no.
 */
const char *tc_errname(enum tc_err err);

/*
 * tc_err_from_errno translates an errno value at the place the system call
 * was made.  Thread: any.  Blocks: no.
 */
enum tc_err tc_err_from_errno(int errnum);

#endif /* CORE_ERR_H */
