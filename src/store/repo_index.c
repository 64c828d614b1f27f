/*
 * repo_index.c: loading a repository's index, and the local cache that makes it quick. The
 * cache ($XDG_CACHE_HOME/chartvault/<repository ID>/index, or ~/.cache/...) is one object in
 * the repository's own envelope (kind 'C', sealed with the repository key) holding the names of
 * the index objects it covers and their merged contents. It is rewritten only when opening had
 * to read many index objects it did not cover, written without fsync (a torn cache fails its
 * MAC and is rebuilt), and never needed: without it the index objects are read one by one.
 */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CACHE_REWRITE_AT 16 /* index objects read beyond the cache before it is rewritten */

struct name_list {
    char **v;
    size_t n, cap;
};

static enum cv_err name_add(struct name_list *l, const char *name)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **v = cv_reallocarray(l->v, cap, sizeof(*v));

        if (!v)
            return cv_fail(CV_ENOMEM, "out of memory");
        l->v = v;
        l->cap = cap;
    }
    if (!(l->v[l->n] = cv_strdup(name)))
        return cv_fail(CV_ENOMEM, "out of memory");
    l->n++;
    return CV_OK;
}

static void name_list_free(struct name_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        cv_free(l->v[i]);
    cv_free(l->v);
    memset(l, 0, sizeof(*l));
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool name_in(const struct name_list *l, const char *name)
{
    return l->n && bsearch(&name, l->v, l->n, sizeof(*l->v), name_cmp) != NULL;
}

static enum cv_err collect_name(const char *name, void *arg)
{
    return name_add(arg, name);
}

enum cv_err cv_repo_note_index(struct cv_repo *repo, const char *name)
{
    struct name_list l = {repo->index_names, repo->nindex_names, repo->nindex_names};
    enum cv_err err = name_add(&l, name);

    repo->index_names = l.v;
    repo->nindex_names = l.n;
    if (!err)
        qsort(repo->index_names, repo->nindex_names, sizeof(char *), name_cmp);
    return err;
}

/* ---- the cache file -------------------------------------------------------------------------- */
static bool cache_path(const struct cv_repo *repo, char *path, size_t n, bool make_dir)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char dir[PATH_MAX];

    if (xdg && *xdg == '/') {
        if (cv_path_format(dir, sizeof(dir), "%s/chartvault/%s", xdg, repo->cfg.id_hex))
            return false;
    } else if (home && *home == '/') {
        if (cv_path_format(dir, sizeof(dir), "%s/.cache/chartvault/%s", home, repo->cfg.id_hex))
            return false;
    } else {
        return false;
    }
    if (make_dir && cv_mkdir_p(dir, 0700) != CV_OK)
        return false;
    return cv_path_join(path, n, dir, "index") == CV_OK;
}

/* Load the cache into the index; [out] covered: the index objects it holds. Any problem just
 * means no cache. */
static void load_cache(struct cv_repo *repo, const struct name_list *listed,
                       struct name_list *covered)
{
    struct cv_buf file = CV_BUF_INIT(CV_CACHE_MAX);
    char path[PATH_MAX], name[65];
    struct cv_rd r;
    uint64_t n;
    size_t off;
    const uint8_t *raw;

    if (!cache_path(repo, path, sizeof(path), false) || access(path, R_OK) != 0)
        return;
    if (cv_buf_read_file(&file, path) != CV_OK ||
        cv_object_open_inplace(repo->keys, 'C', repo->cfg.id_hex, &file, CV_CACHE_MAX, &off) !=
            CV_OK)
        goto out_ignored;
    cv_rd_init(&r, file.data + off, file.len - off);
    if (!cv_rd_varint_max(&r, cv_rd_left(&r) / 32, &n))
        goto out_ignored;
    for (uint64_t i = 0; i < n; i++) {
        if (!cv_rd_bytes(&r, 32, &raw))
            goto out_ignored;
        cv_hex_encode(raw, 32, name);
        if (!name_in(listed, name) || name_add(covered, name) != CV_OK)
            goto out_ignored; /* it covers an object the repository lacks: start afresh */
    }
    if (cv_pack_index_adopt(&repo->ix, &file, (size_t)(r.p - (const uint8_t *)file.data)) == CV_OK)
        goto out_free; /* (adopting adds all or nothing) */
out_ignored:
    log_info("local index cache '%s' not used: %s", path, cv_errmsg());
    name_list_free(covered);
out_free:
    cv_buf_free(&file);
}

