/*
 * err.c: error codes, their fixed descriptions, and the per-thread message that carries the
 * context of the last failure (what file, which field, why), so that the CLI can print one
 * line a person understands without the library printing anything itself.
 */
#include <chartvault/common.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char errmsg[1024];

static const char *const descriptions[CV_ERR_COUNT_] = {
    [CV_OK] = "success",
    [CV_ENOMEM] = "out of memory",
    [CV_EINVAL] = "invalid argument",
    [CV_EIO] = "input/output error",
    [CV_ENOENT] = "not found",
    [CV_EEXIST] = "already exists",
    [CV_ETOOBIG] = "over size limit",
    [CV_EPARSE] = "malformed input",
    [CV_ECHARSET] = "bad character encoding",
    [CV_EDB] = "database error",
    [CV_ECRYPTO] = "cryptographic failure",
    [CV_EAUTH] = "authentication failed",
    [CV_ECORRUPT] = "damaged data",
    [CV_EPERM] = "permission denied",
    [CV_EBUSY] = "busy",
    [CV_ENOSPC] = "no space left on device",
    [CV_EUNSUPPORTED] = "not supported",
    [CV_ENET] = "network error",
    [CV_ELOCKED] = "account locked",
    [CV_ECANCELED] = "canceled",
};

const char *cv_strerror(enum cv_err err)
{
    if ((unsigned)err >= CV_ERR_COUNT_ || descriptions[err] == NULL)
        return "unknown error";
    return descriptions[err];
}

/* A message that did not fit ends in "..." (on a character boundary), never looks whole. */
static void mark_cut(char *msg, size_t size)
{
    size_t end = size - 4;

    while (end > 0 && ((unsigned char)msg[end] & 0xC0) == 0x80)
        end--; /* do not split a UTF-8 character */
    memcpy(msg + end, "...", 4);
}

enum cv_err cv_fail(enum cv_err err, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(errmsg, sizeof(errmsg), fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n >= sizeof(errmsg))
        mark_cut(errmsg, sizeof(errmsg));
    return err;
}

static enum cv_err errno_to_err(int e, enum cv_err fallback)
{
    switch (e) {
    case ENOENT:
    case ENOTDIR:
        return CV_ENOENT;
    case EACCES:
    case EPERM:
    case EROFS:
        return CV_EPERM;
    case ENOSPC:
    case EDQUOT:
        return CV_ENOSPC;
    case EEXIST:
        return CV_EEXIST;
    case ENOMEM:
        return CV_ENOMEM;
    default:
        return fallback;
    }
}

enum cv_err cv_fail_errno(enum cv_err err, const char *fmt, ...)
{
    int saved = errno;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(errmsg, sizeof(errmsg), fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof(errmsg))
        n += snprintf(errmsg + n, sizeof(errmsg) - (size_t)n, ": %s", strerror(saved));
    if (n >= 0 && (size_t)n >= sizeof(errmsg))
        mark_cut(errmsg, sizeof(errmsg));
    errno = saved;
    return errno_to_err(saved, err);
}

enum cv_err cv_fail_prefix(enum cv_err err, const char *fmt, ...)
{
    char prefix[256];
    char old[sizeof(errmsg)];
    va_list ap;

    va_start(ap, fmt);
    if ((size_t)vsnprintf(prefix, sizeof(prefix), fmt, ap) >= sizeof(prefix))
        mark_cut(prefix, sizeof(prefix));
    va_end(ap);
    memcpy(old, errmsg, sizeof(old));
    if ((size_t)snprintf(errmsg, sizeof(errmsg), "%s%s", prefix, old) >= sizeof(errmsg))
        mark_cut(errmsg, sizeof(errmsg));
    return err;
}

const char *cv_errmsg(void)
{
    return errmsg;
}
