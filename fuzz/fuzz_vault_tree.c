/*
 * fuzz_vault_tree.c: folder listings, as a tree blob (version byte first), read both as a full
 * tree's and as a run's (which may hold removals and replacing folders). Every entry is read,
 * inline sub-folders are followed (with the same depth bound the walkers use), and the entries
 * are encoded again: a listing that parses must re-encode to the very same bytes.
 */
#include "fuzz.h"

#include "store/store_int.h"

#include <string.h>

static void walk(const uint8_t *p, size_t n, unsigned flags, unsigned depth, struct cv_buf *out)
{
    struct cv_tree_rd t;
    struct cv_tree_entry e;
    bool more;

    if (depth > CV_TREE_DEPTH_MAX)
        return;
    cv_tree_rd_inline(&t, p, n);
    t.flags = flags;
    while (cv_tree_next(&t, &e, &more) == CV_OK && more) {
        if (!cv_tree_name_ok(e.name, e.name_len))
            __builtin_trap();
        if (!(flags & CV_TREE_RUN) &&
            (e.kind == CV_TE_GONE || e.kind == CV_TE_NEW_DIR || e.kind == CV_TE_NEW_INLINE))
            __builtin_trap(); /* only a run may say these */
        if (e.kind == CV_TE_MERGED)
            __builtin_trap(); /* never read from storage */
        if (e.kind == CV_TE_INLINE || e.kind == CV_TE_NEW_INLINE)
            walk(e.sub, e.sub_len, flags, depth + 1, NULL);
        if (out && cv_tree_put(out, &e) != CV_OK)
            __builtin_trap();
    }
}

static void one(const uint8_t *data, size_t size, unsigned flags)
{
    struct cv_tree_rd t;
    struct cv_buf out = CV_BUF_INIT(size + 64);
    struct cv_tree_entry e;
    enum cv_err err;
    bool more, clean;

    if (cv_tree_rd_blob(&t, data, size) != CV_OK)
        return;
    t.flags = flags;
    while ((err = cv_tree_next(&t, &e, &more)) == CV_OK && more)
        ;
    clean = err == CV_OK; /* the whole listing parsed */
    walk(data + 1, size - 1, flags, 0, clean ? &out : NULL);
    if (clean && (out.len != size - 1 || (out.len && memcmp(out.data, data + 1, out.len) != 0)))
        __builtin_trap(); /* one encoding per listing: IDs of equal folders stay equal */
    cv_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one(data, size, 0);
    one(data, size, CV_TREE_RUN);
    return 0;
}
