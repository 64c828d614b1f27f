/*
 * mllp_store.c: turns each message received over MLLP into a file of standard SS-MIX2 storage,
 * durably, before it is acknowledged. The message is read with the HL7 reader, checked with
 * the SS-MIX2 rules (event with a folder, control ID, PID-3, ORC-2, care date), converted to
 * ISO-2022-JP when it came as UTF-8, and written as
 *     <root>/<ID[0:3]>/<ID[3:6]>/<ID>/<care
 * date|->/<type>/<ID>_<date>_<type>_<order>_<time>_<dept>_<flag> with the receipt time as event
 * time. A newer message for the same patient, date, type and order supersedes the current file (_1
 * -> _2); a cancel (ADT^A11..., ORC-1 CA/DC) turns the matching files to _0 and is itself stored as
 * _0. Order of writes: the new file under a temporary name (fsync), the renames of older files, the
 * new file's final name, the folder fsync; a crash at any point leaves no half file and an
 * unacknowledged message the sender resends. A message that cannot be stored is kept aside in
 * <state_dir>/mllp-rejected with its reason, and answered AE or AR.
 */
#include "daemon_parts.h"
#include "journal.h"

#include <chartvault/hl7.h>
#include <chartvault/ssmix2.h>

#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define REJECTED_MAX_FILES 10000 /* kept aside at most; older ones stay, newer are only logged */
#define REASON_BYTES       700   /* what a .reason file may take, counted before it is written */
#define MAX_MATCHES        64    /* older files one message may rename */

struct cv_mllp_store {
    char *root;
    char *rejected_dir;
    struct cv_indexer *indexer;
    struct cv_journal *journal; /* what changed, for the next snapshot; may be NULL */
    struct cv_hl7_msg *msg;
    struct cv_buf converted;
    unsigned long seq;
    long rejected_files;     /* kept aside now, restarts included (counted at open) */
    uint64_t rejected_bytes; /* their size, held to [mllp] rejected_budget */
    uint64_t rejected_budget;
    /* storage failures (disk full, folder gone), for the main loop to alert on */
    pthread_mutex_t fail_lock;
    unsigned long failures, stored_since_failure;
    char last_failure[256];
};

/* What is already kept aside, so that the budget holds across restarts; the sequence goes on
 * after the highest number found, so a restart never writes over a kept message. */
static enum cv_err count_rejected(struct cv_mllp_store *st)
{
    DIR *d = opendir(st->rejected_dir);
    struct dirent *e;
    struct stat sb;

    if (!d)
        return cv_fail_errno(CV_EIO, "cannot list '%s'", st->rejected_dir);
    while ((e = readdir(d)) != NULL) {
        const char *dash = strrchr(e->d_name, '-');

        if (e->d_name[0] == '.' || fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(sb.st_mode))
            continue;
        st->rejected_bytes += (uint64_t)sb.st_size;
        if (strstr(e->d_name, ".hl7")) {
            st->rejected_files++;
            if (dash && strtoul(dash + 1, NULL, 10) > st->seq)
                st->seq = strtoul(dash + 1, NULL, 10);
        }
    }
    closedir(d);
    return CV_OK;
}

enum cv_err cv_mllp_store_open(struct cv_mllp_store **out, const struct cv_config *cfg,
                               struct cv_indexer *ix)
{
    struct cv_mllp_store *st = cv_calloc(1, sizeof(*st));
    struct cv_buf dir = CV_BUF_INIT(4096);
    enum cv_err err;

    *out = NULL;
    if (!st)
        return cv_fail(CV_ENOMEM, "out of memory");
    st->indexer = ix;
    pthread_mutex_init(&st->fail_lock, NULL);
    cv_buf_init(&st->converted, cfg->mllp_max_message * 3 + 4096);
    err = cv_buf_printf(&dir, "%s/mllp-rejected", cfg->state_dir);
    if (!err) {
        st->rejected_dir = cv_buf_steal(&dir, NULL);
        st->root = cv_strdup(cfg->mllp_storage);
        if (!st->rejected_dir || !st->root)
            err = cv_fail(CV_ENOMEM, "out of memory");
    }
    if (!err)
        err = cv_mkdir_p(cfg->mllp_storage, 0750);
    if (!err)
        err = cv_mkdir_p(st->rejected_dir, 0700);
    if (!err)
        err = count_rejected(st);
    st->rejected_budget = cfg->mllp_rejected_budget ? cfg->mllp_rejected_budget : (256u << 20);
    if (!err)
        err = cv_hl7_msg_new(&st->msg);
    if (err) {
        cv_mllp_store_free(st);
        return err;
    }
    *out = st;
    return CV_OK;
}

