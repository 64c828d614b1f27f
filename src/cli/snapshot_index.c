/*
 * snapshot_index.c: write a snapshot's reference index into a private temporary folder for a
 * command that wants to read it (serve, print). See snapshot_index.h.
 */
#include "snapshot_index.h"
#include "vault_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_repo_open(const char *cmd, const char *repo, const char *password_file,
                  struct cv_repo **out)
{
    struct vault_args a = {.repo = repo, .password_file = password_file};

    return vault_open(cmd, &a, out);
}

void cli_repo_close(struct cv_repo *r)
{
    cv_repo_close(r);
}

int cli_snapshot_index_get(const char *cmd, const char *repo, const char *password_file,
                           const char *spec, struct cli_snapshot_index *out)
{
    struct cv_repo *r;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = cli_repo_open(cmd, repo, password_file, &r)) != 0)
        return rc;
    rc = cli_snapshot_index_from(cmd, r, repo, spec, out);
    cv_repo_close(r);
    return rc;
}

int cli_snapshot_index_from(const char *cmd, struct cv_repo *r, const char *repo, const char *spec,
                            struct cli_snapshot_index *out)
{
    const char *tmpdir = getenv("TMPDIR");
    struct cv_snapshot snap;
    uint64_t size = 0;
    enum cv_err err;
    int rc;

    memset(out, 0, sizeof(*out));
    err = cv_snapshot_find(r, spec, &snap);
    if (err)
        return cli_fail(cmd, err);
    if (!snap.has_db) {
        cli_failf(cmd,
                  "snapshot %.8s holds no reference index (it was taken without --db); "
                  "pick another with 'chartvault snapshots --repo %s'",
                  snap.name, repo);
        cv_snapshot_clear(&snap);
        return CLI_EXIT_FAIL;
    }
    out->dir = cv_malloc(strlen(tmpdir && *tmpdir ? tmpdir : "/tmp") + 32);
    if (out->dir)
        sprintf(out->dir, "%s/chartvault-snap-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!out->dir || !mkdtemp(out->dir)) {
        err = out->dir ? cv_fail_errno(CV_EIO, "cannot make a temporary folder in '%s'",
                                       tmpdir && *tmpdir ? tmpdir : "/tmp")
                       : cv_fail(CV_ENOMEM, "out of memory");
        goto out_fail;
    }
    out->path = cv_malloc(strlen(out->dir) + 16);
    if (!out->path) {
        err = cv_fail(CV_ENOMEM, "out of memory");
        goto out_fail;
    }
    sprintf(out->path, "%s/index.db", out->dir);
    err = cv_dump_index(r, &snap, out->path, false, &size);
    if (!err && chmod(out->path, 0400) != 0)
        err = cv_fail_errno(CV_EIO, "cannot make '%s' read-only", out->path);
    if (err)
        goto out_fail;
    cv_strlcpy(out->name, snap.name, sizeof(out->name));
    out->time = snap.time;
    cv_snapshot_clear(&snap);
    return CLI_EXIT_OK;
out_fail:
    cv_snapshot_clear(&snap);
    rc = cli_fail(cmd, err);
    cli_snapshot_index_drop(out);
    return rc;
}

void cli_snapshot_index_drop(struct cli_snapshot_index *s)
{
    if (s->path) {
        char side[4096];

        unlink(s->path);
        /* SQLite's WAL files, made when the copy was opened */
        snprintf(side, sizeof(side), "%s-wal", s->path);
        unlink(side);
        snprintf(side, sizeof(side), "%s-shm", s->path);
        unlink(side);
        cv_free(s->path);
    }
    if (s->dir) {
        rmdir(s->dir);
        cv_free(s->dir);
    }
    memset(s, 0, sizeof(*s));
}

int cli_snapshot_list(const char *cmd, struct cv_repo *r, struct cli_snapshot_entry **v, size_t *n)
{
    struct cv_snapshot *s = NULL;
    size_t ns = 0;
    enum cv_err err;

    *v = NULL;
    *n = 0;
    err = cv_snapshots_list(r, &s, &ns);
    if (err)
        return cli_fail(cmd, err);
    *v = cv_calloc(ns ? ns : 1, sizeof(**v));
    if (!*v) {
        cv_snapshots_free(s, ns);
        return cli_fail(cmd, cv_fail(CV_ENOMEM, "out of memory"));
    }
    for (size_t i = 0; i < ns; i++) {
        cv_strlcpy((*v)[i].name, s[i].name, sizeof((*v)[i].name));
        (*v)[i].time = s[i].time;
        (*v)[i].has_db = s[i].has_db;
        for (size_t k = 0; k < s[i].ntags; k++)
            (*v)[i].suspect |= strcmp(s[i].tags[k], "suspect") == 0;
    }
    *n = ns;
    cv_snapshots_free(s, ns);
    return CLI_EXIT_OK;
}
