/*
 * test_synth.c: the synthetic hospital generator. Same seed -> identical tree (names,
 * bytes and file times), another seed -> another tree; every file decodes with glibc
 * iconv from ISO-2022-JP, starts with MSH, has the MSH-9 of its data-type folder and a
 * 7-field name that agrees with its folders; _0 and _2 files exist; kanji runs hold
 * delimiter bytes; every table string has an ISO-2022-JP form; a non-empty output folder,
 * bad options and allocation failures are refused cleanly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "synth/care.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <iconv.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char base[256];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void rm_rf(const char *path)
{
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *scratch(const char *name)
{
    static char path[512];

    snprintf(path, sizeof(path), "%s/%s", base, name);
    rm_rf(path);
    return path;
}

static enum cv_err make(const char *out, uint64_t seed, long patients, const char *manifest)
{
    struct cv_synth_options opt;

    cv_synth_options_default(&opt);
    opt.out_dir = out;
    opt.seed = seed;
    opt.patients = patients;
    opt.years = 1;
    opt.sync = false;
    opt.manifest_path = manifest;
    return cv_synth_run(&opt, NULL);
}

/* ---- collecting a tree ------------------------------------------------------------------- */

struct entry {
    char rel[160];
    struct stat st;
};
static struct entry *entries;
static size_t nentries, capentries, root_len;

static int collect(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)ftw;
    if (flag != FTW_F && flag != FTW_D)
        return 0;
    if (nentries == capentries) {
        capentries = capentries ? capentries * 2 : 4096;
        entries = realloc(entries, capentries * sizeof(*entries));
        assert_non_null(entries);
    }
    snprintf(entries[nentries].rel, sizeof(entries[0].rel), "%s", path + root_len);
    entries[nentries++].st = *st;
    return 0;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->rel, ((const struct entry *)b)->rel);
}

static void load_tree(const char *root)
{
    free(entries);
    entries = NULL;
    nentries = capentries = 0;
    root_len = strlen(root);
    assert_int_equal(nftw(root, collect, 16, FTW_PHYS), 0);
    qsort(entries, nentries, sizeof(*entries), cmp_entry);
}

static char *slurp(const char *root, const char *rel, size_t *len)
{
    char path[512];
    struct cv_buf b = CV_BUF_INIT(1 << 20);

    snprintf(path, sizeof(path), "%s%s", root, rel);
    assert_int_equal(cv_buf_read_file(&b, path), CV_OK);
    *len = b.len;
    return cv_buf_steal(&b, len);
}

/* A hash of every path, content and modification time of the tree. */
static void tree_hash(const char *root, unsigned char out[32])
{
    crypto_generichash_state h;

    load_tree(root);
    crypto_generichash_init(&h, NULL, 0, 32);
    for (size_t i = 0; i < nentries; i++) {
        const struct entry *e = &entries[i];
        char meta[64];

        crypto_generichash_update(&h, (const unsigned char *)e->rel, strlen(e->rel) + 1);
        snprintf(meta, sizeof(meta), "%lld.%09ld", (long long)e->st.st_mtim.tv_sec,
                 e->st.st_mtim.tv_nsec);
        crypto_generichash_update(&h, (const unsigned char *)meta, strlen(meta));
        if (S_ISREG(e->st.st_mode)) {
            size_t len;
            char *data = slurp(root, e->rel, &len);

            crypto_generichash_update(&h, (const unsigned char *)data, len);
            cv_free(data);
        }
    }
    crypto_generichash_final(&h, out, 32);
}

/* ---- tests ----------------------------------------------------------------------------------- */

static void test_rng(void **state)
{
    struct rng a, b;
    int64_t sum = 0;

    (void)state;
    sy_rng_init(&a, 1, RS_CARE, 7);
    sy_rng_init(&b, 1, RS_CARE, 7);
    for (int i = 0; i < 100; i++)
        assert_int_equal(sy_rng_u64(&a), sy_rng_u64(&b));
    sy_rng_init(&b, 1, RS_CARE, 8);
    assert_int_not_equal(sy_rng_u64(&a), sy_rng_u64(&b));
    for (int i = 0; i < 10000; i++) {
        uint32_t v = sy_rng_below(&a, 10);
        int g = sy_rng_gauss(&a, 100, 10);

        int r = sy_rng_range(&a, -3, 3);

        assert_true(v < 10);
        assert_true(r >= -3 && r <= 3);
        sum += g;
    }
    assert_true(sum / 10000 >= 98 && sum / 10000 <= 102);
}

