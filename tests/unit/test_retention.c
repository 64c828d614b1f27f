/*
 * test_retention.c: which snapshots a keep policy keeps (per host and source, the newest of
 * each always; last N; within a duration of the newest; the newest of each of the last N
 * hours/days/weeks/months/years that have one; a tag limiting what is judged), the prune
 * record's encoding, and what forget and prune do when the storage keeps an object under a lock
 * (the answer an S3 bucket with Object Lock gives until the retention date: backend_remove.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <chartvault/retention.h>

#include "store/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DAY  86400
#define HOUR 3600

static struct cv_snapshot snaps[32];
static size_t nsnaps;
static char *tag_v[32][1];

/* 2026-12-01 00:00 UTC */
#define T0 1796083200

static void add(int64_t t, const char *source, const char *tag)
{
    struct cv_snapshot *s = &snaps[nsnaps];

    memset(s, 0, sizeof(*s));
    snprintf(s->name, sizeof(s->name), "%064zx", nsnaps);
    s->time = t;
    s->hostname = (char *)"host";
    s->source = (char *)source;
    if (tag) {
        tag_v[nsnaps][0] = (char *)tag;
        s->tags = tag_v[nsnaps];
        s->ntags = 1;
    }
    nsnaps++;
}

/* The kept snapshots' numbers (oldest first, as added), as "0 3 4". */
static const char *kept(const struct cv_keep_policy *p)
{
    static char out[256];
    bool keep[32];
    char why[32][CV_KEEP_WHY_MAX];

    cv_forget_plan(snaps, nsnaps, p, keep, why);
    out[0] = '\0';
    for (size_t i = 0; i < nsnaps; i++)
        if (keep[i])
            snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%zu", out[0] ? " " : "", i);
    return out;
}

static int setup(void **state)
{
    (void)state;
    setenv("TZ", "UTC", 1);
    tzset();
    nsnaps = 0;
    return 0;
}

static void test_last_and_within(void **state)
{
    struct cv_keep_policy p = {0};

    (void)state;
    for (int i = 0; i < 6; i++)
        add(T0 + i * 15 * 60, "/src", NULL); /* every 15 minutes */
    p.last = 2;
    assert_string_equal(kept(&p), "4 5");
    p.last = 0;
    p.within = 30 * 60;
    assert_string_equal(kept(&p), "3 4 5");
    p.within = 0;
    p.last = 100;
    assert_string_equal(kept(&p), "0 1 2 3 4 5");
}

static void test_buckets(void **state)
{
    struct cv_keep_policy p = {0};

    (void)state;
    /* three days, several a day; then the next month */
    add(T0 + 1 * HOUR, "/src", NULL);            /* 0: day 1 */
    add(T0 + 5 * HOUR, "/src", NULL);            /* 1: day 1, newest of it */
    add(T0 + DAY + 2 * HOUR, "/src", NULL);      /* 2: day 2 */
    add(T0 + DAY + 2 * HOUR + 60, "/src", NULL); /* 3: day 2, same hour */
    add(T0 + DAY + 9 * HOUR, "/src", NULL);      /* 4: day 2, newest */
    add(T0 + 2 * DAY + HOUR, "/src", NULL);      /* 5: day 3 */
    add(T0 + 31 * DAY + HOUR, "/src", NULL);     /* 6: January */
    p.daily = 2;
    assert_string_equal(kept(&p), "5 6");
    p.daily = 4;
    assert_string_equal(kept(&p), "1 4 5 6");
    p.daily = 0;
    p.hourly = 4;
    assert_string_equal(kept(&p), "3 4 5 6");
    p.hourly = 0;
    p.monthly = 2;
    assert_string_equal(kept(&p), "5 6");
    p.monthly = 1;
    p.yearly = 2; /* 2026 and 2027 */
    assert_string_equal(kept(&p), "5 6");
}

