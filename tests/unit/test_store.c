/*
 * test_store.c: the vault's pieces on their own: varints, trees, config and key files, index
 * objects, the object envelope, snapshot fields, blocks and packs through a real repository
 * (including a damaged block read from its ditto copy), and a backup and restore run with
 * every allocation failing in turn.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "store/store_int.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char scratch[256];

static const char *tmpdir(const char *name)
{
    static char path[512];
    char cmd[600];

    snprintf(path, sizeof(path), "%s/%s", scratch, name);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
    assert_int_equal(system(cmd), 0);
    return path;
}

static void test_varints(void **state)
{
    struct cv_buf b = CV_BUF_INIT(64);
    uint64_t vals[] = {0, 1, 127, 128, 300, UINT32_MAX, UINT64_MAX}, v;
    struct cv_rd r;
    int64_t s;

    (void)state;
    for (size_t i = 0; i < CV_ARRAY_LEN(vals); i++)
        assert_int_equal(cv_put_varint(&b, vals[i]), CV_OK);
    assert_int_equal(cv_put_svarint(&b, -5), CV_OK);
    cv_rd_init(&r, b.data, b.len);
    for (size_t i = 0; i < CV_ARRAY_LEN(vals); i++) {
        assert_true(cv_rd_varint(&r, &v));
        assert_true(v == vals[i]);
    }
    assert_true(cv_rd_svarint(&r, &s));
    assert_int_equal(s, -5);
    assert_false(cv_rd_varint(&r, &v)); /* at the end */
    cv_rd_init(&r, "\x80\x00", 2);      /* not the shortest spelling of 0 */
    assert_false(cv_rd_varint(&r, &v));
    cv_rd_init(&r, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10); /* 65 bits */
    assert_false(cv_rd_varint(&r, &v));
    cv_rd_init(&r, "\x80", 1);
    assert_false(cv_rd_varint(&r, &v));
    cv_buf_free(&b);
}

static void put_file(struct cv_buf *b, const char *name, uint64_t size)
{
    static const uint8_t ids[2 * CV_ID_LEN] = {1, 2, 3};
    struct cv_tree_entry e;

    memset(&e, 0, sizeof(e));
    e.kind = CV_TE_FILE;
    e.name = name;
    e.name_len = strlen(name);
    e.mode = 0644;
    e.mtime_sec = -1; /* before 1970 must survive */
    e.mtime_nsec = 999999999;
    e.size = size;
    e.nchunks = size ? 1 : 0;
    e.chunks = ids;
    assert_int_equal(cv_tree_put(b, &e), CV_OK);
}

static int count_entries(const void *p, size_t n, enum cv_err *err)
{
    struct cv_tree_rd t;
    struct cv_tree_entry e;
    bool more;
    int count = 0;

    cv_tree_rd_inline(&t, p, n);
    while ((*err = cv_tree_next(&t, &e, &more)) == CV_OK && more)
        count++;
    return count;
}

static void test_trees(void **state)
{
    struct cv_buf b = CV_BUF_INIT(4096);
    struct cv_tree_rd t;
    struct cv_tree_entry e;
    enum cv_err err;
    bool more;

    (void)state;
    put_file(&b, "a", 10);
    put_file(&b, "b_1", 0);
    put_file(&b, "b_2", 3);
    assert_int_equal(count_entries(b.data, b.len, &err), 3);
    assert_int_equal(err, CV_OK);
    cv_tree_rd_inline(&t, (const uint8_t *)b.data, b.len);
    assert_int_equal(cv_tree_next(&t, &e, &more), CV_OK);
    assert_true(more && e.mtime_sec == -1 && e.mtime_nsec == 999999999 && e.size == 10);
    cv_buf_reset(&b);
    put_file(&b, "b", 1);
    put_file(&b, "a", 1); /* out of order */
    assert_int_equal(count_entries(b.data, b.len, &err), 1);
    assert_int_equal(err, CV_ECORRUPT);
    cv_buf_reset(&b);
    put_file(&b, "a", 1);
    put_file(&b, "a", 1); /* twice */
    count_entries(b.data, b.len, &err);
    assert_int_equal(err, CV_ECORRUPT);
    const char *bad[] = {".", "..", "a/b"};
    for (size_t i = 0; i < CV_ARRAY_LEN(bad); i++) {
        cv_buf_reset(&b);
        put_file(&b, bad[i], 1);
        assert_int_equal(count_entries(b.data, b.len, &err), 0);
        assert_int_equal(err, CV_ECORRUPT);
    }
    assert_false(cv_tree_name_ok("x\0y", 3));
    cv_buf_reset(&b);
    put_file(&b, "a", 1);
    b.len--; /* truncated */
    count_entries(b.data, b.len, &err);
    assert_int_equal(err, CV_ECORRUPT);
    cv_buf_free(&b);
}

