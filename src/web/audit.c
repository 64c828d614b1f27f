/*
 * audit.c: the viewer's audit log: who logged in, searched for what, viewed or printed which
 * patient. One JSON object per line in STATE/audit.log; each carries its sequence number and
 * the SHA-256 of the record before it ("prev"), and its own "hash" is the SHA-256 of the line
 * up to that key. An edited record breaks its hash, a removed or reordered one breaks the
 * sequence and the chain, and STATE/audit.head (the last record synced to disk) shows a cut
 * tail. Several processes may append: each append holds an flock on the log and re-reads the
 * tail when the file grew behind its back.
 */
#include "web_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define AUDIT_LINE_MAX 8000
#define HASH_KEY       ",\"hash\":\""
#define ZERO_HASH      "0000000000000000000000000000000000000000000000000000000000000000"

struct cv_audit {
    pthread_mutex_t mu;
    int fd;
    char path[4096];
    char head_path[4096];
    off_t known_size; /* size after our last look; -1 forces a re-read of the tail */
    uint64_t seq;
    char hash[65];
    bool dirty;
};

static void sha256_hex(const void *p, size_t n, char hex[65])
{
    uint8_t d[32];

    gnutls_hash_fast(GNUTLS_DIG_SHA256, p, n, d);
    cv_hex_encode(d, sizeof(d), hex);
}

