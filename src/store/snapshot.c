/*
 * snapshot.c: snapshot objects: what a backup made (time, host, source, tags, its full tree and
 * the runs on top of it, parent, the stored reference index and the backup's figures) as
 * tagged fields, so that later versions can add fields old readers skip. Listing reads every
 * snapshot object; a damaged one is skipped with a warning (check names it).
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

#define SNAP_VERSION  1
#define SNAP_TEXT_MAX 4096u
#define SNAP_TAGS_MAX 64u

enum snap_tag {
    TAG_TIME = 1,
    TAG_HOST = 2,
    TAG_SOURCE = 3,
    TAG_TAG = 4,
    TAG_TREE = 5,
    TAG_PARENT = 6,
    TAG_DB = 7,
    TAG_STATS = 8,
    TAG_TIME_NSEC = 9,
    TAG_RUNS = 10,
    TAG_DB_TREE = 11, /* format 2: tree blob ID[32] | varint size | name */
};

#define RUN_REC   33u /* u8 level | root ID[32] */
#define LEVEL_MAX 15u

static enum cv_err put_field(struct cv_buf *out, unsigned tag, const void *p, size_t n)
{
    enum cv_err err = cv_put_varint(out, tag);

    if (!err)
        err = cv_put_varint(out, n);
    return err ? err : cv_buf_append(out, p, n);
}

static enum cv_err put_text(struct cv_buf *out, unsigned tag, const char *s)
{
    return s ? put_field(out, tag, s, strlen(s)) : CV_OK;
}

static const uint64_t *stats_fields(const struct cv_backup_stats *st, uint64_t v[13])
{
    uint64_t fields[13] = {st->files,
                           st->dirs,
                           st->bytes,
                           st->files_new,
                           st->files_changed,
                           st->files_unchanged,
                           st->errors,
                           st->bytes_read,
                           st->added_data_raw,
                           st->added_tree_raw,
                           st->added_stored,
                           st->blobs_new,
                           (uint64_t)(st->seconds * 1000)};

    memcpy(v, fields, sizeof(fields));
    return v;
}

enum cv_err cv_snapshot_encode(const struct cv_snapshot *s, struct cv_buf *out)
{
    struct cv_buf tmp = CV_BUF_INIT(1024);
    uint8_t version = SNAP_VERSION, parent[32];
    uint64_t v[13];
    enum cv_err err = cv_buf_append(out, &version, 1);

    stats_fields(&s->stats, v);
    if (!err)
        err = cv_put_svarint(&tmp, s->time);
    if (!err)
        err = put_field(out, TAG_TIME, tmp.data, tmp.len);
    cv_buf_reset(&tmp);
    if (!err)
        err = cv_put_varint(&tmp, s->time_nsec);
    if (!err)
        err = put_field(out, TAG_TIME_NSEC, tmp.data, tmp.len);
    if (!err)
        err = put_text(out, TAG_HOST, s->hostname);
    if (!err)
        err = put_text(out, TAG_SOURCE, s->source);
    for (size_t i = 0; i < s->ntags && !err; i++)
        err = put_text(out, TAG_TAG, s->tags[i]);
    if (!err)
        err = put_field(out, TAG_TREE, s->tree, 32);
    cv_buf_reset(&tmp);
    for (size_t i = 0; i < s->nruns && !err; i++) {
        err = cv_buf_append(&tmp, &s->runs[i].level, 1);
        if (!err)
            err = cv_buf_append(&tmp, s->runs[i].root, 32);
    }
    if (!err && s->nruns)
        err = put_field(out, TAG_RUNS, tmp.data, tmp.len);
    if (!err && s->has_parent && cv_hex_decode(s->parent, parent, 32) == CV_OK)
        err = put_field(out, TAG_PARENT, parent, 32);
    if (!err && s->has_db && s->db_out_of_line_) {
        cv_buf_reset(&tmp);
        err = cv_buf_append(&tmp, s->db_tree_, 32);
        if (!err)
            err = cv_put_varint(&tmp, s->db_size);
        if (!err)
            err = cv_buf_append(&tmp, s->db_name, strlen(s->db_name));
        if (!err)
            err = put_field(out, TAG_DB_TREE, tmp.data, tmp.len);
    } else if (!err && s->has_db) {
        err = put_field(out, TAG_DB, s->db_entry_, s->db_entry_len_);
    }
    cv_buf_reset(&tmp);
    for (unsigned i = 0; i < 13 && !err; i++)
        err = cv_put_varint(&tmp, v[i]);
    if (!err)
        err = put_field(out, TAG_STATS, tmp.data, tmp.len);
    cv_buf_free(&tmp);
    return err;
}

