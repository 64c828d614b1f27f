/*
 * repo.c: making and opening repositories. `init` writes a key file (the master key wrapped
 * by Argon2id from the passphrase) and then the config; `open` unwraps the key, checks the
 * config's MAC and loads the index: first from the local cache, then every index object the
 * cache does not cover. A damaged index object is skipped with a warning (its blobs look
 * absent, so a backup stores them again and `check` names it); the cache is only ever a
 * shortcut and is ignored when anything about it is wrong.
 */
#include "store_int.h"

#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_CHUNK_SIZE (64u << 10)
#define DEFAULT_BLOCK_SIZE (256u << 10)
#define DEFAULT_PACK_SIZE  (8u << 20)
#define DEFAULT_LEVEL      3

static void kdf_cost(enum cv_kdf_cost cost, struct cv_keyfile *kf)
{
    switch (cost) {
    case CV_KDF_STRONG:
        kf->ops = 4;
        kf->mem = 1024ull << 20;
        break;
    case CV_KDF_FAST: /* tests only; the cost is recorded, so it never leaks into others */
        kf->ops = 1;
        kf->mem = 1ull << 20;
        break;
    default: /* RFC 9106, second recommended option */
        kf->ops = 3;
        kf->mem = 64ull << 20;
        break;
    }
}

static enum cv_err write_key(struct cv_backend *be, const struct cv_repo_config *cfg,
                             enum cv_kdf_cost cost, const char *pass, const uint8_t master[32])
{
    struct cv_keyfile kf;
    struct cv_buf text = CV_BUF_INIT(CV_KEYFILE_MAX);
    char name[65];
    enum cv_err err;

    memset(&kf, 0, sizeof(kf));
    kdf_cost(cost, &kf);
    err = cv_keyfile_wrap(&kf, cfg->id, pass, master);
    if (!err)
        err = cv_keyfile_format(&kf, &text);
    cv_obj_name_random(name);
    if (!err)
        err = be->ops->put(be, CV_OBJ_KEY, name, text.data, text.len);
    if (!err)
        err = be->ops->sync(be);
    cv_buf_free(&text);
    return err;
}

enum cv_err cv_repo_init(const char *location, const char *passphrase,
                         const struct cv_repo_init_opts *opts, char id[65])
{
    return cv_repo_init_with(location, passphrase, opts, NULL, id);
}

enum cv_err cv_repo_init_with(const char *location, const char *passphrase,
                              const struct cv_repo_init_opts *opts,
                              const struct cv_backend_opts *bopts, char id[65])
{
    struct cv_backend *be = NULL;
    struct cv_keys *keys = NULL;
    struct cv_repo_config cfg;
    struct cv_buf text = CV_BUF_INIT(CV_CONFIG_MAX);
    uint8_t *master;
    enum cv_err err;

    id[0] = '\0';
    if (sodium_init() < 0)
        return cv_fail(CV_ECRYPTO, "libsodium failed to initialise");
    master = sodium_malloc(32);
    if (!master)
        return cv_fail(CV_ENOMEM, "out of memory");
    memset(&cfg, 0, sizeof(cfg));
    randombytes_buf(master, 32);
    randombytes_buf(cfg.id, sizeof(cfg.id));
    cv_hex_encode(cfg.id, sizeof(cfg.id), cfg.id_hex);
    cfg.chunk_size = opts && opts->chunk_size ? opts->chunk_size : DEFAULT_CHUNK_SIZE;
    cfg.block_size = DEFAULT_BLOCK_SIZE;
    cfg.pack_size = opts && opts->pack_size ? opts->pack_size : DEFAULT_PACK_SIZE;
    cfg.level = DEFAULT_LEVEL;
    cfg.version = opts && opts->format ? opts->format : CV_FORMAT_VERSION;
    cfg.merge_fan_in = opts && opts->merge_fan_in ? opts->merge_fan_in : CV_MERGE_FAN_IN;
    cfg.merge_levels = opts && opts->merge_levels ? opts->merge_levels : CV_MERGE_LEVELS;
    if (cfg.chunk_size < 4096 || cfg.chunk_size > CV_CHUNK_MAX) {
        sodium_free(master);
        return cv_fail(CV_EINVAL, "a chunk size of %u bytes is outside 4 KiB to 1 MiB",
                       cfg.chunk_size);
    }
    if (cfg.version < 1 || cfg.version > CV_FORMAT_VERSION) {
        sodium_free(master);
        return cv_fail(CV_EINVAL, "format %u is not one this chartvault writes (1 to %u)",
                       cfg.version, CV_FORMAT_VERSION);
    }
    {
        struct cv_backend_opts bo = {0};

        if (bopts)
            bo = *bopts;
        bo.create = true;
        err = cv_backend_open(location, &bo, &be);
    }
    if (!err)
        err = cv_keys_from_master(master, &keys);
    if (!err) /* the key first: a repository without config is not one, so a crash here is safe */
        err = write_key(be, &cfg, opts ? opts->kdf : CV_KDF_DEFAULT, passphrase, master);
    if (!err)
        err = cv_repo_config_format(&cfg, keys, &text);
    if (!err)
        err = be->ops->put(be, CV_OBJ_CONFIG, NULL, text.data, text.len);
    if (!err)
        err = be->ops->sync(be);
    if (!err)
        cv_strlcpy(id, cfg.id_hex, 65);
    cv_buf_free(&text);
    cv_keys_free(keys);
    sodium_free(master);
    cv_backend_close(be);
    return err;
}