void cv_mllp_store_set_journal(struct cv_mllp_store *st, struct cv_journal *j)
{
    st->journal = j;
}

void cv_mllp_store_free(struct cv_mllp_store *st)
{
    if (!st)
        return;
    cv_hl7_msg_free(st->msg);
    cv_buf_free(&st->converted);
    cv_free(st->root);
    cv_free(st->rejected_dir);
    pthread_mutex_destroy(&st->fail_lock);
    cv_free(st);
}

void cv_mllp_store_health(struct cv_mllp_store *st, unsigned long *failures, bool *failing,
                          char *last, size_t n)
{
    pthread_mutex_lock(&st->fail_lock);
    *failures = st->failures;
    *failing = st->failures && !st->stored_since_failure;
    cv_strlcpy(last, st->last_failure, n);
    pthread_mutex_unlock(&st->fail_lock);
}

static void note_store(struct cv_mllp_store *st, bool ok)
{
    pthread_mutex_lock(&st->fail_lock);
    if (ok) {
        st->stored_since_failure++;
    } else {
        st->failures++;
        st->stored_since_failure = 0;
        cv_strlcpy(st->last_failure, cv_errmsg(), sizeof(st->last_failure));
    }
    pthread_mutex_unlock(&st->fail_lock);
}

CV_PRINTF(4, 5)
static void refuse(struct cv_ack_reply *reply, enum cv_ack_code code, const char *hl7_error,
                   const char *fmt, ...)
{
    va_list ap;

    reply->code = code;
    reply->hl7_error = hl7_error;
    va_start(ap, fmt);
    vsnprintf(reply->text, sizeof(reply->text), fmt, ap);
    va_end(ap);
}

/* Keep a refused message for a person to look at: <dir>/<time>-<seq>.hl7 and .reason. */
static void keep_aside(struct cv_mllp_store *st, const char *msg, size_t len, size_t full_len,
                       const char *peer, const char *reason)
{
    char path[4096], reason_path[4200], stamp[32], text[600];
    time_t now = cv_now();
    struct tm tm;
    int n;

    if (st->rejected_files >= REJECTED_MAX_FILES) {
        log_warn("mllp: refused a message from %s (%s); not kept: %d messages already kept "
                 "aside in '%s'",
                 peer, reason, REJECTED_MAX_FILES, st->rejected_dir);
        return;
    }
    if (st->rejected_bytes + len + REASON_BYTES > st->rejected_budget) {
        /* someone may have looked at them and cleared the folder since: count again */
        st->rejected_files = 0;
        st->rejected_bytes = 0;
        if (count_rejected(st) != CV_OK)
            st->rejected_bytes = st->rejected_budget;
    }
    if (st->rejected_bytes + len + REASON_BYTES > st->rejected_budget) {
        log_warn("mllp: refused a message from %s (%s); not kept: the messages kept aside in "
                 "'%s' use %llu of the %llu bytes of [mllp] rejected_budget (the sender was "
                 "answered and keeps it; look at them and remove them)",
                 peer, reason, st->rejected_dir, (unsigned long long)st->rejected_bytes,
                 (unsigned long long)st->rejected_budget);
        return;
    }
    localtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
    if (cv_path_format(path, sizeof(path), "%s/%s-%06lu.hl7", st->rejected_dir, stamp, ++st->seq) ||
        cv_file_write_atomic(path, msg, len, 0600) != CV_OK) {
        log_error("mllp: cannot keep a refused message aside: %s", cv_errmsg());
        return;
    }
    st->rejected_files++;
    st->rejected_bytes += len;
    n = snprintf(text, sizeof(text), "from %s\nbytes %zu%s\nreason %s\n", peer, full_len,
                 len < full_len ? " (only the head is kept)" : "", reason);
    if (n < 0 || (size_t)n >= sizeof(text) ||
        cv_path_format(reason_path, sizeof(reason_path), "%.*s.reason", (int)strlen(path) - 4,
                       path) ||
        cv_file_write_atomic(reason_path, text, (size_t)n, 0600) != CV_OK)
        log_error("mllp: cannot write why a refused message was kept aside: %s", cv_errmsg());
    else
        st->rejected_bytes += (uint64_t)n;
    log_warn("mllp: refused a message from %s: %s (kept as %s)", peer, reason, path);
}