static enum cv_err dup_text(const uint8_t *p, size_t n, char **out)
{
    if (n > SNAP_TEXT_MAX || memchr(p, '\0', n))
        return cv_fail(CV_ECORRUPT, "snapshot: bad text field");
    *out = cv_strndup((const char *)p, n);
    return *out ? CV_OK : cv_fail(CV_ENOMEM, "out of memory");
}

static enum cv_err decode_db(const uint8_t *p, size_t n, struct cv_snapshot *s)
{
    struct cv_tree_rd t;
    struct cv_tree_entry e;
    bool more;
    enum cv_err err;

    cv_tree_rd_inline(&t, p, n);
    err = cv_tree_next(&t, &e, &more);
    if (!err && (!more || e.kind != CV_TE_FILE || cv_rd_left(&t.r) != 0))
        err = cv_fail(CV_ECORRUPT, "snapshot: bad reference index entry");
    if (!err && !(s->db_entry_ = cv_malloc(n)))
        err = cv_fail(CV_ENOMEM, "out of memory");
    if (err)
        return err;
    memcpy(s->db_entry_, p, n);
    s->db_entry_len_ = n;
    s->db_size = e.size;
    s->has_db = true;
    return dup_text((const uint8_t *)e.name, e.name_len, &s->db_name);
}

/* Format 2: the entry is a tree blob of its own; the snapshot keeps its name and size. */
static enum cv_err decode_db_tree(const uint8_t *p, size_t n, struct cv_snapshot *s)
{
    struct cv_rd r;
    const uint8_t *id, *name;
    size_t name_len;

    if (s->has_db)
        return cv_fail(CV_ECORRUPT, "snapshot: two reference index entries");
    cv_rd_init(&r, p, n);
    if (!cv_rd_bytes(&r, 32, &id) || !cv_rd_varint(&r, &s->db_size))
        return cv_fail(CV_ECORRUPT, "snapshot: bad reference index entry");
    name_len = cv_rd_left(&r);
    if (!cv_rd_bytes(&r, name_len, &name) || !cv_tree_name_ok((const char *)name, name_len))
        return cv_fail(CV_ECORRUPT, "snapshot: bad reference index name");
    memcpy(s->db_tree_, id, 32);
    s->db_out_of_line_ = true;
    s->has_db = true;
    return dup_text(name, name_len, &s->db_name);
}

enum cv_err cv_snapshot_db_entry(struct cv_reader *rd, const struct cv_snapshot *s,
                                 struct cv_listing *l, struct cv_tree_entry *e)
{
    struct cv_tree_rd t;
    struct cv_tree_entry extra;
    bool more;
    enum cv_err err;

    if (!s->has_db)
        return cv_fail(CV_ENOENT, "snapshot %.8s holds no reference index", s->name);
    if (!s->db_out_of_line_) {
        cv_tree_rd_inline(&t, s->db_entry_, s->db_entry_len_);
        return cv_tree_next(&t, e, &more); /* (checked when the snapshot was decoded) */
    }
    err = cv_listing_load_blob(rd, s->db_tree_, 0, l);
    if (!err)
        err = cv_listing_iter(l, &t);
    if (!err)
        err = cv_tree_next(&t, e, &more);
    if (!err && more && e->kind == CV_TE_FILE && e->size == s->db_size &&
        cv_tree_name_cmp(e->name, e->name_len, s->db_name, strlen(s->db_name)) == 0 &&
        cv_tree_next(&t, &extra, &more) == CV_OK && !more)
        return CV_OK;
    if (!err)
        err = cv_fail(CV_ECORRUPT, "the reference index's entry does not match its snapshot");
    return cv_fail_prefix(err, "snapshot %.8s: ", s->name);
}

