/*
 * redact.c: takes patient identifiers out of a line before it is logged, mailed or posted.
 *
 * An SS-MIX2 path names its patient three times: the hashed folders (the ID's first three and
 * next three characters), the patient folder, and the start of the file name. Every word of
 * the text that looks like such a path or file name is rewritten: the hashed folders become
 * "…", the patient folder "<patient>", the file name "<file REF>", where REF is a keyed hash
 * of the file name that `chartvault query file REF` turns back into the path for an operator
 * on the box (the key is in the index). Care date and data type stay: they say what kind of
 * message it was, not whose. Any other occurrence, in the same line, of a patient ID found this
 * way is replaced too. The matching is loose on purpose: a word that only looks like a name is
 * rewritten, never the other way round.
 */
#include <chartvault/common.h>

#include <sodium.h>
#include <string.h>

#define MAX_IDS  8
#define ID_MAX   64
#define WORD_MAX 1024
#define COMP_MAX 32

static uint8_t ref_key[CV_REDACT_KEY_LEN];
static bool have_key;

void cv_redact_set_key(const uint8_t key[CV_REDACT_KEY_LEN])
{
    if (key) {
        memcpy(ref_key, key, sizeof(ref_key));
        have_key = true;
    } else {
        sodium_memzero(ref_key, sizeof(ref_key));
        have_key = false;
    }
}

void cv_redact_ref(const uint8_t key[CV_REDACT_KEY_LEN], const char *file_name,
                   char out[CV_REDACT_REF_LEN + 1])
{
    uint8_t h[CV_REDACT_REF_LEN / 2];

    crypto_generichash(h, sizeof(h), (const unsigned char *)file_name, strlen(file_name), key,
                       CV_REDACT_KEY_LEN);
    cv_hex_encode(h, sizeof(h), out);
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}
static bool is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}
static bool is_alnum(char c)
{
    return is_digit(c) || is_upper(c) || (c >= 'a' && c <= 'z');
}

/* Ends a word: white space, quotes, brackets and the punctuation that follows a path in a
 * sentence. A path never holds these. */
static bool is_stop(char c)
{
    return c == '\0' || c == ' ' || c == '\t' || c == '\'' || c == '"' || c == '(' || c == ')' ||
           c == '[' || c == ']' || c == '<' || c == '>' || c == ',' || c == ';' || c == '`';
}

/* "YYYYMMDD" or "-" */
static bool is_care_date(const char *s, size_t n)
{
    if (n == 1)
        return s[0] == '-';
    if (n != 8)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i]))
            return false;
    return true;
}

/* "ADT-00", "OMP-01": three capitals, a hyphen, two digits */
static bool is_data_type(const char *s, size_t n)
{
    return n == 6 && is_upper(s[0]) && is_upper(s[1]) && is_upper(s[2]) && s[3] == '-' &&
           is_digit(s[4]) && is_digit(s[5]);
}

/* A file name "ID_DATE_TYPE_..." with at least five fields: *id_len gets the ID's length. */
static bool is_file_name(const char *s, size_t n, size_t *id_len)
{
    const char *f[4];
    size_t len[4], k = 0, start = 0;

    for (size_t i = 0; i <= n && k < 4; i++) {
        if (i == n || s[i] == '_') {
            f[k] = s + start;
            len[k++] = i - start;
            start = i + 1;
        }
    }
    if (k < 4 || len[0] == 0 || len[0] > ID_MAX)
        return false;
    if (!is_care_date(f[1], len[1]) || !is_data_type(f[2], len[2]))
        return false;
    *id_len = len[0];
    return true;
}

struct ids {
    char id[MAX_IDS][ID_MAX + 1];
    size_t n;
};

static void ids_add(struct ids *ids, const char *s, size_t n)
{
    if (n == 0 || n > ID_MAX)
        return;
    for (size_t i = 0; i < ids->n; i++)
        if (strlen(ids->id[i]) == n && memcmp(ids->id[i], s, n) == 0)
            return;
    if (ids->n < MAX_IDS) {
        memcpy(ids->id[ids->n], s, n);
        ids->id[ids->n++][n] = '\0';
    }
}

struct comp {
    const char *s;
    size_t n;
};

/* Split a word at '/'; returns the number of components (at most COMP_MAX; the rest is kept
 * in the last one). */
static size_t split(const char *w, size_t n, struct comp *c)
{
    size_t k = 0, start = 0;

    for (size_t i = 0; i <= n; i++) {
        if (i == n || (w[i] == '/' && k < COMP_MAX - 1)) {
            c[k].s = w + start;
            c[k++].n = i - start;
            start = i + 1;
        }
    }
    return k;
}