/* The fields the acknowledgement echoes, straight from MSH. */
static void fill_ack_request(struct cv_hl7_msg *m, struct cv_ack_request *req)
{
    static const struct {
        int field, comp;
        size_t offset;
    } map[] = {
        {3, 0, offsetof(struct cv_ack_request, sending_app)},
        {4, 0, offsetof(struct cv_ack_request, sending_facility)},
        {5, 0, offsetof(struct cv_ack_request, receiving_app)},
        {6, 0, offsetof(struct cv_ack_request, receiving_facility)},
        {9, 2, offsetof(struct cv_ack_request, trigger)},
        {10, 0, offsetof(struct cv_ack_request, control_id)},
        {11, 1, offsetof(struct cv_ack_request, processing_id)},
        {12, 1, offsetof(struct cv_ack_request, version)},
    };
    const char *delims = cv_hl7_delimiters(m);
    struct cv_hl7_span span;

    req->field_sep = delims[0];
    memcpy(req->encoding, delims + 1, 4);
    req->encoding[4] = '\0';
    for (size_t i = 0; i < CV_ARRAY_LEN(map); i++)
        if (cv_hl7_raw(m, 0, map[i].field, 1, map[i].comp, 0, &span))
            cv_ack_request_set(req, (char *)req + map[i].offset, span.p, span.n);
}

/* Check what SS-MIX2 storage needs; false (with the reply filled) when the message can't go in. */
static bool acceptable(struct cv_hl7_msg *m, const struct cv_ssmix2_msginfo *info,
                       struct cv_ack_reply *reply)
{
    const char *pid = cv_hl7_text(m, 0, 11, 1, 1, 0);

    if (info->problems & CV_SSMIX2_P_EVENT)
        refuse(reply, CV_ACK_AR, "200", "message type %s has no SS-MIX2 folder",
               info->event[0] ? info->event : "(MSH-9 empty)");
    else if (info->problems & CV_SSMIX2_P_CONTROL)
        refuse(reply, CV_ACK_AR, "101", "MSH-10 (message control ID) is empty");
    else if (pid && strcmp(pid, "P") != 0)
        refuse(reply, CV_ACK_AR, "202",
               "processing ID '%s' refused: only production (P) "
               "messages are stored",
               strlen(pid) < 4 ? pid : "?");
    else if (info->version[0] && strncmp(info->version, "2.", 2) != 0)
        refuse(reply, CV_ACK_AR, "203", "HL7 version '%.8s' is not 2.x", info->version);
    else if (info->problems & CV_SSMIX2_P_PID)
        refuse(reply, CV_ACK_AE, "101", "no PID segment or PID-3 (patient ID) is empty");
    else if (info->problems & CV_SSMIX2_P_PID_LONG)
        refuse(reply, CV_ACK_AE, "102",
               "PID-3 (patient ID) is longer than 15 characters or "
               "not letters and digits");
    else if (strlen(info->patient_id) < 6)
        refuse(reply, CV_ACK_AE, "102",
               "PID-3 (patient ID) is shorter than 6 characters; "
               "pad it as the site's SS-MIX2 storage does");
    else if (info->problems & CV_SSMIX2_P_ORDER)
        refuse(reply, CV_ACK_AE, "102",
               "ORC-2 (order number) is longer than 15 characters or "
               "not letters and digits");
    else if (info->problems & CV_SSMIX2_P_CARE_DATE)
        refuse(reply, CV_ACK_AE, "101", "no care date in %s (%s)", info->event,
               info->care_date_field ? info->care_date_field : "?");
    else if (!info->type)
        refuse(reply, CV_ACK_AR, "200", "message type %s has no SS-MIX2 folder", info->event);
    else
        return true;
    return false;
}

/* ORC-1 CA (cancel) or DC (discontinue) cancels an order; the type table knows ADT cancels. */
static bool is_cancel(struct cv_hl7_msg *m, const struct cv_ssmix2_msginfo *info)
{
    long orc = cv_hl7_find(m, "ORC", 0);
    const char *ctl = orc >= 0 ? cv_hl7_text(m, orc, 1, 1, 1, 0) : NULL;

    if (cv_ssmix2_type_is_cancel(info->type, info->event))
        return true;
    return ctl && (strcmp(ctl, "CA") == 0 || strcmp(ctl, "DC") == 0);
}

