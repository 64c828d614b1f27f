/*
 * buf.c: growable byte buffers with a hard maximum. Everything that arrives from outside
 * (files, sockets, requests, repository objects) is collected in one of these, so no input
 * can make the process grow without bound.
 */
#include <chartvault/common.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void cv_buf_init(struct cv_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->err = CV_OK;
}

enum cv_err cv_buf_reserve(struct cv_buf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (b->err)
        return b->err;
    if (extra > b->max || b->len > b->max - extra)
        return b->err = cv_fail(CV_ETOOBIG, "buffer would exceed its limit of %zu bytes", b->max);
    need = b->len + extra + 1; /* room for the terminating NUL */
    if (need <= b->cap)
        return CV_OK;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    p = cv_realloc(b->data, cap);
    if (!p)
        return b->err = cv_fail(CV_ENOMEM, "out of memory growing a buffer to %zu bytes", cap);
    b->data = p;
    b->cap = cap;
    return CV_OK;
}

enum cv_err cv_buf_append(struct cv_buf *b, const void *p, size_t n)
{
    enum cv_err err = cv_buf_reserve(b, n);

    if (err)
        return err;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return CV_OK;
}

enum cv_err cv_buf_puts(struct cv_buf *b, const char *s)
{
    return cv_buf_append(b, s, strlen(s));
}

enum cv_err cv_buf_putc(struct cv_buf *b, char c)
{
    return cv_buf_append(b, &c, 1);
}

enum cv_err cv_buf_vprintf(struct cv_buf *b, const char *fmt, va_list ap)
{
    va_list copy;
    enum cv_err err;
    int n;

    va_copy(copy, ap);
    n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        return b->err = b->err ? b->err : cv_fail(CV_EINVAL, "bad format string");
    err = cv_buf_reserve(b, (size_t)n);
    if (err)
        return err;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return CV_OK;
}

enum cv_err cv_buf_printf(struct cv_buf *b, const char *fmt, ...)
{
    va_list ap;
    enum cv_err err;

    va_start(ap, fmt);
    err = cv_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return err;
}

enum cv_err cv_buf_error(const struct cv_buf *b)
{
    return b->err;
}

void cv_buf_set_error(struct cv_buf *b, enum cv_err err)
{
    if (!b->err)
        b->err = err;
}

const char *cv_buf_str(const struct cv_buf *b)
{
    return b->data ? b->data : "";
}

void cv_buf_reset(struct cv_buf *b)
{
    b->len = 0;
    b->err = CV_OK;
    if (b->data)
        b->data[0] = '\0';
}

void cv_buf_free(struct cv_buf *b)
{
    cv_free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->err = CV_OK;
}

char *cv_buf_steal(struct cv_buf *b, size_t *len)
{
    char *p = b->data;

    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->err = CV_OK;
    return p;
}

enum cv_err cv_buf_read_file(struct cv_buf *b, const char *path)
{
    struct stat st;
    enum cv_err err = CV_OK;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return cv_fail_errno(CV_EIO, "cannot open '%s'", path);
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        if ((uint64_t)st.st_size > b->max) {
            err = cv_fail(CV_ETOOBIG, "'%s' is %lld bytes, over the limit of %zu", path,
                          (long long)st.st_size, b->max);
            goto out_close;
        }
        err = cv_buf_reserve(b, (size_t)st.st_size);
        if (err)
            goto out_close;
    }
    for (;;) {
        size_t room = b->max - b->len;
        ssize_t got;

        if (room == 0) {
            char extra;

            if (read(fd, &extra, 1) > 0)
                err = b->err =
                    cv_fail(CV_ETOOBIG, "'%s' is over the limit of %zu bytes", path, b->max);
            break;
        }
        err = cv_buf_reserve(b, room < 65536 ? room : 65536);
        if (err)
            goto out_close;
        got = read(fd, b->data + b->len, b->cap - b->len - 1);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            err = b->err = cv_fail_errno(CV_EIO, "cannot read '%s'", path);
            goto out_close;
        }
        if (got == 0)
            break;
        b->len += (size_t)got;
        b->data[b->len] = '\0';
    }
out_close:
    close(fd);
    return err;
}
