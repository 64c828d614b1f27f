/*
 * path.c: building paths that either fit or fail. A path cut short by snprintf names another
 * file (`.../9999013` -> `.../999901`), so every join of a folder and a name goes through
 * here and reports CV_ETOOBIG instead of truncating.
 */
#include <chartvault/common.h>

#include <stdio.h>
#include <string.h>

enum cv_err cv_path_format(char *out, size_t n, const char *fmt, ...)
{
    va_list ap;
    int len;

    va_start(ap, fmt);
    len = vsnprintf(out, n, fmt, ap);
    va_end(ap);
    if (len < 0 || (size_t)len >= n) {
        if (n)
            out[0] = '\0';
        return cv_fail(CV_ETOOBIG, "a path would be longer than %zu bytes", n ? n - 1 : 0);
    }
    return CV_OK;
}

enum cv_err cv_path_join(char *out, size_t n, const char *dir, const char *name)
{
    size_t dn = strlen(dir);
    bool slash = dn > 0 && dir[dn - 1] != '/';

    return cv_path_format(out, n, "%s%s%s", dir, slash ? "/" : "", name);
}