/* The event time of a stored file: when it was received, yyyyMMddHHmmssfff. */
static void receipt_time(char *buf, size_t n, long extra_ms)
{
    struct timeval tv;
    struct tm tm;
    time_t secs;
    long ms;

    gettimeofday(&tv, NULL);
    ms = tv.tv_usec / 1000 + extra_ms;
    secs = tv.tv_sec + cv_now() - time(NULL) + ms / 1000;
    localtime_r(&secs, &tm);
    if ((size_t)snprintf(buf, n, "%04d%02d%02d%02d%02d%02d%03ld", tm.tm_year + 1900, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000) >= n)
        buf[0] = '\0'; /* cannot happen for a year of four digits; an empty time is refused */
}

struct plan {
    struct cv_ssmix2_name name;
    char dir[128]; /* relative to the root */
    char absdir[4096];
    char file[128]; /* final file name */
    int new_flag;   /* of older matching files: 2 superseded, 0 cancelled */
    char old[MAX_MATCHES][128];
    size_t nold;
};

/* Older files of the same patient, care date, type and order number (and department, when
 * there is no order number) that this message supersedes or cancels. */
static enum cv_err find_matches(struct plan *p)
{
    DIR *d = opendir(p->absdir);
    struct dirent *e;

    p->nold = 0;
    if (!d)
        return errno == ENOENT ? CV_OK : cv_fail_errno(CV_EIO, "cannot read '%s'", p->absdir);
    while ((e = readdir(d)) != NULL) {
        struct cv_ssmix2_name n;

        if (e->d_name[0] == '.' || cv_ssmix2_name_parse(e->d_name, &n) != CV_OK)
            continue;
        if (strcmp(n.patient_id, p->name.patient_id) != 0 ||
            strcmp(n.care_date, p->name.care_date) != 0 ||
            strcmp(n.data_type, p->name.data_type) != 0 ||
            strcmp(n.order_no, p->name.order_no) != 0)
            continue;
        /* without an order number, two departments' registrations on one day are two things;
         * a cancel reaches them whatever department it names */
        if (p->new_flag == CV_SSMIX2_SUPERSEDED && strcmp(n.order_no, CV_SSMIX2_NO_ORDER) == 0 &&
            strcmp(n.dept, p->name.dept) != 0)
            continue;
        /* a cancel also reaches superseded history; an update only the current file */
        if (n.flag == CV_SSMIX2_DELETED || (p->new_flag == 2 && n.flag != CV_SSMIX2_CURRENT))
            continue;
        if (p->nold == MAX_MATCHES)
            break;
        cv_strlcpy(p->old[p->nold++], e->d_name, sizeof(p->old[0]));
    }
    closedir(d);
    return CV_OK;
}

static enum cv_err make_plan(struct cv_mllp_store *st, const struct cv_ssmix2_msginfo *info,
                             bool cancel, struct plan *p)
{
    struct cv_ssmix2_name *n = &p->name;
    enum cv_err err;
    struct stat sb;

    memset(p, 0, sizeof(*p));
    cv_strlcpy(n->patient_id, info->patient_id, sizeof(n->patient_id));
    cv_strlcpy(n->care_date, info->type->dated ? info->care_date : "-", sizeof(n->care_date));
    cv_strlcpy(n->data_type, info->type->code, sizeof(n->data_type));
    cv_strlcpy(n->order_no, info->order_no[0] ? info->order_no : CV_SSMIX2_NO_ORDER,
               sizeof(n->order_no));
    cv_strlcpy(n->dept, info->dept[0] ? info->dept : "-", sizeof(n->dept));
    n->flag = cancel ? CV_SSMIX2_DELETED : CV_SSMIX2_CURRENT;
    p->new_flag = cancel ? CV_SSMIX2_DELETED : CV_SSMIX2_SUPERSEDED;
    err = cv_ssmix2_dir_format(n, p->dir, sizeof(p->dir));
    if (err)
        return err;
    err = cv_path_join(p->absdir, sizeof(p->absdir), st->root, p->dir);
    if (err)
        return err;
    /* a unique name: two messages in one millisecond must not overwrite each other */
    for (long extra = 0; extra < 1000; extra++) {
        char abs[4400];

        receipt_time(n->event_time, sizeof(n->event_time), extra);
        err = cv_ssmix2_name_format(n, p->file, sizeof(p->file));
        if (err)
            return err;
        err = cv_path_join(abs, sizeof(abs), p->absdir, p->file);
        if (err)
            return err;
        if (lstat(abs, &sb) != 0)
            return find_matches(p);
    }
    return cv_fail(CV_EEXIST, "no free file name in '%s'", p->dir);
}

