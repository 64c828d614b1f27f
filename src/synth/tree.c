/*
 * tree.c: writing the storage. One patient at a time, in ID order: their folder under
 * <ID[0:3]>/<ID[3:6]>/, then per care date and data type a folder, then each file under
 * its 7-field name, created exclusively (never overwriting), its modification time set to
 * its event time (read as Japan time, UTC+9, whatever the machine's zone). A folder gets
 * the time of the newest file below it once it is complete, so the whole tree, times
 * included, is the same on every run. Folders are reached through open descriptors
 * (mkdirat/openat) to keep path lookups out of the hot loop.
 */
#include "synth_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define JST_OFFSET (9 * 3600)

struct level {
    int fd;
    char name[16];
    int64_t newest; /* ms */
};

struct tree {
    char root_path[PATH_MAX];
    struct level root, l1, l2; /* root, ID[0:3], ID[3:6] */
    uint32_t *order;
    size_t cap;
};

void sy_mtime_of(int64_t ms, struct timespec ts[2])
{
    int64_t s = ms / 1000 - JST_OFFSET;

    ts[0].tv_sec = (time_t)s;
    ts[0].tv_nsec = (long)(ms % 1000) * 1000000L;
    ts[1] = ts[0];
}

void sy_file_name(const struct patient *p, const struct ev *e, char *buf, size_t n)
{
    struct out o = {.p = buf, .cap = n - 1};

    sy_out_s(&o, p->id);
    sy_out_c(&o, '_');
    if (e->care_day < 0)
        sy_out_c(&o, '-');
    else
        sy_out_date(&o, e->care_day);
    sy_out_c(&o, '_');
    sy_out_s(&o, sy_dtype_name[e->type]);
    sy_out_c(&o, '_');
    sy_out_s(&o, e->order);
    sy_out_c(&o, '_');
    sy_out_ms17(&o, e->ms);
    sy_out_c(&o, '_');
    sy_out_s(&o, e->dept == 0xff ? "-" : sy_tab_dept[e->dept].code);
    sy_out_c(&o, '_');
    sy_out_c(&o, e->flag);
    buf[o.len] = '\0';
}

/* A path below the root, kept as its parts; joined only when a message needs it. */
struct rel {
    const char *part[5];
};
#define REL(...) (&(struct rel){{__VA_ARGS__}})

static const char *where(const struct tree *t, const struct rel *r)
{
    static _Thread_local char path[PATH_MAX + 256];
    size_t len = cv_strlcpy(path, t->root_path, sizeof(path));

    for (size_t i = 0; i < 5 && r->part[i] && len < sizeof(path); i++)
        len += (size_t)snprintf(path + len, sizeof(path) - len, "/%s", r->part[i]);
    return path;
}

static const char *last_part(const struct rel *r)
{
    const char *name = r->part[0];

    for (size_t i = 1; i < 5 && r->part[i]; i++)
        name = r->part[i];
    return name;
}

/* Create and open the folder `r` (its last part, in `parent`). */
static enum cv_err open_dir(const struct tree *t, int parent, const struct rel *r, int *fd)
{
    const char *name = last_part(r);

    if (mkdirat(parent, name, 0755) != 0 && errno != EEXIST)
        return cv_fail_errno(CV_EIO, "cannot create folder '%s'", where(t, r));
    *fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (*fd < 0)
        return cv_fail_errno(CV_EIO, "cannot open folder '%s'", where(t, r));
    return CV_OK;
}

/* Give a finished folder the time of its newest file and close it. */
static enum cv_err close_dir(const struct tree *t, int fd, int64_t newest, const struct rel *r)
{
    struct timespec ts[2];
    enum cv_err err = CV_OK;

    if (fd < 0)
        return CV_OK;
    sy_mtime_of(newest, ts);
    if (newest != INT64_MIN && futimens(fd, ts) != 0)
        err = cv_fail_errno(CV_EIO, "cannot set the time of '%s'", where(t, r));
    if (close(fd) != 0 && !err)
        err = cv_fail_errno(CV_EIO, "cannot close '%s'", where(t, r));
    return err;
}

enum cv_err sy_tree_open(const char *root, struct tree **out)
{
    struct tree *t = cv_calloc(1, sizeof(*t));

    *out = NULL;
    if (!t)
        return cv_fail(CV_ENOMEM, "out of memory");
    cv_strlcpy(t->root_path, root, sizeof(t->root_path));
    t->l1.fd = t->l2.fd = -1;
    t->l1.newest = t->l2.newest = t->root.newest = INT64_MIN;
    t->root.fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (t->root.fd < 0) {
        enum cv_err err = cv_fail_errno(CV_EIO, "cannot open folder '%s'", root);

        cv_free(t);
        return err;
    }
    *out = t;
    return CV_OK;
}

static void bump(int64_t *newest, int64_t ms)
{
    if (ms > *newest)
        *newest = ms;
}

