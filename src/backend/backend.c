/*
 * backend.c: what every backend shares: choosing one from a location (a folder or s3:...), object
 * names (64 hex digits, random, checked), and reading a whole object under a size cap.
 */
#include <chartvault/backend.h>

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

bool cv_obj_name_valid(const char *name)
{
    size_t i;

    for (i = 0; i < CV_OBJ_NAME_LEN; i++) {
        char c = name[i];

        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return name[i] == '\0';
}

void cv_obj_name_random(char name[CV_OBJ_NAME_LEN + 1])
{
    uint8_t raw[CV_OBJ_NAME_LEN / 2];

    if (sodium_init() < 0)
        abort(); /* libsodium cannot work at all: nothing sensible is left to do */
    randombytes_buf(raw, sizeof(raw));
    cv_hex_encode(raw, sizeof(raw), name);
}

bool cv_backend_is_s3(const char *location)
{
    return location && strncmp(location, "s3:", 3) == 0;
}

enum cv_err cv_backend_open(const char *location, const struct cv_backend_opts *opts,
                            struct cv_backend **out)
{
    static const struct cv_backend_opts none;

    *out = NULL;
    if (!opts)
        opts = &none;
    if (!location || !*location)
        return cv_fail(CV_EINVAL, "no repository given");
    if (cv_backend_is_s3(location))
        return cv_backend_s3_open(location, opts, out);
    if (strstr(location, "://"))
        return cv_fail(CV_EUNSUPPORTED,
                       "'%s': a repository is a folder or an S3 location (s3:https://host/bucket)",
                       location);
    return cv_backend_local_open(location, opts, out);
}

void cv_backend_close(struct cv_backend *be)
{
    if (be)
        be->ops->close(be);
}

enum cv_err cv_backend_get_all(struct cv_backend *be, enum cv_obj_kind kind, const char *name,
                               size_t max, struct cv_buf *b)
{
    uint64_t size;
    size_t got;
    enum cv_err err;

    err = be->ops->size(be, kind, name, &size);
    if (err)
        return err;
    if (size > max)
        return cv_fail(CV_ETOOBIG, "'%s' is %llu bytes, more than the %zu allowed", name,
                       (unsigned long long)size, max);
    err = cv_buf_reserve(b, (size_t)size);
    if (err)
        return err;
    err = be->ops->get(be, kind, name, 0, (size_t)size, b->data + b->len, &got);
    if (err)
        return err;
    if (got != size)
        return cv_fail(CV_ECORRUPT, "'%s' changed size while being read", name);
    b->len += got;
    b->data[b->len] = '\0';
    return CV_OK;
}