static struct cv_keys *keys(uint8_t seed)
{
    uint8_t master[32];
    struct cv_keys *k;

    memset(master, seed, sizeof(master));
    assert_int_equal(cv_keys_from_master(master, &k), CV_OK);
    return k;
}

static void test_config_and_keys(void **state)
{
    struct cv_keys *k = keys(1), *other = keys(2);
    struct cv_repo_config c, back;
    struct cv_keyfile kf, kf2;
    struct cv_buf text = CV_BUF_INIT(4096);
    uint8_t master[32] = {42}, out[32];
    char *p;

    (void)state;
    memset(&c, 0, sizeof(c));
    memset(c.id, 7, sizeof(c.id));
    cv_hex_encode(c.id, 32, c.id_hex);
    c.chunk_size = 65536;
    c.block_size = 262144;
    c.pack_size = 8 << 20;
    c.level = 3;
    c.version = CV_FORMAT_VERSION;
    c.merge_fan_in = 16;
    c.merge_levels = 3;
    assert_int_equal(cv_repo_config_format(&c, k, &text), CV_OK);
    assert_int_equal(cv_repo_config_parse(text.data, text.len, &back), CV_OK);
    assert_int_equal(back.pack_size, c.pack_size);
    assert_int_equal(cv_repo_config_verify(&back, k, text.data, "r"), CV_OK);
    assert_int_equal(cv_repo_config_verify(&back, other, text.data, "r"), CV_ECORRUPT);
    p = strstr(text.data, "zstd 3");
    p[5] = '9'; /* a changed setting no longer matches its MAC */
    assert_int_equal(cv_repo_config_parse(text.data, text.len, &back), CV_OK);
    assert_int_equal(cv_repo_config_verify(&back, k, text.data, "r"), CV_ECORRUPT);
    assert_int_equal(cv_repo_config_parse("chartvault-repository 1\nid 00\n", 30, &back),
                     CV_EPARSE);
    assert_int_equal(cv_repo_config_parse("nope\n", 5, &back), CV_EPARSE);

    memset(&kf, 0, sizeof(kf));
    kf.ops = 1;
    kf.mem = 1 << 20;
    assert_int_equal(cv_keyfile_wrap(&kf, c.id, "right", master), CV_OK);
    cv_buf_reset(&text);
    assert_int_equal(cv_keyfile_format(&kf, &text), CV_OK);
    assert_int_equal(cv_keyfile_parse(text.data, text.len, &kf2), CV_OK);
    assert_int_equal(cv_keyfile_unwrap(&kf2, c.id, "right", out), CV_OK);
    assert_memory_equal(out, master, 32);
    assert_int_equal(cv_keyfile_unwrap(&kf2, c.id, "wrong", out), CV_EAUTH);
    c.id[0] ^= 1; /* a key file moved to another repository does not open */
    assert_int_equal(cv_keyfile_unwrap(&kf2, c.id, "right", out), CV_EAUTH);
    assert_int_equal(cv_keyfile_parse("chartvault-key 1\nops 99\n", 24, &kf2), CV_EPARSE);
    cv_buf_free(&text);
    cv_keys_free(k);
    cv_keys_free(other);
}