static bool is_hex64(const char *s)
{
    if (!s || strlen(s) != 64)
        return false;
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* Read the last line of the log (under the lock) to learn where the chain stands. */
static enum cv_err audit_load_tail(struct cv_audit *a, off_t size)
{
    static struct cv_audit_record r; /* large; used only under a->mu */
    char buf[AUDIT_LINE_MAX + 2];
    size_t want = size < (off_t)sizeof(buf) ? (size_t)size : sizeof(buf);
    ssize_t got;
    char *start;

    a->seq = 0;
    memcpy(a->hash, ZERO_HASH, 65);
    a->known_size = size;
    if (size == 0)
        return CV_OK;
    got = pread(a->fd, buf, want, size - (off_t)want);
    if (got != (ssize_t)want)
        return cv_fail_errno(CV_EIO, "cannot read '%s'", a->path);
    if (buf[want - 1] != '\n')
        return cv_fail(CV_ECORRUPT, "'%s' ends in an incomplete record", a->path);
    buf[want - 1] = '\0';
    start = strrchr(buf, '\n');
    start = start ? start + 1 : buf;
    if (start == buf && want == sizeof(buf))
        return cv_fail(CV_ECORRUPT, "'%s' ends in an overlong record", a->path);
    if (cv_audit_record_parse(start, strlen(start), &r) != CV_OK || !is_hex64(r.hash))
        return cv_fail(CV_ECORRUPT, "the last record of '%s' is damaged; run 'audit verify'",
                       a->path);
    a->seq = r.seq;
    memcpy(a->hash, r.hash, 65);
    return CV_OK;
}

enum cv_err cv_audit_open(const char *state, struct cv_audit **out)
{
    struct cv_audit *a;
    enum cv_err err;

    *out = NULL;
    err = cv_mkdir_p(state, 0700);
    if (err)
        return err;
    a = cv_calloc(1, sizeof(*a));
    if (!a)
        return cv_fail(CV_ENOMEM, "out of memory");
    if (cv_path_join(a->path, sizeof(a->path), state, "audit.log") ||
        cv_path_join(a->head_path, sizeof(a->head_path), state, "audit.head")) {
        cv_free(a);
        return cv_fail_prefix(CV_ETOOBIG, "state folder: ");
    }
    a->fd = open(a->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (a->fd < 0) {
        err = cv_fail_errno(CV_EIO, "cannot open audit log '%s'", a->path);
        cv_free(a);
        return err;
    }
    pthread_mutex_init(&a->mu, NULL);
    a->known_size = -1;
    *out = a;
    return CV_OK;
}

static enum cv_err audit_lock(struct cv_audit *a)
{
    struct stat st;
    enum cv_err err = CV_OK;

    while (flock(a->fd, LOCK_EX) != 0)
        if (errno != EINTR)
            return cv_fail_errno(CV_EIO, "cannot lock '%s'", a->path);
    if (fstat(a->fd, &st) != 0)
        err = cv_fail_errno(CV_EIO, "cannot stat '%s'", a->path);
    else if (st.st_size != a->known_size)
        err = audit_load_tail(a, st.st_size);
    if (err)
        flock(a->fd, LOCK_UN);
    return err;
}

static enum cv_err audit_format(struct cv_audit *a, const struct cv_audit_event *ev,
                                struct cv_buf *line, char hash[65])
{
    struct cv_json j;
    char when[40];

    cv_time_format_iso(cv_now(), when, sizeof(when));
    cv_json_init(&j, line, false);
    cv_json_object_begin(&j);
    cv_json_kv_int(&j, "seq", (long long)(a->seq + 1));
    cv_json_kv_string(&j, "time", when);
    cv_json_kv_string(&j, "event", ev->event);
    cv_json_kv_string(&j, "result", ev->result);
    cv_json_kv_string(&j, "user", ev->user);
    cv_json_kv_string(&j, "addr", ev->addr);
    cv_json_kv_string(&j, "patient", ev->patient);
    cv_json_kv_string(&j, "detail", ev->detail);
    cv_json_kv_string(&j, "prev", a->hash);
    if (cv_json_finish(&j))
        return cv_fail(CV_ETOOBIG, "audit record too long");
    sha256_hex(line->data, line->len, hash);
    cv_json_kv_string(&j, "hash", hash);
    cv_json_object_end(&j);
    if (cv_json_finish(&j) || cv_buf_putc(line, '\n'))
        return cv_fail(CV_ETOOBIG, "audit record too long");
    return CV_OK;
}

enum cv_err cv_audit_append(struct cv_audit *a, const struct cv_audit_event *ev)
{
    struct cv_buf line = CV_BUF_INIT(AUDIT_LINE_MAX);
    char hash[65];
    enum cv_err err;
    ssize_t w;

    pthread_mutex_lock(&a->mu);
    err = audit_lock(a);
    if (err)
        goto out_unlock_mutex;
    err = audit_format(a, ev, &line, hash);
    if (err)
        goto out_unlock_file;
    w = write(a->fd, line.data, line.len); /* O_APPEND: one write, one record */
    if (w != (ssize_t)line.len) {
        err = cv_fail_errno(CV_EIO, "cannot append to audit log '%s'", a->path);
        a->known_size = -1;
        goto out_unlock_file;
    }
    a->known_size += (off_t)line.len;
    a->seq++;
    memcpy(a->hash, hash, 65);
    a->dirty = true;
out_unlock_file:
    flock(a->fd, LOCK_UN);
out_unlock_mutex:
    pthread_mutex_unlock(&a->mu);
    cv_buf_free(&line);
    return err;
}

enum cv_err cv_audit_sync(struct cv_audit *a)
{
    char head[100];
    unsigned long long seq;
    char hash[65];
    bool dirty;

    /* take a snapshot and let appends go on: the flush below holds no lock, so a slow disk
     * does not stall the pages that are waiting to append */
    pthread_mutex_lock(&a->mu);
    dirty = a->dirty;
    a->dirty = false;
    seq = a->seq;
    memcpy(hash, a->hash, sizeof(hash));
    pthread_mutex_unlock(&a->mu);
    if (!dirty)
        return CV_OK;
    if (fdatasync(a->fd) != 0)
        goto out_redo;
    snprintf(head, sizeof(head), "%llu %s\n", seq, hash);
    if (cv_file_write_atomic(a->head_path, head, strlen(head), 0600) == CV_OK)
        return CV_OK;
out_redo:
    pthread_mutex_lock(&a->mu);
    a->dirty = true;
    pthread_mutex_unlock(&a->mu);
    return cv_fail_errno(CV_EIO, "cannot flush audit log '%s'", a->path);
}

void cv_audit_close(struct cv_audit *a)
{
    if (!a)
        return;
    if (cv_audit_sync(a) != CV_OK)
        log_error("%s", cv_errmsg());
    close(a->fd);
    pthread_mutex_destroy(&a->mu);
    cv_free(a);
}

enum cv_err cv_audit_append_once(const char *state, const struct cv_audit_event *ev)
{
    struct cv_audit *a;
    enum cv_err err = cv_audit_open(state, &a);

    if (err)
        return err;
    err = cv_audit_append(a, ev);
    if (!err)
        err = cv_audit_sync(a);
    close(a->fd);
    pthread_mutex_destroy(&a->mu);
    cv_free(a);
    return err;
}

/* ---- verification ------------------------------------------------------------------------- */

static bool verify_line(const char *line, size_t n, uint64_t want_seq, const char *want_prev,
                        struct cv_audit_record *r, char *reason, size_t rn)
{
    const char *key;
    char hash[65];

    if (cv_audit_record_parse(line, n, r) != CV_OK) {
        snprintf(reason, rn, "not a valid record: %s", cv_errmsg());
        return false;
    }
    if (r->seq != want_seq) {
        snprintf(reason, rn, "sequence number %llu where %llu was due (removed or reordered)",
                 (unsigned long long)r->seq, (unsigned long long)want_seq);
        return false;
    }
    if (!r->prev || strcmp(r->prev, want_prev) != 0) {
        snprintf(reason, rn, "does not chain to the record before it");
        return false;
    }
    key = memmem(line, n, HASH_KEY, strlen(HASH_KEY));
    if (!key || !is_hex64(r->hash)) {
        snprintf(reason, rn, "has no valid hash");
        return false;
    }
    sha256_hex(line, (size_t)(key - line), hash);
    if (strcmp(hash, r->hash) != 0) {
        snprintf(reason, rn, "its content does not match its hash (edited)");
        return false;
    }
    return true;
}

/* The head file names the last record that was synced; the log must still hold it. */
static void verify_head(const char *state, uint64_t last_seq, const char *last_hash,
                        struct cv_audit_verify *v, uint64_t lines)
{
    char path[4096], hash[80] = "";
    unsigned long long seq = 0;
    FILE *f;

    if (cv_path_join(path, sizeof(path), state, "audit.head")) {
        v->first_bad_line = lines + 1;
        snprintf(v->reason, sizeof(v->reason), "%s", cv_errmsg());
        return;
    }
    f = fopen(path, "r");
    if (!f)
        return;
    if (fscanf(f, "%llu %70s", &seq, hash) != 2) {
        v->first_bad_line = lines + 1;
        snprintf(v->reason, sizeof(v->reason), "audit.head is damaged");
    } else if (seq > last_seq) {
        v->first_bad_line = lines + 1;
        snprintf(v->reason, sizeof(v->reason),
                 "the log ends at record %llu but record %llu was written (records removed "
                 "from the end)",
                 (unsigned long long)last_seq, seq);
    } else if (seq == last_seq && strcmp(hash, last_hash) != 0) {
        v->first_bad_line = lines;
        snprintf(v->reason, sizeof(v->reason), "the last record differs from the one synced");
    }
    fclose(f);
}

enum cv_err cv_audit_verify(const char *state, struct cv_audit_verify *v)
{
    static struct cv_audit_record r;
    char path[4096], prev[65] = ZERO_HASH;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    FILE *f;

    memset(v, 0, sizeof(*v));
    if (cv_path_join(path, sizeof(path), state, "audit.log"))
        return cv_fail_prefix(CV_ETOOBIG, "state folder: ");
    f = fopen(path, "r");
    if (!f)
        return cv_fail_errno(CV_EIO, "cannot open audit log '%s'", path);
    while ((n = getline(&line, &cap, f)) > 0) {
        bool complete = line[n - 1] == '\n';

        if (complete)
            line[--n] = '\0';
        if (!complete) {
            snprintf(v->reason, sizeof(v->reason), "incomplete last record");
        } else if (verify_line(line, (size_t)n, v->records + 1, prev, &r, v->reason,
                               sizeof(v->reason))) {
            v->records++;
            memcpy(prev, r.hash, 65);
            continue;
        }
        v->first_bad_line = v->records + 1;
        break;
    }
    free(line); /* getline's buffer comes from libc */
    fclose(f);
    if (!v->first_bad_line)
        verify_head(state, v->records, prev, v, v->records);
    return CV_OK;
}
