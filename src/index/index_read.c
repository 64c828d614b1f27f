/*
 * index_read.c: what happens to one file the index must (re)read: check its path against the
 * SS-MIX2 rules, read it under the size cap, hash it (BLAKE2b-128, for rename and change
 * detection), parse it as HL7, check that its content belongs where it sits, and extract its
 * rows. Every way a file can fail becomes a rejection with a reason a person understands;
 * a file that may still be being written (settle_seconds) is left for the next run instead.
 */
#include "index_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum cv_err index_join(char *buf, size_t n, const char *dir, const char *name)
{
    if (dir && *dir)
        return cv_path_join(buf, n, dir, name);
    return cv_path_format(buf, n, "%s", name);
}

enum cv_err reader_init(struct reader *r, const struct cv_index_options *opt)
{
    struct cv_hl7_limits lim = {0};
    enum cv_err err;

    memset(r, 0, sizeof(*r));
    r->dirfd = -1;
    if (sodium_init() < 0)
        return cv_fail(CV_ECRYPTO, "cannot initialise libsodium");
    r->max_bytes = opt && opt->max_file_bytes ? opt->max_file_bytes : CV_HL7_DEFAULT_MAX_BYTES;
    r->settle_seconds = opt ? opt->settle_seconds : 0;
    r->now = time(NULL);
    err = cv_hl7_msg_new(&r->msg);
    if (err)
        return err;
    lim.max_bytes = r->max_bytes;
    cv_hl7_msg_set_limits(r->msg, &lim);
    cv_buf_init(&r->buf, r->max_bytes + 1);
    return CV_OK;
}

void reader_free(struct reader *r)
{
    cv_hl7_msg_free(r->msg);
    cv_buf_free(&r->buf);
    r->msg = NULL;
}

static int open_file(struct reader *r, const char *root, const char *rel, const char *name)
{
    const int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK;
    char path[8192];

    if (r->dirfd >= 0) /* inside the walk: no path lookup from the root for every file */
        return openat(r->dirfd, name, flags);
    if (cv_path_join(path, sizeof(path), root, rel)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return open(path, flags);
}

/* Until end of file; a short read of a regular file is its end. */
static enum cv_err read_all(struct reader *r, int fd)
{
    for (;;) {
        size_t room = r->buf.cap - r->buf.len - 1;
        ssize_t got;

        if (room == 0) {
            char extra;

            if (r->buf.len >= r->max_bytes)
                return read(fd, &extra, 1) > 0 ? cv_fail(CV_ETOOBIG,
                                                         "over size cap (grew past "
                                                         "%zu bytes)",
                                                         r->max_bytes)
                                               : CV_OK;
            if (cv_buf_reserve(&r->buf, 65536 < r->max_bytes - r->buf.len
                                            ? 65536
                                            : r->max_bytes - r->buf.len + 1))
                return CV_ENOMEM;
            continue;
        }
        got = read(fd, r->buf.data + r->buf.len, room);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return cv_fail(CV_EIO, "cannot read: %s", strerror(errno));
        r->buf.len += (size_t)got;
        if ((size_t)got < room)
            return CV_OK;
    }
}

/* Read the file into r->buf, its size and time into *st. CV_ENOENT when it vanished,
 * CV_ETOOBIG over the cap. */
static enum cv_err read_file(struct reader *r, const char *root, const char *rel, const char *name,
                             struct stat *st)
{
    enum cv_err err;
    int fd;

    cv_buf_reset(&r->buf);
    fd = open_file(r, root, rel, name);
    if (fd < 0)
        return errno == ENOENT ? CV_ENOENT : cv_fail(CV_EIO, "cannot read: %s", strerror(errno));
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        return cv_fail(CV_EIO, "not a regular file");
    }
    if ((uint64_t)st->st_size > r->max_bytes) {
        close(fd);
        return cv_fail(CV_ETOOBIG, "over size cap (%lld bytes, cap %zu)", (long long)st->st_size,
                       r->max_bytes);
    }
    err = cv_buf_reserve(&r->buf, (size_t)st->st_size + 1) ? CV_ENOMEM : read_all(r, fd);
    close(fd);
    if (!err && r->buf.len > r->max_bytes)
        err = cv_fail(CV_ETOOBIG, "over size cap (grew past %zu bytes)", r->max_bytes);
    if (r->buf.data)
        r->buf.data[r->buf.len] = '\0';
    r->bytes += r->buf.len;
    return err;
}

static void hash_bytes(const void *p, size_t n, uint8_t out[INDEX_HASH_LEN])
{
    crypto_generichash(out, INDEX_HASH_LEN, p, n, NULL, 0);
}

bool reader_hash(struct reader *r, const char *root, const char *dir, const char *name,
                 uint8_t hash[INDEX_HASH_LEN])
{
    char rel[4096];
    struct stat st;

    if (index_join(rel, sizeof(rel), dir, name) || read_file(r, root, rel, name, &st))
        return false;
    hash_bytes(r->buf.data ? r->buf.data : "", r->buf.len, hash);
    return true;
}