/* ---- opening ------------------------------------------------------------------------------- */
struct key_try {
    struct cv_repo *repo;
    const char *pass;
    uint8_t *master;
    bool opened;
    enum cv_err other; /* first failure that was not a wrong passphrase */
};

static enum cv_err try_key(const char *name, void *arg)
{
    struct key_try *t = arg;
    struct cv_buf text = CV_BUF_INIT(CV_KEYFILE_MAX);
    struct cv_keyfile kf;
    enum cv_err err;

    if (t->opened)
        return CV_OK;
    err = cv_backend_get_all(t->repo->be, CV_OBJ_KEY, name, CV_KEYFILE_MAX, &text);
    if (!err && (err = cv_keyfile_parse(text.data, text.len, &kf)) != CV_OK)
        cv_fail_prefix(err, "key file '%s/keys/%s': ", t->repo->be->location, name);
    if (!err)
        err = cv_keyfile_unwrap(&kf, t->repo->cfg.id, t->pass, t->master);
    cv_buf_free(&text);
    if (!err)
        t->opened = true;
    else if (err != CV_EAUTH && !t->other)
        t->other = err; /* keep its message: it explains more than "wrong passphrase" */
    return err == CV_EPERM ? err : CV_OK;
}

static enum cv_err open_keys(struct cv_repo *repo, const char *pass)
{
    struct key_try t = {repo, pass, NULL, false, CV_OK};
    enum cv_err err;

    t.master = sodium_malloc(32);
    if (!t.master)
        return cv_fail(CV_ENOMEM, "out of memory");
    err = repo->be->ops->list(repo->be, CV_OBJ_KEY, try_key, &t, NULL);
    if (!err && !t.opened)
        err =
            t.other ? t.other : cv_fail(CV_EAUTH, "wrong passphrase for '%s'", repo->be->location);
    if (!err)
        err = cv_keys_from_master(t.master, &repo->keys);
    sodium_free(t.master);
    return err;
}

static enum cv_err read_config(struct cv_repo *repo, struct cv_buf *text)
{
    enum cv_err err = cv_backend_get_all(repo->be, CV_OBJ_CONFIG, NULL, CV_CONFIG_MAX, text);

    if (!err && (err = cv_repo_config_parse(text->data, text->len, &repo->cfg)) != CV_OK)
        cv_fail_prefix(err, "'%s/config': ", repo->be->location);
    return err;
}

enum cv_err cv_repo_open(const char *location, const char *passphrase, struct cv_repo **out)
{
    return cv_repo_open_with(location, passphrase, NULL, out);
}

struct cv_backend *cv_repo_backend(struct cv_repo *repo)
{
    return repo->be;
}

enum cv_err cv_repo_open_with(const char *location, const char *passphrase,
                              const struct cv_backend_opts *opts, struct cv_repo **out)
{
    struct cv_repo *repo = cv_calloc(1, sizeof(*repo));
    struct cv_buf config = CV_BUF_INIT(CV_CONFIG_MAX);
    enum cv_err err;

    *out = NULL;
    if (!repo)
        return cv_fail(CV_ENOMEM, "out of memory");
    cv_pack_index_init(&repo->ix);
    err = cv_backend_open(location, opts, &repo->be);
    if (!err)
        err = read_config(repo, &config);
    if (!err)
        err = open_keys(repo, passphrase);
    if (!err)
        err = cv_repo_config_verify(&repo->cfg, repo->keys, config.data, location);
    if (!err)
        err = cv_repo_load_index(repo);
    cv_buf_free(&config);
    if (err) {
        cv_repo_close(repo);
        return err;
    }
    *out = repo;
    return CV_OK;
}

void cv_repo_close(struct cv_repo *repo)
{
    if (!repo)
        return;
    cv_pack_index_free(&repo->ix);
    for (size_t i = 0; i < repo->nindex_names; i++)
        cv_free(repo->index_names[i]);
    cv_free(repo->index_names);
    cv_names_free(&repo->prune_known);
    cv_keys_free(repo->keys);
    cv_backend_close(repo->be);
    cv_free(repo);
}

const char *cv_repo_id(const struct cv_repo *repo)
{
    return repo->cfg.id_hex;
}

unsigned cv_repo_format(const struct cv_repo *repo)
{
    return repo->cfg.version;
}

uint64_t cv_repo_warnings(const struct cv_repo *repo)
{
    return repo->warnings;
}