/* What a component of a word is. */
enum role { KEEP, HASHED, PATIENT, FILE_NAME };

static void classify(const struct comp *c, size_t k, enum role *role, struct ids *ids)
{
    size_t id_len;

    for (size_t i = 0; i < k; i++)
        role[i] = KEEP;
    for (size_t i = 0; i < k; i++) {
        if (is_file_name(c[i].s, c[i].n, &id_len)) {
            role[i] = FILE_NAME;
            ids_add(ids, c[i].s, id_len);
        }
        /* the patient folder: followed by a care date and a data type */
        if (i + 2 < k && c[i].n > 0 && is_care_date(c[i + 1].s, c[i + 1].n) &&
            is_data_type(c[i + 2].s, c[i + 2].n)) {
            role[i] = PATIENT;
            ids_add(ids, c[i].s, c[i].n);
        }
        /* the hashed folders: three and three characters that start the next component */
        if (i + 2 < k && c[i].n == 3 && c[i + 1].n == 3 && c[i + 2].n >= 6 &&
            memcmp(c[i + 2].s, c[i].s, 3) == 0 && memcmp(c[i + 2].s + 3, c[i + 1].s, 3) == 0) {
            role[i] = role[i + 1] = HASHED;
            role[i + 2] = PATIENT;
            ids_add(ids, c[i + 2].s, c[i + 2].n);
        }
    }
}

struct out {
    char *p;
    size_t cap, len;
    bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->full)
        return;
    if (o->len + n >= o->cap) {
        o->full = true; /* the rest is dropped, never cut inside an identifier */
        return;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void put_str(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void put_word(struct out *o, const char *w, size_t n, struct ids *ids)
{
    struct comp c[COMP_MAX];
    enum role role[COMP_MAX];
    size_t k = split(w, n, c);
    bool ellipsis = false;

    classify(c, k, role, ids);
    for (size_t i = 0; i < k; i++) {
        if (role[i] == HASHED) {
            if (!ellipsis)
                put_str(o, "…/");
            ellipsis = true;
            continue;
        }
        if (role[i] == PATIENT) {
            put_str(o, "<patient>");
        } else if (role[i] == FILE_NAME) {
            char name[256], ref[CV_REDACT_REF_LEN + 1];

            put_str(o, "<file");
            if (have_key && c[i].n < sizeof(name)) {
                memcpy(name, c[i].s, c[i].n);
                name[c[i].n] = '\0';
                cv_redact_ref(ref_key, name, ref);
                put_str(o, " ");
                put_str(o, ref);
            }
            put_str(o, ">");
        } else {
            put(o, c[i].s, c[i].n);
        }
        if (i + 1 < k)
            put_str(o, "/");
    }
}

/* Replace every other occurrence of a found ID, standing alone, with "<patient>". */
static size_t redact_ids(char *text, size_t cap, const struct ids *ids)
{
    char tmp[WORD_MAX * 4];
    struct out o = {tmp, sizeof(tmp) < cap ? sizeof(tmp) : cap, 0, false};
    size_t n = strlen(text);

    for (size_t i = 0; i < n;) {
        size_t hit = 0;

        if (i == 0 || !is_alnum(text[i - 1]))
            for (size_t k = 0; k < ids->n && !hit; k++) {
                size_t len = strlen(ids->id[k]);

                if (strncmp(text + i, ids->id[k], len) == 0 && !is_alnum(text[i + len]))
                    hit = len;
            }
        if (hit) {
            put_str(&o, "<patient>");
            i += hit;
        } else {
            put(&o, text + i, 1);
            i++;
        }
    }
    tmp[o.len] = '\0';
    memcpy(text, tmp, o.len + 1);
    return o.len;
}

void cv_redact(char *text, size_t cap)
{
    char tmp[WORD_MAX * 4];
    struct out o = {tmp, sizeof(tmp) < cap ? sizeof(tmp) : cap, 0, false};
    struct ids ids = {.n = 0};
    size_t n;

    if (!text || cap == 0)
        return;
    n = strnlen(text, cap - 1);
    for (size_t i = 0; i < n;) {
        size_t j = i;

        if (is_stop(text[i])) {
            put(&o, text + i, 1);
            i++;
            continue;
        }
        while (j < n && !is_stop(text[j]))
            j++;
        /* a word ending a sentence keeps its full stop or colon outside */
        size_t end = j;
        while (end > i && (text[end - 1] == '.' || text[end - 1] == ':'))
            end--;
        put_word(&o, text + i, end - i, &ids);
        put(&o, text + end, j - end);
        i = j;
    }
    tmp[o.len] = '\0';
    memcpy(text, tmp, o.len + 1);
    if (ids.n)
        redact_ids(text, cap, &ids);
}
