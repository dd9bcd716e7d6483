#include <errno.h>
#include <stddef.h>

#include "core/err.h"

struct err_info {
	const char *name;
	const char *text;
};

static const struct err_info err_table[] = {
    [TC_OK] = {"TC_OK", "success"},
    [TC_EINVAL] = {"TC_EINVAL", "invalid argument"},
    [TC_ENOMEM] = {"TC_ENOMEM", "out of memory"},
    [TC_ENOENT] = {"TC_ENOENT", "no such entity"},
    [TC_ESTOPPED] = {"TC_ESTOPPED", "target stopped"},
    [TC_ETIMEDOUT] = {"TC_ETIMEDOUT", "timed out"},
    [TC_EFULL] = {"TC_EFULL", "queue or buffer full"},
    [TC_ETOOBIG] = {"TC_ETOOBIG", "input over its size limit"},
    [TC_EPROTO] = {"TC_EPROTO", "malformed input"},
    [TC_EIO] = {"TC_EIO", "input/output error"},
    [TC_EBUSY] = {"TC_EBUSY", "resource busy"},
    [TC_ECANCELED] = {"TC_ECANCELED", "operation canceled"},
    [TC_EEXIST] = {"TC_EEXIST", "already exists"},
    [TC_ENOTSUP] = {"TC_ENOTSUP", "not supported"},
    [TC_EPERM] = {"TC_EPERM", "not permitted"},
    [TC_ECONNREFUSED] = {"TC_ECONNREFUSED", "connection refused or peer unreachable"},
    [TC_ECLOSED] = {"TC_ECLOSED", "closed"},
    [TC_ESTATE] = {"TC_ESTATE", "wrong state for this operation"},
    [TC_ESCHEMA] = {"TC_ESCHEMA", "stored schema is newer than this build"},
    [TC_EDB] = {"TC_EDB", "database error"},
    [TC_ECORRUPT] = {"TC_ECORRUPT", "stored data is corrupt"},
    [TC_ESANDBOX] = {"TC_ESANDBOX", "sandbox unavailable at the configured level"},
    [TC_EINTERNAL] = {"TC_EINTERNAL", "internal error"},
    [TC_EAUTH] = {"TC_EAUTH", "authentication failed"},
    [TC_ERATE] = {"TC_ERATE", "rate limit exceeded"},
};

#define ERR_COUNT (sizeof(err_table) / sizeof(err_table[0]))

const char *
tc_strerror(enum tc_err err)
{
	if ((size_t)err >= ERR_COUNT || err_table[err].text == NULL)
		return "unknown error";
	return err_table[err].text;
}

const char *
tc_errname(enum tc_err err)
{
	if ((size_t)err >= ERR_COUNT || err_table[err].name == NULL)
		return "TC_UNKNOWN";
	return err_table[err].name;
}

enum tc_err
tc_err_from_errno(int errnum)
{
	switch (errnum) {
	case 0:
		return TC_OK;
	case EINVAL:
		return TC_EINVAL;
	case ENOMEM:
		return TC_ENOMEM;
	case ENOENT:
	case ESRCH:
		return TC_ENOENT;
	case ETIMEDOUT:
		return TC_ETIMEDOUT;
	case EEXIST:
		return TC_EEXIST;
	case EACCES:
	case EPERM:
	case EROFS:
		return TC_EPERM;
	case EBUSY:
	case EAGAIN:
		return TC_EBUSY;
	case ECANCELED:
		return TC_ECANCELED;
	case ENOSPC:
	case EFBIG:
	case E2BIG:
	case EMSGSIZE:
		return TC_ETOOBIG;
	case ECONNREFUSED:
	case EHOSTUNREACH:
	case ENETUNREACH:
		return TC_ECONNREFUSED;
	case ENOSYS:
	case EOPNOTSUPP:
		return TC_ENOTSUP;
	default:
		return TC_EIO;
	}
}