static enum cv_err decode_stats(const uint8_t *p, size_t n, struct cv_backup_stats *st)
{
    uint64_t *dst[12] = {&st->files,          &st->dirs,          &st->bytes,
                         &st->files_new,      &st->files_changed, &st->files_unchanged,
                         &st->errors,         &st->bytes_read,    &st->added_data_raw,
                         &st->added_tree_raw, &st->added_stored,  &st->blobs_new};
    struct cv_rd r;
    uint64_t ms;

    cv_rd_init(&r, p, n);
    for (unsigned i = 0; i < 12; i++)
        if (!cv_rd_varint(&r, dst[i]))
            return cv_fail(CV_ECORRUPT, "snapshot: bad statistics");
    if (!cv_rd_varint_max(&r, 1ull << 50, &ms))
        return cv_fail(CV_ECORRUPT, "snapshot: bad statistics");
    st->seconds = (double)ms / 1000;
    return CV_OK;
}

static enum cv_err decode_runs(const uint8_t *p, size_t n, struct cv_snapshot *s)
{
    size_t count = n / RUN_REC;

    if (n == 0 || n % RUN_REC || count > CV_RUNS_MAX)
        return cv_fail(CV_ECORRUPT, "snapshot: bad list of runs");
    s->runs = cv_calloc(count, sizeof(*s->runs));
    if (!s->runs)
        return cv_fail(CV_ENOMEM, "out of memory");
    for (size_t i = 0; i < count; i++) {
        s->runs[i].level = p[i * RUN_REC];
        memcpy(s->runs[i].root, p + i * RUN_REC + 1, 32);
        /* levels never grow from the oldest run to the newest */
        if (s->runs[i].level > LEVEL_MAX || (i && s->runs[i].level > s->runs[i - 1].level))
            return cv_fail(CV_ECORRUPT, "snapshot: runs out of order");
    }
    s->nruns = count;
    return CV_OK;
}

static enum cv_err add_tag(struct cv_snapshot *s, const uint8_t *p, size_t n)
{
    char **tags;

    if (s->ntags >= SNAP_TAGS_MAX)
        return cv_fail(CV_ECORRUPT, "snapshot: too many tags");
    tags = cv_reallocarray(s->tags, s->ntags + 1, sizeof(*tags));
    if (!tags)
        return cv_fail(CV_ENOMEM, "out of memory");
    s->tags = tags;
    s->tags[s->ntags] = NULL;
    if (dup_text(p, n, &s->tags[s->ntags]) != CV_OK)
        return cv_fail(CV_ECORRUPT, "snapshot: bad tag");
    s->ntags++;
    return CV_OK;
}