static void expect_bytes(const char *utf8, const char *want, size_t n)
{
    char buf[64];
    struct out o = {.p = buf, .cap = sizeof(buf)};

    sy_out_j(&o, utf8);
    assert_false(o.unmapped);
    assert_int_equal(o.len, n);
    assert_memory_equal(buf, want, n);
}

static void test_jis_encoder(void **state)
{
    (void)state;
    assert_int_equal(sy_jis_init(), CV_OK);
    /* 日 = 0x46 0x7C ('|'), 本 = 0x4B 0x5C ('\'), runs closed before ASCII */
    expect_bytes("日本", "\x1b$BF|K\\\x1b(B", 10);
    expect_bytes("A日b", "A\x1b$BF|\x1b(Bb", 10);
    expect_bytes("ウ", "\x1b$B%&\x1b(B", 8);
    expect_bytes("", "", 0);
    assert_false(sy_jis_mappable("髙"));
    assert_false(sy_jis_mappable("a|b"));
    assert_true(sy_jis_mappable("■橋"));
}

static void check_text(const char *s)
{
    if (s && !sy_jis_mappable(s))
        fail_msg("no ISO-2022-JP form (or an HL7 delimiter) in '%s'", s);
}

/* Every string the generator writes into HL7 must encode: a ■ would break the manifest. */
static void test_tables_encode(void **state)
{
    size_t n;

    (void)state;
    for (size_t i = 0; i < sy_tab_family_len; i++)
        check_text(sy_tab_family[i].kanji), check_text(sy_tab_family[i].kana);
    for (int sex = 0; sex < 2; sex++)
        for (int era = 0; era < ERA_COUNT; era++) {
            const struct given_name *g = sy_given_names(sex, era, &n);

            for (size_t i = 0; i < n; i++)
                check_text(g[i].kanji), check_text(g[i].kana);
        }
    for (size_t i = 0; i < sy_tab_town_len; i++)
        check_text(sy_tab_town[i].pref), check_text(sy_tab_town[i].city),
            check_text(sy_tab_town[i].town);
    for (size_t i = 0; i < sy_tab_building_len; i++)
        check_text(sy_tab_building[i]);
    for (size_t i = 0; i < sy_tab_employer_len; i++)
        check_text(sy_tab_employer[i]);
    for (size_t i = 0; i < sy_tab_hospital_len; i++)
        check_text(sy_tab_hospital[i].name), check_text(sy_tab_hospital[i].address);
    for (size_t i = 0; i < D_COUNT; i++)
        check_text(sy_tab_dept[i].name);
    assert_true(sy_tab_dx_len <= SY_MAX_DX);
    for (size_t i = 0; i < sy_tab_dx_len; i++) {
        check_text(sy_tab_dx[i].name);
        for (size_t k = 0; k < i; k++) /* the manifest tells diagnoses apart as the index does */
            assert_string_not_equal(sy_tab_dx[i].medis, sy_tab_dx[k].medis);
    }
    for (size_t i = 0; i < sy_tab_drug_len; i++)
        check_text(sy_tab_drug[i].name), check_text(sy_tab_drug[i].unit_name),
            check_text(sy_tab_drug[i].form_name),
            check_text(sy_tab_usage[sy_tab_drug[i].usage].text);
    for (size_t i = 0; i < sy_tab_inj_len; i++) {
        char instruction[64];

        check_text(sy_tab_inj[i].name), check_text(sy_tab_inj[i].unit_name);
        check_text(sy_tab_inj[i].base), check_text(sy_tab_inj[i].extra);
        check_text(sy_tab_inj[i].extra_unit_name);
        sy_injection_instruction(&sy_tab_inj[i], instruction, sizeof(instruction));
        check_text(instruction);
    }
    for (size_t i = 0; i < sy_tab_organism_len; i++)
        check_text(sy_tab_organism[i].name);
    for (size_t i = 0; i < sy_tab_abx_len; i++)
        check_text(sy_tab_abx[i].name), check_text(sy_tab_abx[i].mic_s),
            check_text(sy_tab_abx[i].mic_i), check_text(sy_tab_abx[i].mic_r);
    for (size_t i = 0; i < CS_COUNT; i++)
        check_text(sy_tab_culture_spec[i].name);
    for (size_t i = 0; i < 3; i++)
        check_text(sy_tab_amount[i]);
    for (size_t i = 0; i < sy_tab_lab_len; i++)
        check_text(sy_tab_lab[i].name), check_text(sy_tab_lab[i].unit);
    for (size_t i = 0; i < sy_tab_diet_len; i++)
        check_text(sy_tab_diet[i].name);
    for (size_t i = 0; i < 5; i++)
        check_text(sy_tab_diet_comment[i]);
    for (size_t i = 0; i < sy_tab_exam_len; i++)
        check_text(sy_tab_exam[i].name), check_text(sy_tab_exam[i].normal);
    for (size_t i = 0; i < sy_tab_allergen_len; i++)
        check_text(sy_tab_allergen[i].name), check_text(sy_tab_allergen[i].type_name);
    for (size_t i = 0; i < sy_tab_reaction_len; i++)
        check_text(sy_tab_reaction[i]);
    for (size_t i = 0; i < sy_tab_reason_len; i++)
        check_text(sy_tab_reason[i].finding);
    for (size_t i = 0; i < sy_tab_condition_len; i++) {
        assert_true(sy_drug_find(sy_tab_condition[i].drug1) >= 0);
        assert_true(!sy_tab_condition[i].drug2 || sy_drug_find(sy_tab_condition[i].drug2) >= 0);
        assert_true(sy_dx_find(sy_tab_condition[i].icd10) >= 0);
    }
    for (size_t i = 0; i < sy_tab_reason_len; i++) {
        assert_true(sy_dx_find(sy_tab_reason[i].icd10) >= 0);
        assert_true(!sy_tab_reason[i].drug || sy_drug_find(sy_tab_reason[i].drug) >= 0);
    }
    for (size_t i = 0; i < sy_tab_acute_len; i++)
        assert_true(sy_dx_find(sy_tab_acute[i].icd10) >= 0);
    /* the care planner names lab tests by their place in the table */
    assert_int_equal(sy_tab_lab_len, L_COUNT);
    assert_int_equal(sy_lab_find("3A010000002327101"), L_TP);
    assert_int_equal(sy_lab_find("5C070000002306101"), L_CRP);
    assert_int_equal(sy_lab_find("3D046000001906202"), L_HBA1C);
    assert_int_equal(sy_lab_find("2A010000001930101"), L_WBC);
    assert_int_equal(sy_lab_find("1A020000000190111"), L_UGLU);
}