static void test_index_objects(void **state)
{
    struct cv_pack_index ix, back;
    struct cv_buf body = CV_BUF_INIT(1 << 20);
    uint8_t name[32] = {5}, id[32];
    uint32_t pack, block;
    struct cv_blob_loc loc;
    bool added;

    (void)state;
    cv_pack_index_init(&ix);
    cv_pack_index_init(&back);
    assert_int_equal(cv_pack_index_add_pack(&ix, name, &pack), CV_OK);
    cv_pack_index_set_pack_size(&ix, pack, 100000);
    assert_int_equal(cv_pack_index_add_block(&ix, CV_BLOB_DATA, &block), CV_OK);
    cv_pack_index_set_block(&ix, block, pack, 8, 5000, 50000);
    for (int i = 0; i < 3000; i++) { /* enough to grow the table a few times */
        memset(id, 0, sizeof(id));
        memcpy(id, &i, sizeof(i));
        assert_int_equal(cv_pack_index_add_entry(&ix, id, block, (uint32_t)i, 10, &added), CV_OK);
        assert_true(added);
    }
    assert_int_equal(cv_pack_index_add_entry(&ix, id, block, 0, 10, &added), CV_OK);
    assert_false(added);
    assert_int_equal(cv_pack_index_encode(&ix, 0, 0, 0, &body), CV_OK);
    assert_int_equal(cv_pack_index_decode(&back, (const uint8_t *)body.data, body.len), CV_OK);
    assert_int_equal(cv_pack_index_count(&back), 3000);
    assert_true(cv_pack_index_locate(&back, id, &loc));
    assert_int_equal(loc.off, 2999);
    assert_int_equal(loc.offset, 8);
    /* a second copy of the same object: merging keeps each blob once, blocks renumbered */
    assert_int_equal(cv_pack_index_decode(&back, (const uint8_t *)body.data, body.len), CV_OK);
    assert_int_equal(cv_pack_index_count(&back), 6000);
    cv_buf_reset(&body);
    assert_int_equal(cv_pack_index_encode_all(&back, &body), CV_OK);
    cv_pack_index_free(&back);
    cv_pack_index_init(&back);
    assert_int_equal(cv_pack_index_decode(&back, (const uint8_t *)body.data, body.len), CV_OK);
    assert_int_equal(cv_pack_index_count(&back), 3000);
    assert_true(cv_pack_index_locate(&back, id, &loc));
    assert_int_equal(loc.off, 2999);
    cv_pack_index_free(&back);
    cv_pack_index_init(&back);
    for (size_t cut = 0; cut < body.len; cut += 997) { /* damaged objects add nothing */
        assert_int_not_equal(cv_pack_index_decode(&back, (const uint8_t *)body.data, cut), CV_OK);
        assert_int_equal(cv_pack_index_count(&back), 0);
        assert_int_equal(back.npacks, 0);
    }
    cv_buf_reset(&body);
    assert_int_equal(cv_pack_index_encode(&ix, 0, 0, 0, &body), CV_OK);
    cv_pack_index_set_block(&ix, block, pack, 99990, 5000, 50000); /* outside its pack */
    cv_buf_reset(&body);
    assert_int_equal(cv_pack_index_encode(&ix, 0, 0, 0, &body), CV_OK);
    assert_int_equal(cv_pack_index_decode(&back, (const uint8_t *)body.data, body.len),
                     CV_ECORRUPT);
    cv_pack_index_free(&ix);
    cv_pack_index_free(&back);
    cv_buf_free(&body);
}

