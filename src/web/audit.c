/*
 * audit.c: the viewer's audit log: who logged in, searched for what, viewed or printed which
 * patient. One JSON object per line in STATE/audit.log; each carries its sequence number and
 * the SHA-256 of the record before it ("prev"), and its own "hash" is the SHA-256 of the line
 * up to that key. An edited record breaks its hash, a removed or reordered one breaks the
 * sequence and the chain, and STATE/audit.head (the last record synced to disk) shows a cut
 * tail. Several processes may append: each append holds an flock on the log and re-reads the
 * tail when the file grew behind its back.
 *
 * The chain is never started again. An append that fails is taken back whole and fails (the
 * viewer then refuses the page or the login). A last record that is damaged, or records gone
 * from the end (audit.head names a later one), fail every append until someone looks. Only a
 * torn last record (no newline: a crash in the middle of an append) is mended: the torn
 * bytes are cut (and kept in STATE/audit.torn), the chain goes on from the last whole
 * record, and the next record says that it was cut.
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

#define TORN_MAX (2 * AUDIT_LINE_MAX) /* a torn tail longer than this is no torn append */

struct cv_audit {
    pthread_mutex_t mu;
    int fd;
    char path[4096];
    char head_path[4096];
    char torn_path[4096];
    off_t known_size; /* size after our last look; -1 forces a re-read of the tail */
    uint64_t seq;
    char hash[65];
    bool dirty;
    size_t cut; /* bytes of a torn record cut at the last load, to be recorded; 0: none */
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

/* The sequence number audit.head names, 0 when there is none. */
static uint64_t head_seq(const char *head_path, char hash[80])
{
    unsigned long long seq = 0;
    FILE *f = fopen(head_path, "r");

    hash[0] = '\0';
    if (!f)
        return 0;
    if (fscanf(f, "%llu %70s", &seq, hash) != 2)
        seq = 0;
    fclose(f);
    return seq;
}

/* Keep the torn bytes at `from` for whoever investigates, then cut them off the log. */
static enum cv_err cut_torn_tail(struct cv_audit *a, off_t from, off_t size)
{
    char buf[TORN_MAX];
    ssize_t got = pread(a->fd, buf, (size_t)(size - from), from);
    int fd;

    if (got != size - from)
        return cv_fail_errno(CV_EIO, "cannot read '%s'", a->path);
    fd = open(a->torn_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return cv_fail_errno(CV_EIO, "cannot open '%s'", a->torn_path);
    if (write(fd, buf, (size_t)got) != got || write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
        close(fd);
        return cv_fail_errno(CV_EIO, "cannot keep the torn record in '%s'", a->torn_path);
    }
    close(fd);
    if (ftruncate(a->fd, from) != 0 || fdatasync(a->fd) != 0)
        return cv_fail_errno(CV_EIO, "cannot cut the torn record off '%s'", a->path);
    a->cut = (size_t)got;
    log_warn("audit log: cut %zd bytes of a torn record off the end (kept in '%s'); the chain "
             "goes on from the last whole record",
             got, a->torn_path);
    return CV_OK;
}

/* Where the last whole record ends (after its newline), looking back from `size`. */
static enum cv_err find_whole_end(struct cv_audit *a, off_t size, off_t *end)
{
    char buf[TORN_MAX];
    size_t want = size < (off_t)sizeof(buf) ? (size_t)size : sizeof(buf);
    ssize_t got = pread(a->fd, buf, want, size - (off_t)want);

    if (got != (ssize_t)want)
        return cv_fail_errno(CV_EIO, "cannot read '%s'", a->path);
    for (size_t i = want; i > 0; i--)
        if (buf[i - 1] == '\n') {
            *end = size - (off_t)want + (off_t)i;
            return CV_OK;
        }
    if (want == (size_t)size) {
        *end = 0; /* the torn record was the first one */
        return CV_OK;
    }
    return cv_fail(CV_ECORRUPT,
                   "'%s' ends in %zu bytes without a line break: not a torn record; "
                   "run 'chartvault audit verify'",
                   a->path, want);
}

/* Read the last line of the log (under the lock) to learn where the chain stands. */
static enum cv_err audit_load_tail(struct cv_audit *a, off_t size)
{
    static struct cv_audit_record r; /* large; used only under a->mu */
    char buf[AUDIT_LINE_MAX + 2], head_hash[80];
    size_t want;
    ssize_t got;
    char *start;
    uint64_t synced = head_seq(a->head_path, head_hash);
    enum cv_err err;