static enum cv_err decode_field(uint64_t tag, const uint8_t *p, size_t n, struct cv_snapshot *s,
                                unsigned *seen)
{
    struct cv_rd r;

    if (tag < 32 && tag != TAG_TAG && (*seen & (1u << tag)))
        return cv_fail(CV_ECORRUPT, "snapshot: field %llu repeated", (unsigned long long)tag);
    if (tag < 32)
        *seen |= 1u << tag;
    switch (tag) {
    case TAG_TIME:
        cv_rd_init(&r, p, n);
        if (!cv_rd_svarint(&r, &s->time) || cv_rd_left(&r))
            return cv_fail(CV_ECORRUPT, "snapshot: bad time");
        return CV_OK;
    case TAG_TIME_NSEC: {
        uint64_t ns;

        cv_rd_init(&r, p, n);
        if (!cv_rd_varint(&r, &ns) || cv_rd_left(&r) || ns > 999999999u)
            return cv_fail(CV_ECORRUPT, "snapshot: bad time (nanoseconds)");
        s->time_nsec = (uint32_t)ns;
        return CV_OK;
    }
    case TAG_HOST:
        return dup_text(p, n, &s->hostname);
    case TAG_SOURCE:
        return dup_text(p, n, &s->source);
    case TAG_TAG:
        return add_tag(s, p, n);
    case TAG_TREE:
        if (n != 32)
            return cv_fail(CV_ECORRUPT, "snapshot: bad tree ID");
        memcpy(s->tree, p, 32);
        return CV_OK;
    case TAG_PARENT:
        if (n != 32)
            return cv_fail(CV_ECORRUPT, "snapshot: bad parent");
        cv_hex_encode(p, 32, s->parent);
        s->has_parent = true;
        return CV_OK;
    case TAG_DB:
        if (s->has_db)
            return cv_fail(CV_ECORRUPT, "snapshot: two reference index entries");
        return decode_db(p, n, s);
    case TAG_DB_TREE:
        return decode_db_tree(p, n, s);
    case TAG_STATS:
        return decode_stats(p, n, &s->stats);
    case TAG_RUNS:
        return decode_runs(p, n, s);
    default:
        return CV_OK; /* a later version's field */
    }
}

enum cv_err cv_snapshot_decode(const uint8_t *p, size_t n, struct cv_snapshot *s)
{
    struct cv_rd r;
    uint8_t version;
    unsigned seen = 0;
    enum cv_err err = CV_OK;

    memset(s, 0, sizeof(*s));
    cv_rd_init(&r, p, n);
    if (!cv_rd_u8(&r, &version) || version != SNAP_VERSION)
        return cv_fail(CV_EUNSUPPORTED, "snapshot: unknown version");
    while (!err && cv_rd_left(&r)) {
        uint64_t tag, len;
        const uint8_t *v;

        if (!cv_rd_varint(&r, &tag) || !cv_rd_varint_max(&r, cv_rd_left(&r), &len) ||
            !cv_rd_bytes(&r, (size_t)len, &v))
            err = cv_fail(CV_ECORRUPT, "snapshot: truncated field");
        else
            err = decode_field(tag, v, (size_t)len, s, &seen);
    }
    if (!err && !(seen & (1u << TAG_TIME) && seen & (1u << TAG_TREE)))
        err = cv_fail(CV_ECORRUPT, "snapshot: lacks its time or tree");
    if (err)
        cv_snapshot_clear(s);
    return err;
}

void cv_snapshot_clear(struct cv_snapshot *s)
{
    if (!s)
        return;
    cv_free(s->hostname);
    cv_free(s->source);
    for (size_t i = 0; i < s->ntags; i++)
        cv_free(s->tags[i]);
    cv_free(s->tags);
    cv_free(s->db_name);
    cv_free(s->db_entry_);
    cv_free(s->runs);
    memset(s, 0, sizeof(*s));
}

enum cv_err cv_snapshot_write(struct cv_repo *repo, struct cv_snapshot *s)
{
    struct cv_buf body = CV_BUF_INIT(CV_SNAPSHOT_MAX), obj = CV_BUF_INIT(CV_SNAPSHOT_MAX + 4096);
    struct cv_backend *be = repo->be;
    enum cv_err err;

    cv_obj_name_random(s->name);
    err = cv_snapshot_encode(s, &body);
    if (!err)
        err = cv_object_seal(repo->keys, 'S', s->name, body.data, body.len, true, &obj);
    if (!err)
        err = be->ops->put(be, CV_OBJ_SNAPSHOT, s->name, obj.data, obj.len);
    if (!err)
        err = be->ops->sync(be);
    if (!err)
        s->stats.added_stored += obj.len;
    cv_buf_free(&body);
    cv_buf_free(&obj);
    return err;
}

/* ---- listing ----------------------------------------------------------------------------------
 */
struct snap_list {
    struct cv_repo *repo;
    struct cv_snapshot *v;
    size_t n, cap;
};