static void test_same_seed_same_tree(void **state)
{
    unsigned char a[32], b[32], c[32];
    char one[512], two[512];

    (void)state;
    snprintf(one, sizeof(one), "%s", scratch("same1"));
    snprintf(two, sizeof(two), "%s", scratch("same2"));
    assert_int_equal(make(one, 42, 25, NULL), CV_OK);
    assert_int_equal(make(two, 42, 25, NULL), CV_OK);
    tree_hash(one, a);
    tree_hash(two, b);
    assert_memory_equal(a, b, 32);
    rm_rf(two);
    assert_int_equal(make(two, 43, 25, NULL), CV_OK);
    tree_hash(two, c);
    assert_memory_not_equal(a, c, 32);
    rm_rf(one);
    rm_rf(two);
}

/* MSH-9 (type^event) allowed in each data-type folder (docs: SSMIX2.md). */
static const char *const folder_msh9[][3] = {
    {"ADT-00", "ADT^A08", "ADT^A23"}, {"ADT-12", "ADT^A04", NULL},
    {"ADT-22", "ADT^A01", "ADT^A11"}, {"ADT-31", "ADT^A21", "ADT^A52"},
    {"ADT-32", "ADT^A22", "ADT^A53"}, {"ADT-42", "ADT^A02", "ADT^A12"},
    {"ADT-52", "ADT^A03", "ADT^A13"}, {"ADT-61", "ADT^A60", NULL},
    {"PPR-01", "PPR^ZD1", NULL},      {"OMD", "OMD^O03", NULL},
    {"OMP-01", "RDE^O11", NULL},      {"OMP-02", "RDE^O11", NULL},
    {"OML-01", "OML^O33", NULL},      {"OML-11", "OUL^R22", NULL},
    {"OMG-01", "OMG^O19", NULL},      {"OMG-11", "OMI^Z23", NULL},
};

static bool msh9_ok(const char *folder, const char *msh9)
{
    for (size_t i = 0; i < CV_ARRAY_LEN(folder_msh9); i++)
        if (strcmp(folder_msh9[i][0], folder) == 0)
            return (folder_msh9[i][1] && strcmp(folder_msh9[i][1], msh9) == 0) ||
                   (folder_msh9[i][2] && strcmp(folder_msh9[i][2], msh9) == 0);
    return false;
}