/* Make sure the ID[0:3]/ID[3:6] folders of `id` are open, finishing the previous ones. */
static enum cv_err enter_prefix(struct tree *t, const char *id)
{
    char a[4] = {id[0], id[1], id[2], 0}, b[4] = {id[3], id[4], id[5], 0};
    enum cv_err err;

    if (t->l2.fd >= 0 && strcmp(a, t->l1.name) == 0 && strcmp(b, t->l2.name) == 0)
        return CV_OK;
    if (t->l2.fd >= 0) {
        bump(&t->l1.newest, t->l2.newest);
        err = close_dir(t, t->l2.fd, t->l2.newest, REL(t->l1.name, t->l2.name));
        t->l2.fd = -1;
        if (err)
            return err;
    }
    if (t->l1.fd >= 0 && strcmp(a, t->l1.name) != 0) {
        bump(&t->root.newest, t->l1.newest);
        err = close_dir(t, t->l1.fd, t->l1.newest, REL(t->l1.name));
        t->l1.fd = -1;
        if (err)
            return err;
    }
    if (t->l1.fd < 0) {
        memcpy(t->l1.name, a, 4);
        t->l1.newest = INT64_MIN;
        if ((err = open_dir(t, t->root.fd, REL(a), &t->l1.fd)))
            return err;
    }
    memcpy(t->l2.name, b, 4);
    t->l2.newest = INT64_MIN;
    return open_dir(t, t->l1.fd, REL(a, b), &t->l2.fd);
}

static int cmp_folder(const void *a, const void *b, void *arg)
{
    const struct patient *p = arg;
    const struct ev *x = &p->ev.v[*(const uint32_t *)a];
    const struct ev *y = &p->ev.v[*(const uint32_t *)b];

    if (x->care_day != y->care_day)
        return x->care_day < y->care_day ? -1 : 1;
    if (x->type != y->type)
        return x->type < y->type ? -1 : 1;
    return x->ms < y->ms ? -1 : x->ms > y->ms;
}

/* 0, or -1 with errno set. */
static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The patient folder (open) and the care-date folder being written, by name. */
struct folder {
    const char *pid, *date;
    int fd;
};

/* "a/b/c" into buf (n > 0), truncated if it must be. */
static void join3(char *buf, size_t n, const char *a, const char *b, const char *c)
{
    const char *part[3] = {a, b, c};
    size_t len = 0;

    for (int i = 0; i < 3; i++) {
        size_t k = strlen(part[i]);

        if (i && len + 1 < n)
            buf[len++] = '/';
        if (k > n - 1 - len)
            k = n - 1 - len;
        memcpy(buf + len, part[i], k);
        len += k;
    }
    buf[len] = '\0';
}