/* Make the folder; fsync the parents of every level that was new, so the entry survives. */
static enum cv_err make_dir(struct cv_mllp_store *st, const struct plan *p)
{
    char path[4096];
    struct stat sb;
    enum cv_err err;
    size_t rootlen = strlen(st->root);

    if (stat(p->absdir, &sb) == 0)
        return CV_OK;
    err = cv_mkdir_p(p->absdir, 0750);
    cv_strlcpy(path, p->absdir, sizeof(path));
    while (!err && strlen(path) > rootlen) {
        *strrchr(path, '/') = '\0';
        err = cv_fsync_dir(path);
    }
    return err;
}

static enum cv_err write_temp(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    const char *p = data;
    enum cv_err err = CV_OK;

    if (fd < 0)
        return cv_fail_errno(CV_EIO, "cannot create '%s'", path);
    while (len && !err) {
        ssize_t w = write(fd, p, len);

        if (w < 0 && errno != EINTR)
            err = cv_fail_errno(CV_EIO, "cannot write '%s'", path);
        else if (w > 0)
            p += w, len -= (size_t)w;
    }
    if (!err && fsync(fd) != 0)
        err = cv_fail_errno(CV_EIO, "cannot sync '%s'", path);
    if (close(fd) != 0 && !err)
        err = cv_fail_errno(CV_EIO, "cannot close '%s'", path);
    if (err)
        unlink(path);
    return err;
}

/* Write the file, rename what it supersedes or cancels, make it all durable, index it. */
static enum cv_err store(struct cv_mllp_store *st, struct plan *p, const void *data, size_t len)
{
    char tmp[4400], final[4400], from[4400], to[4400];
    const char *relpaths[2 * MAX_MATCHES + 1];
    char renamed[MAX_MATCHES][160], olds[MAX_MATCHES][160], newrel[160];
    size_t nrel = 0;
    enum cv_err err = make_dir(st, p);

    if (err)
        return err;
    err = cv_path_format(tmp, sizeof(tmp), "%s/.%s.tmp", p->absdir, p->file);
    if (!err)
        err = cv_path_join(final, sizeof(final), p->absdir, p->file);
    if (!err)
        err = cv_path_join(newrel, sizeof(newrel), p->dir, p->file);
    if (!err)
        err = write_temp(tmp, data, len);
    if (err)
        return err;
    for (size_t i = 0; i < p->nold && !err; i++) {
        struct cv_ssmix2_name n;
        char newname[128];

        err = cv_ssmix2_name_parse(p->old[i], &n);
        n.flag = p->new_flag;
        if (!err)
            err = cv_ssmix2_name_format(&n, newname, sizeof(newname));
        if (!err)
            err = cv_path_join(from, sizeof(from), p->absdir, p->old[i]);
        if (!err)
            err = cv_path_join(to, sizeof(to), p->absdir, newname);
        if (!err)
            err = cv_path_join(olds[i], sizeof(olds[i]), p->dir, p->old[i]);
        if (!err)
            err = cv_path_join(renamed[i], sizeof(renamed[i]), p->dir, newname);
        if (!err && rename(from, to) != 0)
            err = cv_fail_errno(CV_EIO, "cannot rename an earlier file in '%s'", p->dir);
        relpaths[nrel++] = olds[i];
        relpaths[nrel++] = renamed[i];
    }
    if (!err && rename(tmp, final) != 0)
        err = cv_fail_errno(CV_EIO, "cannot rename '%s'", tmp);
    if (!err)
        err = cv_fsync_dir(p->absdir);
    if (err) {
        unlink(tmp);
        return err;
    }
    relpaths[nrel++] = newrel;
    for (size_t i = 0; st->journal && i < nrel; i++) /* the next snapshot reads these */
        cv_journal_add(st->journal, relpaths[i]);
    /* Durable now: a failure to index only delays searchability (the next scan catches it). */
    if (st->indexer && cv_indexer_add_mllp_files(st->indexer, relpaths, nrel) != CV_OK)
        log_warn("mllp: stored %s but could not index it yet: %s", p->file, cv_errmsg());
    return CV_OK;
}