    a->known_size = -1; /* until the load succeeds, every append loads again (and fails) */
    a->seq = 0;
    memcpy(a->hash, ZERO_HASH, 65);
    if (size > 0) {
        char last;

        if (pread(a->fd, &last, 1, size - 1) != 1)
            return cv_fail_errno(CV_EIO, "cannot read '%s'", a->path);
        if (last != '\n') {
            off_t end = 0;

            err = find_whole_end(a, size, &end);
            if (!err)
                err = cut_torn_tail(a, end, size);
            if (err)
                return err;
            size = end;
        }
    }
    if (size == 0) {
        if (synced > 0)
            return cv_fail(CV_ECORRUPT,
                           "'%s' is empty but record %llu was written (audit.head): records "
                           "were removed; run 'chartvault audit verify'",
                           a->path, (unsigned long long)synced);
        a->known_size = 0;
        return CV_OK;
    }
    want = size < (off_t)sizeof(buf) ? (size_t)size : sizeof(buf);
    got = pread(a->fd, buf, want, size - (off_t)want);
    if (got != (ssize_t)want)
        return cv_fail_errno(CV_EIO, "cannot read '%s'", a->path);
    buf[want - 1] = '\0';
    start = strrchr(buf, '\n');
    start = start ? start + 1 : buf;
    if (start == buf && want == sizeof(buf))
        return cv_fail(CV_ECORRUPT, "'%s' ends in an overlong record", a->path);
    if (cv_audit_record_parse(start, strlen(start), &r) != CV_OK || !is_hex64(r.hash))
        return cv_fail(CV_ECORRUPT, "the last record of '%s' is damaged; run 'audit verify'",
                       a->path);
    if (synced > r.seq || (synced == r.seq && strcmp(head_hash, r.hash) != 0))
        return cv_fail(CV_ECORRUPT,
                       "'%s' ends at record %llu but record %llu was written (audit.head): "
                       "records were removed or changed; run 'chartvault audit verify'",
                       a->path, (unsigned long long)r.seq, (unsigned long long)synced);
    a->seq = r.seq;
    memcpy(a->hash, r.hash, 65);
    a->known_size = size;
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
        cv_path_join(a->head_path, sizeof(a->head_path), state, "audit.head") ||
        cv_path_join(a->torn_path, sizeof(a->torn_path), state, "audit.torn")) {
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

/* A log replaced under its name (repaired with an editor, moved aside) is opened again, so
 * what is checked and appended is the file an inspector will read. */
static enum cv_err reopen_if_replaced(struct cv_audit *a)
{
    struct stat at_fd, at_path;
    int fd;

    if (fstat(a->fd, &at_fd) != 0)
        return cv_fail_errno(CV_EIO, "cannot stat '%s'", a->path);
    if (stat(a->path, &at_path) == 0 && at_path.st_dev == at_fd.st_dev &&
        at_path.st_ino == at_fd.st_ino)
        return CV_OK;
    fd = open(a->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return cv_fail_errno(CV_EIO, "cannot open audit log '%s'", a->path);
    close(a->fd);
    a->fd = fd;
    a->known_size = -1;
    return CV_OK;
}

static enum cv_err audit_lock(struct cv_audit *a)
{
    struct stat st;
    enum cv_err err = reopen_if_replaced(a);

    if (err)
        return err;
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

/* One formatted record onto the log, in one write; a failed write is taken back whole. */
static enum cv_err append_record(struct cv_audit *a, const struct cv_audit_event *ev)
{
    struct cv_buf line = CV_BUF_INIT(AUDIT_LINE_MAX);
    char hash[65];
    enum cv_err err = audit_format(a, ev, &line, hash);
    ssize_t w;

    if (!err) {
        w = write(a->fd, line.data, line.len); /* O_APPEND: one write, one record */
        if (w < 0)
            err = cv_fail_errno(CV_EIO, "cannot append to audit log '%s'", a->path);
        else if (w != (ssize_t)line.len)
            err = cv_fail(CV_EIO, "cannot append to audit log '%s': %zd of %zu bytes written",
                          a->path, w, line.len);
        if (err && w > 0 && ftruncate(a->fd, a->known_size) != 0)
            a->known_size = -1; /* left torn: the next append cuts it */
    }
    if (!err) {
        a->known_size += (off_t)line.len;
        a->seq++;
        memcpy(a->hash, hash, 65);
        a->dirty = true;
    }
    cv_buf_free(&line);
    return err;
}

enum cv_err cv_audit_append(struct cv_audit *a, const struct cv_audit_event *ev)
{
    enum cv_err err;

    pthread_mutex_lock(&a->mu);
    err = audit_lock(a);
    if (err)
        goto out_unlock_mutex;
    if (a->cut) { /* say in the chain itself that a torn record was cut */
        char detail[160];
        struct cv_audit_event repair = {"audit-repair", "ok", NULL, NULL, NULL, detail};

        snprintf(detail, sizeof(detail),
                 "cut %zu bytes of a torn record off the end (a crash or a full disk during an "
                 "append); they are kept in audit.torn",
                 a->cut);
        err = append_record(a, &repair);
        if (!err)
            a->cut = 0;
    }
    if (!err)
        err = append_record(a, ev);
    flock(a->fd, LOCK_UN);
out_unlock_mutex:
    pthread_mutex_unlock(&a->mu);
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