static enum cv_err write_file(struct tree *t, struct synth *s, const struct patient *p,
                              const struct ev *e, struct out *o, const struct folder *f)
{
    char rel[128], name[96];
    struct timespec ts[2];
    const char *what = NULL;
    int fd, saved;

    sy_msg_render(s, p, e, o);
    if (o->full || o->unmapped)
        return cv_fail(CV_EINVAL, "message for '%s' %s",
                       where(t, REL(t->l1.name, t->l2.name, f->pid, f->date)),
                       o->full ? "does not fit its buffer" : "has a character without a JIS form");
    sy_file_name(p, e, name, sizeof(name));
    join3(rel, sizeof(rel), f->date, sy_dtype_name[e->type], name);
    fd = openat(f->fd, rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return cv_fail_errno(CV_EIO, "cannot create '%s'",
                             where(t, REL(t->l1.name, t->l2.name, f->pid, rel)));
    sy_mtime_of(e->ms, ts);
    if (write_all(fd, o->p, o->len) != 0)
        what = "cannot write";
    else if (futimens(fd, ts) != 0)
        what = "cannot set the time of";
    saved = errno;
    if (close(fd) != 0 && !what) {
        what = "cannot close";
        saved = errno;
    }
    if (what) {
        errno = saved;
        return cv_fail_errno(CV_EIO, "%s '%s'", what,
                             where(t, REL(t->l1.name, t->l2.name, f->pid, rel)));
    }
    s->files++;
    s->bytes += o->len;
    return CV_OK;
}

/* Set the time of folder `rel` (below the patient folder) to its newest file's. */
static enum cv_err stamp(struct tree *t, const struct folder *f, const char *rel, int64_t newest)
{
    struct timespec ts[2];

    sy_mtime_of(newest, ts);
    if (utimensat(f->fd, rel, ts, 0) != 0)
        return cv_fail_errno(CV_EIO, "cannot set the time of '%s'",
                             where(t, REL(t->l1.name, t->l2.name, f->pid, rel)));
    return CV_OK;
}

/* Write the files of one care-date folder, grouped by data type. The folders are reached
 * by relative paths from the patient folder: opening each would cost two more calls. */
static enum cv_err write_date(struct tree *t, struct synth *s, const struct patient *p,
                              struct out *o, struct folder *f, size_t *i, int64_t *newest)
{
    int32_t day = p->ev.v[t->order[*i]].care_day;
    enum cv_err err = CV_OK;
    char rel[32];

    *newest = INT64_MIN;
    if (mkdirat(f->fd, f->date, 0755) != 0)
        return cv_fail_errno(CV_EIO, "cannot create folder '%s'",
                             where(t, REL(t->l1.name, t->l2.name, f->pid, f->date)));
    while (*i < p->ev.n && p->ev.v[t->order[*i]].care_day == day) {
        int type = p->ev.v[t->order[*i]].type;
        int64_t type_newest = INT64_MIN;

        if (cv_path_join(rel, sizeof(rel), f->date, sy_dtype_name[type]))
            return cv_fail_prefix(CV_ETOOBIG, "synth: ");
        if (mkdirat(f->fd, rel, 0755) != 0)
            return cv_fail_errno(CV_EIO, "cannot create folder '%s'",
                                 where(t, REL(t->l1.name, t->l2.name, f->pid, rel)));
        for (; *i < p->ev.n; (*i)++) {
            const struct ev *x = &p->ev.v[t->order[*i]];

            if (x->care_day != day || x->type != type)
                break;
            if ((err = write_file(t, s, p, x, o, f)))
                return err;
            bump(&type_newest, x->ms);
        }
        if ((err = stamp(t, f, rel, type_newest)))
            return err;
        bump(newest, type_newest);
    }
    return stamp(t, f, f->date, *newest);
}

enum cv_err sy_tree_write_patient(struct tree *t, struct synth *s, const struct patient *p,
                                  struct out *o)
{
    struct folder f = {p->id, NULL, -1};
    int64_t pnewest = INT64_MIN;
    enum cv_err err;
    int pfd;
    size_t i = 0;

    if (p->ev.n > t->cap) {
        uint32_t *v = cv_reallocarray(t->order, p->ev.n, sizeof(uint32_t));

        if (!v)
            return cv_fail(CV_ENOMEM, "out of memory");
        t->order = v;
        t->cap = p->ev.n;
    }
    for (size_t k = 0; k < p->ev.n; k++)
        t->order[k] = (uint32_t)k;
    qsort_r(t->order, p->ev.n, sizeof(uint32_t), cmp_folder, (void *)p);
    if ((err = enter_prefix(t, p->id)) ||
        (err = open_dir(t, t->l2.fd, REL(t->l1.name, t->l2.name, p->id), &pfd)))
        return err;
    f.fd = pfd;
    while (i < p->ev.n && !err) {
        char date[12];
        int64_t dnewest;
        int32_t day = p->ev.v[t->order[i]].care_day;
        struct out d = {.p = date, .cap = sizeof(date) - 1};

        if (day < 0)
            sy_out_c(&d, '-');
        else
            sy_out_date(&d, day);
        date[d.len] = '\0';
        f.date = date;
        err = write_date(t, s, p, o, &f, &i, &dnewest);
        bump(&pnewest, dnewest);
    }
    if (err) {
        close(pfd);
        return err;
    }
    bump(&t->l2.newest, pnewest);
    return close_dir(t, pfd, pnewest, REL(t->l1.name, t->l2.name, p->id));
}

enum cv_err sy_tree_finish(struct tree *t, bool sync)
{
    enum cv_err err = CV_OK;

    if (t->l2.fd >= 0) {
        bump(&t->l1.newest, t->l2.newest);
        err = close_dir(t, t->l2.fd, t->l2.newest, REL(t->l1.name, t->l2.name));
        t->l2.fd = -1;
    }
    if (t->l1.fd >= 0) {
        bump(&t->root.newest, t->l1.newest);
        if (!err)
            err = close_dir(t, t->l1.fd, t->l1.newest, REL(t->l1.name));
        else
            close(t->l1.fd);
        t->l1.fd = -1;
    }
    if (!err && sync && syncfs(t->root.fd) != 0)
        err = cv_fail_errno(CV_EIO, "cannot write the tree in '%s' to disk", t->root_path);
    if (!err && t->root.newest != INT64_MIN) {
        struct timespec ts[2];

        sy_mtime_of(t->root.newest, ts);
        if (futimens(t->root.fd, ts) != 0)
            err = cv_fail_errno(CV_EIO, "cannot set the time of '%s'", t->root_path);
    }
    return err;
}

void sy_tree_close(struct tree *t)
{
    if (!t)
        return;
    if (t->l2.fd >= 0)
        close(t->l2.fd);
    if (t->l1.fd >= 0)
        close(t->l1.fd);
    if (t->root.fd >= 0)
        close(t->root.fd);
    cv_free(t->order);
    cv_free(t);
}