/* "first; second" into the arena; NULL when out of memory. */
static const char *join_reasons(struct xarena *a, const char *first, const char *second)
{
    struct cv_buf b = CV_BUF_INIT(8192);
    const char *res;

    if (!first || !*first)
        return xa_dup(a, second);
    if (!second || !*second)
        return xa_dup(a, first);
    cv_buf_printf(&b, "%s; %s", first, second);
    res = cv_buf_error(&b) ? NULL : xa_dup(a, cv_buf_str(&b));
    cv_buf_free(&b);
    return res;
}

#define WARNINGS_MAX 4096

/* Parse, check consistency, extract. Sets it->state, reason, warnings. */
static enum cv_err judge_content(struct reader *r, struct item *it, struct xarena *a, bool extract,
                                 const char *path_reason)
{
    struct cv_buf warn = CV_BUF_INIT(WARNINGS_MAX);
    struct cv_ssmix2_msginfo info;
    enum cv_err err = CV_OK;

    if (cv_hl7_msg_parse(r->msg, r->buf.data ? r->buf.data : "", r->buf.len)) {
        it->parses = false;
        it->reason = join_reasons(a, path_reason, cv_errmsg());
        goto out;
    }
    it->parses = true;
    cv_ssmix2_msginfo_get(r->msg, &info);
    it->event = xa_dup(a, info.event);
    it->pid3 = info.pid3[0] ? xa_dup(a, info.pid3) : NULL;
    it->msg_time = info.message_time[0] ? xa_dup(a, info.message_time) : NULL;
    for (size_t i = 0; i < cv_hl7_warning_count(r->msg); i++) {
        if (warn.len)
            cv_buf_puts(&warn, "; ");
        cv_buf_puts(&warn, cv_hl7_warning(r->msg, i));
    }
    if (path_reason) {
        it->reason = xa_dup(a, path_reason);
    } else if (cv_ssmix2_check_consistency(&it->path, &info, &warn)) {
        it->reason = xa_dup(a, cv_errmsg());
    } else {
        it->state = it->path.name.flag;
        if (extract)
            err = index_extract(r->msg, it->path.type, it->path.name.event_time, a, &it->rows);
    }
    if (cv_buf_error(&warn)) { /* what fitted, and that more was cut: never a silent gap */
        struct cv_buf all = CV_BUF_INIT(WARNINGS_MAX + 64);

        cv_buf_append(&all, warn.data, warn.len);
        cv_buf_puts(&all, "; (more warnings, cut at 4 KiB)");
        it->warnings = xa_dup(a, cv_buf_str(&all));
        cv_buf_free(&all);
    } else if (cv_hl7_warning_count(r->msg) || warn.len) {
        it->warnings = xa_dup(a, cv_buf_str(&warn));
    }
out:
    cv_buf_free(&warn);
    return err;
}

enum cv_err reader_process(struct reader *r, const char *root, struct item *it, struct xarena *a,
                           bool extract)
{
    char rel[4096], path_reason[512] = "";
    struct stat st;
    enum cv_err err;

    err = index_join(rel, sizeof(rel), it->dir, it->name);
    if (err)
        return err;
    it->read_done = true;
    it->state = FS_REJECTED;
    it->path_ok = cv_ssmix2_path_parse(rel, &it->path) == CV_OK;
    if (!it->path_ok)
        cv_strlcpy(path_reason, cv_errmsg(), sizeof(path_reason));
    err = read_file(r, root, rel, it->name, &st);
    if (err == CV_ENOENT) {
        it->deferred = true; /* gone while we looked: the next run sees what happened */
        return CV_OK;
    }
    if (err == CV_ENOMEM)
        return cv_fail(CV_ENOMEM, "out of memory reading a file");
    if (err) {
        it->reason = join_reasons(a, path_reason, cv_errmsg());
        it->parses = false;
        return it->reason ? CV_OK : CV_ENOMEM;
    }
    it->size = st.st_size; /* what was read, not what a stat before it said */
    it->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    hash_bytes(r->buf.data ? r->buf.data : "", r->buf.len, it->hash);
    it->have_hash = true;
    if (it->kind == IT_CONTENT) {
        it->high_entropy = cv_looks_encrypted(r->buf.data, r->buf.len, &it->entropy);
    }
    err = judge_content(r, it, a, extract, *path_reason ? path_reason : NULL);
    if (err)
        return err;
    if (it->state == FS_REJECTED && !it->parses && r->settle_seconds &&
        it->mtime_ns / 1000000000 + (int64_t)r->settle_seconds > (int64_t)r->now)
        it->deferred = true;
    if (it->state == FS_REJECTED && !it->reason)
        return cv_fail(CV_ENOMEM, "out of memory");
    return CV_OK;
}