static void write_cache_file(struct cv_repo *repo, const struct cv_buf *obj)
{
    char path[PATH_MAX], tmp[PATH_MAX + 16];
    int fd;

    if (!cache_path(repo, path, sizeof(path), true))
        return;
    if (cv_path_format(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid()))
        return;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    if (write(fd, obj->data, obj->len) != (ssize_t)obj->len || close(fd) != 0 ||
        rename(tmp, path) != 0)
        unlink(tmp);
}

/* Merge everything loaded into one run, keep it, and save it as the cache: the names of the
 * index objects it covers, then one index body. The merged body replaces the runs before it
 * is sealed, so at most two copies of the index are in memory at once. */
static enum cv_err consolidate(struct cv_repo *repo)
{
    struct cv_buf body = CV_BUF_INIT(CV_CACHE_MAX), obj = CV_BUF_INIT(CV_CACHE_MAX + 4096);
    size_t names_len;
    enum cv_err err = cv_put_varint(&body, repo->nindex_names);

    for (size_t i = 0; i < repo->nindex_names && !err; i++) {
        uint8_t raw[32];

        err = cv_hex_decode(repo->index_names[i], raw, 32);
        if (!err)
            err = cv_buf_append(&body, raw, 32);
    }
    names_len = body.len;
    if (!err)
        err = cv_pack_index_encode_all(&repo->ix, &body);
    if (err) {
        cv_buf_free(&body);
        return CV_OK; /* the runs as they are still serve */
    }
    cv_pack_index_free(&repo->ix);
    cv_pack_index_init(&repo->ix);
    err = cv_pack_index_adopt(&repo->ix, &body, names_len); /* only memory can fail it now */
    cv_buf_free(&body);
    if (!err && cv_object_seal(repo->keys, 'C', repo->cfg.id_hex, repo->ix.runs[0].body.data,
                               repo->ix.runs[0].body.len, false, &obj) == CV_OK)
        write_cache_file(repo, &obj);
    cv_buf_free(&obj);
    return err;
}

/* ---- index objects -----------------------------------------------------------------------------
 */
enum cv_err cv_repo_read_index_object(struct cv_repo *repo, const char *name,
                                      struct cv_pack_index *ix)
{
    struct cv_buf obj = CV_BUF_INIT(CV_INDEX_MAX + 4096);
    size_t off;
    enum cv_err err;

    err = cv_backend_get_all(repo->be, CV_OBJ_INDEX, name, CV_INDEX_MAX + 4096, &obj);
    if (!err)
        err = cv_object_open_inplace(repo->keys, 'I', name, &obj, CV_INDEX_MAX, &off);
    if (!err)
        err = cv_pack_index_adopt(ix, &obj, off); /* used where it was read */
    cv_buf_free(&obj);
    return err;
}

enum cv_err cv_repo_load_index(struct cv_repo *repo)
{
    struct name_list listed = {0}, cached = {0}, loaded = {0};
    size_t fresh = 0;
    enum cv_err err;

    err = repo->be->ops->list(repo->be, CV_OBJ_INDEX, collect_name, &listed, NULL);
    if (err)
        goto out_free;
    if (listed.n)
        qsort(listed.v, listed.n, sizeof(*listed.v), name_cmp);
    load_cache(repo, &listed, &cached);
    if (cached.n)
        qsort(cached.v, cached.n, sizeof(*cached.v), name_cmp);
    for (size_t i = 0; i < listed.n && !err; i++) {
        if (!name_in(&cached, listed.v[i]) &&
            cv_repo_read_index_object(repo, listed.v[i], &repo->ix) != CV_OK) {
            log_warn("index object '%s' skipped: %s", listed.v[i], cv_errmsg());
            repo->warnings++;
            continue;
        }
        if (!name_in(&cached, listed.v[i]))
            fresh++;
        err = name_add(&loaded, listed.v[i]);
    }
    repo->index_names = loaded.v; /* sorted, as `listed` was */
    repo->nindex_names = loaded.n;
    if (!err && fresh >= CACHE_REWRITE_AT)
        err = consolidate(repo);
out_free:
    name_list_free(&listed);
    name_list_free(&cached);
    return err;
}