/* Decode with glibc iconv; returns malloc'd UTF-8 or NULL. */
static char *decode(const char *raw, size_t len)
{
    iconv_t cd = iconv_open("UTF-8", "ISO-2022-JP");
    size_t cap = len * 3 + 16, nin = len, nout = cap - 1;
    char *out = malloc(cap), *pin = (char *)raw, *pout = out;

    assert_true(cd != (iconv_t)-1);
    if (iconv(cd, &pin, &nin, &pout, &nout) == (size_t)-1 ||
        iconv(cd, NULL, NULL, &pout, &nout) == (size_t)-1) {
        free(out);
        out = NULL;
    } else {
        *pout = '\0';
    }
    iconv_close(cd);
    return out;
}

/* true when byte `delim` occurs inside an ESC $ B ... ESC ( B run */
static bool delimiter_in_kanji(const char *raw, size_t len, char delim)
{
    bool kanji = false;

    for (size_t i = 0; i + 2 < len; i++) {
        if (raw[i] == 0x1b) {
            kanji = raw[i + 1] == '$';
            i += 2;
            continue;
        }
        if (kanji && raw[i] == delim)
            return true;
    }
    return false;
}

/* "/ID3/ID3/ID/DATE/TYPE/NAME" and the name's 7 fields agree. */
static void check_name(const char *rel)
{
    char copy[160], *part[7], *field[8], *save;
    int np = 0, nf = 0;

    snprintf(copy, sizeof(copy), "%s", rel + 1);
    for (char *t = strtok_r(copy, "/", &save); t && np < 7; t = strtok_r(NULL, "/", &save))
        part[np++] = t;
    assert_int_equal(np, 6);
    assert_memory_equal(part[0], part[2], 3);
    assert_memory_equal(part[1], part[2] + 3, 3);
    for (char *t = strtok_r(part[5], "_", &save); t && nf < 8; t = strtok_r(NULL, "_", &save))
        field[nf++] = t;
    if (nf != 7)
        fail_msg("'%s' has %d fields", rel, nf);
    assert_string_equal(field[0], part[2]);
    assert_string_equal(field[1], part[3]);
    assert_string_equal(field[2], part[4]);
    assert_in_range(strlen(field[3]), 1, 15);
    assert_int_equal(strlen(field[4]), 17);
    assert_true(strcmp(field[5], "-") == 0 || (strlen(field[5]) >= 2 && strlen(field[5]) <= 3));
    assert_true(strlen(field[6]) == 1 && strchr("012", field[6][0]));
}

static void test_files_are_ssmix2(void **state)
{
    char root[512];
    size_t files = 0, flags[3] = {0}, traps[5] = {0};

    (void)state;
    snprintf(root, sizeof(root), "%s", scratch("valid"));
    assert_int_equal(make(root, 5, 50, NULL), CV_OK);
    load_tree(root);
    for (size_t i = 0; i < nentries; i++) {
        const struct entry *e = &entries[i];
        char folder[16], msh9[16], *raw, *text, *f;
        const char *slash, *start;
        size_t len;

        if (!S_ISREG(e->st.st_mode))
            continue;
        files++;
        check_name(e->rel);
        flags[e->rel[strlen(e->rel) - 1] - '0']++;
        raw = slurp(root, e->rel, &len);
        for (int k = 0; k < 5; k++)
            traps[k] += delimiter_in_kanji(raw, len, "|^~\\&"[k]);
        text = decode(raw, len);
        if (!text)
            fail_msg("'%s' does not decode from ISO-2022-JP", e->rel);
        assert_memory_equal(text, "MSH|", 4);
        f = text;
        for (int k = 0; k < 8; k++)
            f = strchr(f, '|') + 1;
        snprintf(msh9, sizeof(msh9), "%.7s", f);
        slash = strrchr(e->rel, '/');
        start = slash - 1;
        while (*start != '/')
            start--;
        snprintf(folder, sizeof(folder), "%.*s", (int)(slash - start - 1), start + 1);
        if (!msh9_ok(folder, msh9))
            fail_msg("'%s': MSH-9 %s in folder %s", e->rel, msh9, folder);
        free(text);
        cv_free(raw);
    }
    assert_true(files > 500);
    assert_true(flags[0] > 0);         /* cancelled entries and the cancels themselves */
    assert_true(flags[2] > 0);         /* superseded versions */
    assert_true(traps[0] > files / 2); /* '|' inside kanji (日) in most files */
    for (int k = 1; k < 5; k++)        /* and ^ ~ \ & somewhere */
        assert_true(traps[k] > 0);
    rm_rf(root);
}