enum cv_err cv_snapshot_read(struct cv_repo *repo, const char *name, struct cv_snapshot *s)
{
    struct cv_buf obj = CV_BUF_INIT(CV_SNAPSHOT_MAX + 4096), body = CV_BUF_INIT(CV_SNAPSHOT_MAX);
    enum cv_err err;

    err = cv_backend_get_all(repo->be, CV_OBJ_SNAPSHOT, name, CV_SNAPSHOT_MAX + 4096, &obj);
    if (!err)
        err = cv_object_open(repo->keys, 'S', name, (const uint8_t *)obj.data, obj.len,
                             CV_SNAPSHOT_MAX, &body);
    if (!err)
        err = cv_snapshot_decode((const uint8_t *)body.data, body.len, s);
    if (!err)
        cv_strlcpy(s->name, name, sizeof(s->name));
    cv_buf_free(&obj);
    cv_buf_free(&body);
    return err;
}

static enum cv_err collect_snapshot(const char *name, void *arg)
{
    struct snap_list *l = arg;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct cv_snapshot *v = cv_reallocarray(l->v, cap, sizeof(*v));

        if (!v)
            return cv_fail(CV_ENOMEM, "out of memory");
        l->v = v;
        l->cap = cap;
    }
    if (cv_snapshot_read(l->repo, name, &l->v[l->n]) != CV_OK) {
        log_warn("snapshot '%s' skipped: %s", name, cv_errmsg());
        l->repo->warnings++;
        return CV_OK;
    }
    l->n++;
    return CV_OK;
}

static int snap_cmp(const void *a, const void *b)
{
    const struct cv_snapshot *x = a, *y = b;

    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    if (x->time_nsec != y->time_nsec)
        return x->time_nsec < y->time_nsec ? -1 : 1;
    return strcmp(x->name, y->name);
}

enum cv_err cv_snapshots_list(struct cv_repo *repo, struct cv_snapshot **out, size_t *n)
{
    struct snap_list l = {repo, NULL, 0, 0};
    enum cv_err err = repo->be->ops->list(repo->be, CV_OBJ_SNAPSHOT, collect_snapshot, &l, NULL);

    *out = NULL;
    *n = 0;
    if (err) {
        cv_snapshots_free(l.v, l.n);
        return err;
    }
    if (l.n)
        qsort(l.v, l.n, sizeof(*l.v), snap_cmp);
    *out = l.v;
    *n = l.n;
    return CV_OK;
}

void cv_snapshots_free(struct cv_snapshot *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cv_snapshot_clear(&s[i]);
    cv_free(s);
}

static bool is_hex(const char *s)
{
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

enum cv_err cv_snapshot_find(struct cv_repo *repo, const char *spec, struct cv_snapshot *out)
{
    struct cv_snapshot *all;
    size_t n, found = SIZE_MAX, matches = 0, len = strlen(spec);
    bool latest = strcmp(spec, "latest") == 0;
    enum cv_err err;

    memset(out, 0, sizeof(*out));
    if (!latest && (len < 4 || len > CV_SNAPSHOT_NAME_LEN || !is_hex(spec)))
        return cv_fail(CV_EINVAL, "'%s' is not a snapshot ID (4 to 64 hex digits, or 'latest')",
                       spec);
    err = cv_snapshots_list(repo, &all, &n);
    if (err)
        return err;
    for (size_t i = 0; i < n; i++) {
        if (latest || strncmp(all[i].name, spec, len) == 0) {
            found = i;
            matches++;
        }
    }
    if (latest && n)
        matches = 1;
    if (matches == 1) {
        *out = all[found];
        memset(&all[found], 0, sizeof(all[found]));
    } else if (matches == 0) {
        err = latest ? cv_fail(CV_ENOENT, "'%s' holds no snapshot yet", repo->be->location)
                     : cv_fail(CV_ENOENT, "no snapshot '%s' in '%s'", spec, repo->be->location);
    } else {
        err = cv_fail(CV_EINVAL, "'%s' matches %zu snapshots; give more digits", spec, matches);
    }
    cv_snapshots_free(all, n);
    return err;
}