static void test_object_envelope(void **state)
{
    static const char name[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    static const char other[] = "10112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    struct cv_keys *k = keys(3);
    struct cv_buf obj = CV_BUF_INIT(1 << 20), body = CV_BUF_INIT(1 << 20);

    (void)state;
    assert_int_equal(cv_object_seal(k, 'I', name, "stored as it is", 15, false, &obj), CV_OK);
    assert_int_equal(cv_object_open(k, 'I', name, (const uint8_t *)obj.data, obj.len, 100, &body),
                     CV_OK);
    assert_string_equal(body.data, "stored as it is");
    obj.data[4] = 1; /* claiming compression changes the AD: it no longer opens */
    cv_buf_reset(&body);
    assert_int_equal(cv_object_open(k, 'I', name, (const uint8_t *)obj.data, obj.len, 100, &body),
                     CV_EAUTH);
    cv_buf_reset(&obj);
    cv_buf_reset(&body);
    assert_int_equal(cv_object_seal(k, 'S', name, "hello snapshot", 14, true, &obj), CV_OK);
    assert_int_equal(cv_object_open(k, 'S', name, (const uint8_t *)obj.data, obj.len, 100, &body),
                     CV_OK);
    assert_string_equal(body.data, "hello snapshot");
    cv_buf_reset(&body);
    assert_int_equal(cv_object_open(k, 'I', name, (const uint8_t *)obj.data, obj.len, 100, &body),
                     CV_ECORRUPT); /* another kind */
    assert_int_equal(cv_object_open(k, 'S', other, (const uint8_t *)obj.data, obj.len, 100, &body),
                     CV_EAUTH); /* passed off under another name */
    assert_int_equal(cv_object_open(k, 'S', name, (const uint8_t *)obj.data, obj.len, 5, &body),
                     CV_ETOOBIG);
    obj.data[obj.len - 1] ^= 1;
    assert_int_equal(cv_object_open(k, 'S', name, (const uint8_t *)obj.data, obj.len, 100, &body),
                     CV_EAUTH);
    assert_int_equal(cv_object_open(k, 'S', name, (const uint8_t *)obj.data, 10, 100, &body),
                     CV_ECORRUPT);
    cv_keys_free(k);
    cv_buf_free(&obj);
    cv_buf_free(&body);
}

/* Flip one byte of every block of kind `kind` in every pack of `repo`. */
static void damage_blocks(struct cv_repo *repo, const char *dir, uint8_t kind)
{
    for (size_t b = 0; b < repo->ix.nblocks; b++) {
        const struct cv_ix_block *blk = &repo->ix.blocks[b];
        char hex[65], path[600];
        uint8_t byte;
        int fd;

        if (blk->kind != kind)
            continue;
        cv_hex_encode(repo->ix.packs[blk->pack].name, 32, hex);
        snprintf(path, sizeof(path), "%s/packs/%.2s/%s", dir, hex, hex);
        fd = open(path, O_RDWR);
        assert_true(fd >= 0);
        assert_int_equal(pread(fd, &byte, 1, blk->offset + 40), 1);
        byte ^= 0x10;
        assert_int_equal(pwrite(fd, &byte, 1, blk->offset + 40), 1);
        close(fd);
    }
}

static void test_packs_and_ditto(void **state)
{
    const char *dir = tmpdir("packs");
    struct cv_repo_init_opts io = {.kdf = CV_KDF_FAST, .pack_size = 64 << 10};
    struct cv_repo *repo;
    struct cv_writer *w;
    struct cv_reader *rd;
    uint8_t blob[3000], id[32], tree_id[32];
    const uint8_t *p;
    char rid[65];
    size_t n;
    bool stored;

    (void)state;
    assert_int_equal(cv_repo_init(dir, "pw", &io, rid), CV_OK);
    assert_int_equal(cv_repo_open(dir, "wrong", &repo), CV_EAUTH);
    assert_non_null(strstr(cv_errmsg(), "wrong passphrase for '"));
    assert_int_equal(cv_repo_open(dir, "pw", &repo), CV_OK);
    assert_int_equal(cv_writer_new(repo, &w), CV_OK);
    for (int i = 0; i < 200; i++) {
        memset(blob, i, sizeof(blob));
        cv_blob_id(repo->keys, blob, sizeof(blob), id);
        assert_int_equal(cv_writer_add(w, CV_BLOB_DATA, id, blob, sizeof(blob), &stored), CV_OK);
        assert_true(stored);
    }
    cv_blob_id(repo->keys, "tree!", 5, tree_id);
    assert_int_equal(cv_writer_add(w, CV_BLOB_TREE, tree_id, "tree!", 5, &stored), CV_OK);
    assert_int_equal(cv_writer_add(w, CV_BLOB_DITTO, tree_id, "tree!", 5, &stored), CV_OK);
    assert_true(stored);
    assert_int_equal(cv_writer_add(w, CV_BLOB_DATA, id, blob, sizeof(blob), &stored), CV_OK);
    assert_false(stored); /* already there */
    assert_int_equal(cv_writer_flush(w), CV_OK);
    cv_writer_free(w);
    cv_repo_close(repo);

    assert_int_equal(cv_repo_open(dir, "pw", &repo), CV_OK);
    assert_int_equal(cv_reader_new(repo, 2, &rd), CV_OK);
    assert_int_equal(cv_reader_blob(rd, id, &p, &n), CV_OK);
    assert_int_equal(n, sizeof(blob));
    assert_memory_equal(p, blob, n);
    damage_blocks(repo, dir, CV_BLOB_TREE);
    assert_int_equal(cv_reader_blob(rd, tree_id, &p, &n), CV_OK); /* from its ditto copy */
    assert_memory_equal(p, "tree!", 5);
    damage_blocks(repo, dir, CV_BLOB_DATA);
    cv_reader_free(rd);
    assert_int_equal(cv_reader_new(repo, 2, &rd), CV_OK);
    assert_int_equal(cv_reader_blob(rd, id, &p, &n), CV_EAUTH); /* data has one copy */
    cv_reader_free(rd);
    cv_repo_close(repo);
}

/* Snapshots taken within one second sort by their nanoseconds: `latest` is the last one taken,
 * whatever their random names; one from before the nanoseconds field (0) sorts first. */
static void test_latest_within_a_second(void **state)
{
    const char *dir = tmpdir("latest");
    struct cv_repo_init_opts io = {.kdf = CV_KDF_FAST, .pack_size = 64 << 10};
    struct cv_snapshot s, found, *all;
    struct cv_repo *repo;
    char rid[65], last[CV_SNAPSHOT_NAME_LEN + 1];
    size_t n;

    (void)state;
    assert_int_equal(cv_repo_init(dir, "pw", &io, rid), CV_OK);
    assert_int_equal(cv_repo_open(dir, "pw", &repo), CV_OK);
    for (uint32_t i = 0; i < 12; i++) {
        memset(&s, 0, sizeof(s));
        s.time = 1700000000;
        s.time_nsec = i * 80000000u;
        s.hostname = "h";
        s.source = "/src";
        assert_int_equal(cv_snapshot_write(repo, &s), CV_OK);
        cv_strlcpy(last, s.name, sizeof(last));
    }
    assert_int_equal(cv_snapshot_find(repo, "latest", &found), CV_OK);
    assert_string_equal(found.name, last);
    assert_int_equal(found.time_nsec, 11 * 80000000u);
    cv_snapshot_clear(&found);
    assert_int_equal(cv_snapshots_list(repo, &all, &n), CV_OK);
    assert_int_equal(n, 12);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(all[i].time_nsec, (uint32_t)i * 80000000u);
    cv_snapshots_free(all, n);
    cv_repo_close(repo);
}

/* The reference index's entry as a tree blob of its own (format 2): name, size and tree ID
 * round-trip through the snapshot object; the entry inline (format 1) still does; a snapshot
 * naming two entries is refused. */
static void test_snapshot_db_fields(void **state)
{
    struct cv_snapshot s, back;
    struct cv_buf out = CV_BUF_INIT(CV_SNAPSHOT_MAX), entry = CV_BUF_INIT(4096);
    struct cv_tree_entry e = {.kind = CV_TE_FILE, .name = "index.db", .name_len = 8, .size = 5};
    uint8_t chunk[CV_ID_LEN] = {7};

    (void)state;
    memset(&s, 0, sizeof(s));
    s.time = 1700000000;
    s.has_db = true;
    s.db_out_of_line_ = true;
    s.db_size = 4000000000ull;
    s.db_name = "index.db";
    memset(s.db_tree_, 0xab, 32);
    assert_int_equal(cv_snapshot_encode(&s, &out), CV_OK);
    assert_true(out.len < 200);
    assert_int_equal(cv_snapshot_decode((const uint8_t *)out.data, out.len, &back), CV_OK);
    assert_true(back.has_db && back.db_out_of_line_);
    assert_int_equal(back.db_size, 4000000000ull);
    assert_string_equal(back.db_name, "index.db");
    assert_memory_equal(back.db_tree_, s.db_tree_, 32);
    assert_null(back.db_entry_);
    cv_snapshot_clear(&back);

    /* format 1: the entry inline */
    e.nchunks = 1;
    e.chunks = chunk;
    assert_int_equal(cv_tree_put(&entry, &e), CV_OK);
    s.db_out_of_line_ = false;
    s.db_entry_ = (uint8_t *)entry.data;
    s.db_entry_len_ = entry.len;
    cv_buf_reset(&out);
    assert_int_equal(cv_snapshot_encode(&s, &out), CV_OK);
    assert_int_equal(cv_snapshot_decode((const uint8_t *)out.data, out.len, &back), CV_OK);
    assert_true(back.has_db && !back.db_out_of_line_);
    assert_int_equal(back.db_size, 5);
    assert_string_equal(back.db_name, "index.db");
    cv_snapshot_clear(&back);

    /* both at once: refused */
    s.db_out_of_line_ = true;
    cv_buf_reset(&out);
    assert_int_equal(cv_snapshot_encode(&s, &out), CV_OK);
    assert_int_equal(cv_put_varint(&out, 7), CV_OK);
    assert_int_equal(cv_put_varint(&out, entry.len), CV_OK);
    assert_int_equal(cv_buf_append(&out, entry.data, entry.len), CV_OK);
    assert_int_equal(cv_snapshot_decode((const uint8_t *)out.data, out.len, &back), CV_ECORRUPT);
    cv_buf_free(&out);
    cv_buf_free(&entry);
}

static int run_backup_restore(const char *repo_dir, const char *target, bool *ran)
{
    struct cv_backup_opts bo = {.source = CV_CORPUS};
    struct cv_restore_opts ro = {.target = target};
    struct cv_backup_stats bs;
    struct cv_restore_stats rs;
    struct cv_snapshot snap;
    struct cv_repo *repo;
    char name[65];
    enum cv_err err;

    *ran = false;
    err = cv_repo_open(repo_dir, "pw", &repo);
    if (err)
        return err;
    err = cv_backup(repo, &bo, name, &bs);
    if (!err)
        err = cv_snapshot_find(repo, name, &snap);
    if (!err) {
        err = cv_restore(repo, &snap, &ro, &rs);
        cv_snapshot_clear(&snap);
        *ran = !err;
    }
    cv_repo_close(repo);
    return err;
}

/* Every allocation of a backup and restore fails in turn: each run must fail cleanly (ASan
 * checks that nothing leaks or is used after free), and the repository stays usable. */
static void test_allocation_failures(void **state)
{
    const char *dir = tmpdir("alloc");
    char repo_dir[600], target[600], cmd[700], id[65];
    struct cv_repo_init_opts io = {.kdf = CV_KDF_FAST, .pack_size = 64 << 10};
    unsigned long total;
    bool ran;
    long n;

    (void)state;
    snprintf(repo_dir, sizeof(repo_dir), "%s/repo", dir);
    snprintf(target, sizeof(target), "%s/target", dir);
    assert_int_equal(cv_mkdir_p(dir, 0700), CV_OK);
    assert_int_equal(cv_repo_init(repo_dir, "pw", &io, id), CV_OK);
    total = cv_alloc_count();
    assert_int_equal(run_backup_restore(repo_dir, target, &ran), CV_OK);
    total = cv_alloc_count() - total;
    for (n = 0; n < (long)total; n += 1 + (long)total / 400) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", target);
        assert_int_equal(system(cmd), 0);
        cv_alloc_fail_after(n);
        run_backup_restore(repo_dir, target, &ran);
        cv_alloc_fail_after(-1);
    }
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", target);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(run_backup_restore(repo_dir, target, &ran), CV_OK);
    assert_true(ran);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_varints),
        cmocka_unit_test(test_trees),
        cmocka_unit_test(test_config_and_keys),
        cmocka_unit_test(test_index_objects),
        cmocka_unit_test(test_object_envelope),
        cmocka_unit_test(test_packs_and_ditto),
        cmocka_unit_test(test_latest_within_a_second),
        cmocka_unit_test(test_snapshot_db_fields),
        cmocka_unit_test(test_allocation_failures),
    };
    const char *tmp = getenv("CV_TEST_TMP");

    snprintf(scratch, sizeof(scratch), "%s/unit_store", tmp ? tmp : "/tmp");
    if (cv_mkdir_p(scratch, 0700) != CV_OK)
        return 1;
    setenv("XDG_CACHE_HOME", scratch, 1);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