/* UTF-8 messages are stored as ISO-2022-JP, as the standard asks. */
static enum cv_err to_storage_bytes(struct cv_mllp_store *st, const char *msg, size_t len,
                                    const char **out, size_t *outlen)
{
    size_t replaced = 0;
    enum cv_err err;

    *out = msg;
    *outlen = len;
    if (cv_hl7_charset(st->msg) != CV_HL7_CHARSET_UTF8)
        return CV_OK;
    cv_buf_reset(&st->converted);
    err = cv_hl7_utf8_to_iso2022jp(msg, len, true, &st->converted, &replaced);
    if (err)
        return err;
    if (replaced)
        log_info("mllp: %zu characters outside JIS X 0208 stored as ■", replaced);
    *out = st->converted.data;
    *outlen = st->converted.len;
    return CV_OK;
}

/* The cause of a storage failure for the sender: the system's words ("No space left on
 * device"), which end the message after the quoted path; never the path, which names the
 * patient and would push the cause out of the 200 bytes of MSA-3. */
static const char *storage_cause(enum cv_err err)
{
    const char *msg = cv_errmsg();
    const char *cause = NULL;

    for (const char *p = strstr(msg, "': "); p; p = strstr(p + 1, "': "))
        cause = p + 3;
    return cause && *cause ? cause : cv_strerror(err);
}

static void handle_message(struct cv_mllp_store *st, const char *msg, size_t len,
                           struct cv_ack_request *req, struct cv_ack_reply *reply)
{
    struct cv_ssmix2_msginfo info;
    const char *bytes;
    struct plan p;
    size_t nbytes;
    enum cv_err err;

    err = cv_hl7_msg_parse(st->msg, msg, len);
    if (err) {
        refuse(reply, err == CV_ECHARSET ? CV_ACK_AE : CV_ACK_AR,
               err == CV_ECHARSET ? "102" : "100", "not an HL7 message: %s", cv_errmsg());
        return;
    }
    fill_ack_request(st->msg, req);
    /* A message with problems fails here but is still described: acceptable() says which. */
    err = cv_ssmix2_msginfo_get(st->msg, &info);
    if (err && !info.problems) {
        refuse(reply, CV_ACK_AR, "100", "%s", cv_errmsg());
        return;
    }
    if (!acceptable(st->msg, &info, reply))
        return;
    err = make_plan(st, &info, is_cancel(st->msg, &info), &p);
    if (!err)
        err = to_storage_bytes(st, msg, len, &bytes, &nbytes);
    if (!err)
        err = store(st, &p, bytes, nbytes);
    if (err) {
        note_store(st, false);
        log_error("mllp: cannot store a message: %s", cv_errmsg());
        refuse(reply, CV_ACK_AE, "207", "cannot store the message: %s", storage_cause(err));
        return;
    }
    note_store(st, true);
    reply->code = CV_ACK_AA;
    reply->hl7_error = NULL;
    cv_strlcpy(reply->text, "stored", sizeof(reply->text));
    log_debug("mllp: stored %s/%s (%zu older files renamed)", p.dir, p.file, p.nold);
}

void cv_mllp_store_handle(enum cv_mllp_frame_status status, const char *msg, size_t len,
                          size_t full_len, const char *peer, struct cv_ack_request *req,
                          struct cv_ack_reply *reply, void *arg)
{
    struct cv_mllp_store *st = arg;

    if (status != CV_MLLP_FRAME_OK && cv_hl7_msg_parse(st->msg, msg, len) == CV_OK)
        fill_ack_request(st->msg, req); /* the head may still name the control ID */
    if (status == CV_MLLP_FRAME_TOO_BIG)
        refuse(reply, CV_ACK_AR, "207",
               "message of %zu bytes is larger than the %zu-byte limit "
               "([mllp] max_message)",
               full_len, len);
    else if (status == CV_MLLP_FRAME_UNTERMINATED)
        refuse(reply, CV_ACK_AR, "207",
               "MLLP frame not terminated (no 0x1C 0x0D before the "
               "next start or the end of the connection)");
    else
        handle_message(st, msg, len, req, reply);
    if (reply->code != CV_ACK_AA)
        keep_aside(st, msg, len, full_len, peer, reply->text);
}