static void test_groups_and_tags(void **state)
{
    struct cv_keep_policy p = {0};
    char why[32][CV_KEEP_WHY_MAX];
    bool keep[32];

    (void)state;
    add(T0, "/a", "x");       /* 0 */
    add(T0 + 10, "/b", NULL); /* 1 */
    add(T0 + 20, "/a", "x");  /* 2 */
    add(T0 + 30, "/b", NULL); /* 3 */
    add(T0 + 40, "/a", NULL); /* 4: the newest of /a, but without tag x */
    p.last = 1;
    assert_string_equal(kept(&p), "3 4"); /* the newest of each source */
    p.tag = "x";
    assert_string_equal(kept(&p), "1 2 3 4"); /* only 0 and 2 judged: 2 kept */
    cv_forget_plan(snaps, nsnaps, &p, keep, why);
    assert_non_null(strstr(why[1], "not tagged"));
    assert_non_null(strstr(why[2], "newest"));
}

static void test_record(void **state)
{
    struct cv_prune_record r, back;
    struct cv_buf out = CV_BUF_INIT(1 << 20);
    uint8_t ids[3][32];

    (void)state;
    memset(&r, 0, sizeof(r));
    memset(ids, 7, sizeof(ids));
    ids[1][0] = 9;
    r.time = T0;
    r.grace = 60;
    r.snaps = ids;
    r.nsnaps = 2;
    r.packs = ids + 2;
    r.npacks = 1;
    assert_int_equal(cv_prune_record_encode(&r, &out), CV_OK);
    assert_int_equal(cv_prune_record_decode((const uint8_t *)out.data, out.len, &back), CV_OK);
    assert_int_equal(back.time, T0);
    assert_int_equal(back.grace, 60);
    assert_int_equal(back.nsnaps, 2);
    assert_int_equal(back.npacks, 1);
    assert_memory_equal(back.snaps[1], ids[1], 32);
    cv_prune_record_clear(&back);
    assert_int_equal(cv_prune_record_decode((const uint8_t *)out.data, out.len - 1, &back),
                     CV_ECORRUPT);
    cv_buf_free(&out);
}

/* ---- a storage that locks objects --------------------------------------------------------- */
/* The local remover, except that objects of the kinds in `locked` are kept and answered
 * CV_REMOVE_LOCKED, as a bucket under Object Lock answers before their retention date. */
struct locking_remover {
    struct cv_remover base;
    struct cv_remover *real;
    unsigned locked; /* 1u << enum cv_obj_kind */
    unsigned asked;  /* removals answered "locked" */
};

static enum cv_err lk_remove(struct cv_remover *rm, enum cv_obj_kind kind, const char *name,
                             enum cv_remove_result *res)
{
    struct locking_remover *l = (struct locking_remover *)rm;

    if (l->locked & (1u << kind)) {
        l->asked++;
        *res = CV_REMOVE_LOCKED;
        return CV_OK;
    }
    return l->real->ops->remove(l->real, kind, name, res);
}

static enum cv_err lk_sync(struct cv_remover *rm)
{
    struct locking_remover *l = (struct locking_remover *)rm;

    return l->real->ops->sync(l->real);
}

static void lk_close(struct cv_remover *rm)
{
    (void)rm;
}

/* Asked before a prune writes anything, as S3 is: the same answers without removing. */
static enum cv_err lk_probe(struct cv_remover *rm, enum cv_obj_kind kind, const char *name,
                            enum cv_remove_result *res)
{
    struct locking_remover *l = (struct locking_remover *)rm;

    (void)name;
    *res = CV_REMOVED;
    if (l->locked & (1u << kind)) {
        l->asked++;
        *res = CV_REMOVE_LOCKED;
        rm->until = 2000000000;
    }
    return CV_OK;
}

static enum cv_err lk_list(struct cv_remover *rm, enum cv_obj_kind kind, cv_remover_list_fn fn,
                           void *arg)
{
    struct locking_remover *l = (struct locking_remover *)rm;

    return l->real->ops->list(l->real, kind, fn, arg);
}

static const struct cv_remover_ops lk_ops = {lk_remove, lk_sync, lk_close, lk_probe, lk_list};

static void write_file(const char *dir, const char *name, size_t n, unsigned seed)
{
    char path[600];
    FILE *f;

    assert_true(snprintf(path, sizeof(path), "%s/%s", dir, name) < (int)sizeof(path));
    assert_non_null(f = fopen(path, "wb"));
    srand(seed);
    for (size_t i = 0; i < n; i++)
        fputc(rand() & 0xff, f);
    assert_int_equal(fclose(f), 0);
}