static void test_refuses_nonempty_out(void **state)
{
    char root[512], keep[600], manifest[600];
    FILE *f;

    (void)state;
    snprintf(root, sizeof(root), "%s", scratch("busy"));
    snprintf(keep, sizeof(keep), "%s/keep.txt", root);
    snprintf(manifest, sizeof(manifest), "%s.json", root);
    assert_int_equal(cv_mkdir_p(root, 0755), CV_OK);
    f = fopen(keep, "w");
    fputs("not yours", f);
    fclose(f);
    assert_int_equal(make(root, 1, 10, manifest), CV_EEXIST);
    assert_non_null(strstr(cv_errmsg(), "not empty"));
    load_tree(root);
    assert_int_equal(nentries, 2); /* the folder and keep.txt, nothing added */
    assert_int_equal(access(manifest, F_OK), -1);
    /* a file where the folder should be */
    assert_int_equal(make(keep, 1, 10, NULL), CV_EEXIST);
    assert_non_null(strstr(cv_errmsg(), "not a folder"));
    rm_rf(root);
}

static void test_bad_options(void **state)
{
    struct cv_synth_options opt;
    const char *root = scratch("bad");

    (void)state;
    cv_synth_options_default(&opt);
    opt.out_dir = root;
    opt.patients = 0;
    assert_int_equal(cv_synth_run(&opt, NULL), CV_EINVAL);
    opt.patients = 10;
    opt.years = 0;
    assert_int_equal(cv_synth_run(&opt, NULL), CV_EINVAL);
    opt.years = 1;
    opt.facility = "12|34";
    assert_int_equal(cv_synth_run(&opt, NULL), CV_EINVAL);
    opt.facility = NULL;
    opt.end_date = cv_ymd_to_days(1980, 1, 1);
    assert_int_equal(cv_synth_run(&opt, NULL), CV_EINVAL);
    opt.out_dir = NULL;
    assert_int_equal(cv_synth_run(&opt, NULL), CV_EINVAL);
    assert_int_equal(access(root, F_OK), -1); /* refused before creating anything */
}

/* The manifest appears only when the run succeeded, and the census is sane. */
static void test_manifest(void **state)
{
    char root[512], manifest[600], inside[600];
    struct cv_buf b = CV_BUF_INIT(64 << 20);

    (void)state;
    snprintf(root, sizeof(root), "%s", scratch("man"));
    snprintf(manifest, sizeof(manifest), "%s.json", root);
    snprintf(inside, sizeof(inside), "%s/m.json", root);
    assert_int_equal(make(root, 9, 40, inside), CV_EINVAL);
    rm_rf(root);
    assert_int_equal(make(root, 9, 40, manifest), CV_OK);
    assert_int_equal(cv_buf_read_file(&b, manifest), CV_OK);
    assert_non_null(strstr(cv_buf_str(&b), "\"generator\":\"chartvault synth "));
    assert_non_null(strstr(cv_buf_str(&b), "\"census\":[\n{\"ward\":\"3E\",\"beds\":8,"));
    assert_non_null(strstr(cv_buf_str(&b), "\"allergy_status\""));
    cv_buf_free(&b);
    unlink(manifest);
    rm_rf(root);
}

/* Out of memory anywhere: a clean error, no crash, no leak (ASan checks), no manifest. */
static void test_allocation_failures(void **state)
{
    char root[512], manifest[600];
    enum cv_err err;
    int failures = 0;

    (void)state;
    snprintf(manifest, sizeof(manifest), "%s/oom.json", base);
    for (long n = 0; n < 400; n += n < 30 ? 1 : 41) {
        snprintf(root, sizeof(root), "%s", scratch("oom"));
        cv_alloc_fail_after(n);
        err = make(root, 3, 3, manifest);
        cv_alloc_fail_after(-1);
        if (err) {
            failures++;
            assert_int_equal(err, CV_ENOMEM);
            assert_int_equal(access(manifest, F_OK), -1);
        } else {
            unlink(manifest);
        }
    }
    assert_true(failures > 20);
    rm_rf(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng),
        cmocka_unit_test(test_jis_encoder),
        cmocka_unit_test(test_tables_encode),
        cmocka_unit_test(test_same_seed_same_tree),
        cmocka_unit_test(test_files_are_ssmix2),
        cmocka_unit_test(test_refuses_nonempty_out),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_manifest),
        cmocka_unit_test(test_allocation_failures),
    };
    const char *tmp = getenv("CV_TEST_TMP");
    int rc;

    /* thousands of small files: on tmpfs when there is one, to spare the disk */
    if (access("/dev/shm", W_OK) == 0)
        tmp = "/dev/shm";
    snprintf(base, sizeof(base), "%s/unit_synth.%ld", tmp ? tmp : "/tmp", (long)getpid());
    rm_rf(base);
    if (cv_mkdir_p(base, 0755) || sodium_init() < 0)
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(entries);
    rm_rf(base);
    return rc;
}