static size_t count_files(const char *dir)
{
    char cmd[600];
    FILE *p;
    size_t n = 0;

    snprintf(cmd, sizeof(cmd), "find '%s' -type f | wc -l", dir);
    assert_non_null(p = popen(cmd, "r"));
    assert_int_equal(fscanf(p, "%zu", &n), 1);
    pclose(p);
    return n;
}

static void check_sound(struct cv_repo *repo)
{
    struct cv_check_opts co = {.read_data = true, .subset_percent = 100};
    struct cv_check_stats cs;

    assert_int_equal(cv_repo_refresh(repo), CV_OK);
    assert_int_equal(cv_check(repo, &co, &cs), CV_OK);
    assert_int_equal(cs.problems, 0);
    assert_int_equal(cs.affected_files, 0);
}

/* forget and prune through a storage that keeps what it locks: a locked snapshot is counted,
 * not an error, and stays listed; locked packs stay indexed (the repository checks) and the
 * next prune, once the lock is gone, removes them; a locked index object keeps the packs it
 * names. */
static void test_locked_objects(void **state)
{
    char base[] = "/tmp/cv-test-retention-XXXXXX", src[600], repo_dir[600], packs[600];
    struct cv_repo_init_opts io = {.kdf = CV_KDF_FAST, .pack_size = 64 << 10};
    struct cv_backup_opts bo = {.read_all = true};
    struct cv_keep_policy keep1 = {.last = 1};
    struct cv_prune_opts po = {.grace = CV_PRUNE_NO_GRACE};
    struct cv_forget_stats fs;
    struct cv_prune_stats ps;
    struct cv_backup_stats bs;
    struct locking_remover lk = {{&lk_ops, NULL, 0}, NULL, 0, 0};
    struct cv_repo *repo;
    struct cv_snapshot *all;
    char rid[65], name[CV_SNAPSHOT_NAME_LEN + 1], cmd[700];
    size_t n, npacks;

    (void)state;
    assert_non_null(mkdtemp(base));
    assert_true(snprintf(src, sizeof(src), "%s/src", base) < (int)sizeof(src));
    assert_true(snprintf(repo_dir, sizeof(repo_dir), "%s/repo", base) < (int)sizeof(repo_dir));
    assert_true(snprintf(packs, sizeof(packs), "%s/packs", repo_dir) < (int)sizeof(packs));
    assert_int_equal(mkdir(src, 0700), 0);
    bo.source = src;
    assert_int_equal(cv_repo_init(repo_dir, "pw", &io, rid), CV_OK);
    assert_int_equal(cv_repo_open(repo_dir, "pw", &repo), CV_OK);
    assert_int_equal(cv_remover_open(repo_dir, &lk.real), CV_OK);
    lk.base.location = lk.real->location;
    /* two snapshots; the data only the first holds (300 KB, several packs) is what prune finds */
    write_file(src, "a", 300000, 1);
    write_file(src, "b", 1000, 2);
    assert_int_equal(cv_backup(repo, &bo, name, &bs), CV_OK);
    snprintf(cmd, sizeof(cmd), "%s/a", src);
    assert_int_equal(unlink(cmd), 0);
    assert_int_equal(cv_backup(repo, &bo, name, &bs), CV_OK);

    /* forget: the storage keeps the snapshot */
    lk.locked = 1u << CV_OBJ_SNAPSHOT;
    assert_int_equal(cv_forget(repo, &lk.base, &keep1, false, NULL, NULL, &fs), CV_OK);
    assert_int_equal(fs.locked, 1);
    assert_int_equal(cv_snapshots_list(repo, &all, &n), CV_OK);
    cv_snapshots_free(all, n);
    assert_int_equal(n, 2);
    lk.locked = 0;
    assert_int_equal(cv_forget(repo, &lk.base, &keep1, false, NULL, NULL, &fs), CV_OK);
    assert_int_equal(fs.forgotten, 1);
    assert_int_equal(fs.locked, 0);

    /* prune: every pack locked. Nothing goes, it is no failure, and what stays is indexed */
    npacks = count_files(packs);
    lk.locked = 1u << CV_OBJ_PACK;
    assert_int_equal(cv_prune(repo, &lk.base, &po, &ps), CV_OK);
    assert_true(ps.packs_unused > 0);
    assert_int_equal(ps.locked, ps.packs_unused);
    assert_int_equal(ps.removed, 0);
    assert_int_equal(count_files(packs), npacks);
    check_sound(repo);
    po.dry_run = true; /* still indexed, so still found */
    assert_int_equal(cv_prune(repo, &lk.base, &po, &ps), CV_OK);
    assert_true(ps.packs_unused > 0);
    po.dry_run = false;

    /* the index objects locked: the packs they name must stay */
    lk.locked = 1u << CV_OBJ_INDEX;
    lk.asked = 0;
    assert_int_equal(cv_prune(repo, &lk.base, &po, &ps), CV_OK);
    assert_true(lk.asked > 0);
    assert_int_equal(ps.removed, 0);
    assert_int_equal(count_files(packs), npacks);
    check_sound(repo);

    /* the locks expired: the next prune removes them */
    lk.locked = 0;
    assert_int_equal(cv_prune(repo, &lk.base, &po, &ps), CV_OK);
    assert_true(ps.removed > 0);
    assert_int_equal(ps.locked, 0);
    assert_int_equal(count_files(packs), npacks - ps.removed);
    check_sound(repo);
    npacks -= ps.removed;

    /* packs no index names, as a backup killed before its index object leaves them: one
     * written two days ago goes, one written now (maybe a running backup's) stays; while the
     * storage locks it, the old one is kept and counted */
    {
        char old_pack[3 + CV_OBJ_NAME_LEN + 1] = "ab/ab",
                                            new_pack[3 + CV_OBJ_NAME_LEN + 1] = "cd/cd";
        struct timespec when[2] = {{time(NULL) - 2 * 86400, 0}, {time(NULL) - 2 * 86400, 0}};

        memset(old_pack + 5, '0', CV_OBJ_NAME_LEN - 2);
        memset(new_pack + 5, '0', CV_OBJ_NAME_LEN - 2);

        assert_true(snprintf(cmd, sizeof(cmd), "%s/ab", packs) < (int)sizeof(cmd));
        assert_true(mkdir(cmd, 0700) == 0 || errno == EEXIST);
        assert_true(snprintf(cmd, sizeof(cmd), "%s/cd", packs) < (int)sizeof(cmd));
        assert_true(mkdir(cmd, 0700) == 0 || errno == EEXIST);
        write_file(packs, old_pack, 5000, 3);
        write_file(packs, new_pack, 7000, 4);
        assert_true(snprintf(cmd, sizeof(cmd), "%s/%s", packs, old_pack) < (int)sizeof(cmd));
        assert_int_equal(utimensat(AT_FDCWD, cmd, when, 0), 0);
        po.dry_run = true;
        assert_int_equal(cv_prune(repo, &lk.base, &po, &ps), CV_OK);
        assert_int_equal(ps.unindexed, 1);
        assert_int_equal(ps.unindexed_bytes, 5000);
        assert_int_equal(ps.unindexed_young, 1);
        assert_int_equal(count_files(packs), npacks + 2);
        po.dry_run = false;
        lk.locked = 1u << CV_OBJ_PACK;
        assert_int_equal(cv_prune(repo, &lk.base, &po, &ps), CV_OK);
        assert_int_equal(ps.locked, 1);
        assert_int_equal(ps.removed, 0);
        assert_int_equal(count_files(packs), npacks + 2);
        lk.locked = 0;
        assert_int_equal(cv_prune(repo, lk.real, &po, &ps), CV_OK); /* the plain local one */
        assert_int_equal(ps.removed, 1);
        assert_int_equal(ps.freed_bytes, 5000);
        assert_int_equal(access(cmd, F_OK), -1);
        assert_int_equal(count_files(packs), npacks + 1);
        check_sound(repo);
    }

    cv_remover_close(lk.real);
    cv_repo_close(repo);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_last_and_within, setup),
        cmocka_unit_test_setup(test_buckets, setup),
        cmocka_unit_test_setup(test_groups_and_tags, setup),
        cmocka_unit_test(test_record),
        cmocka_unit_test(test_locked_objects),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
