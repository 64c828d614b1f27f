/*
 * test_print.c: the downtime packs' building blocks: every glyph of a name with U+20BB7 and
 * half-width kana has a font (pango_layout_get_unknown_glyphs_count), a missing font file is
 * a clear error, hostile text (markup, control characters) is printed as text, the flow
 * splits a text far longer than a page across pages without losing a line, barcodes are
 * made, and ward file names are safe and distinct.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "print/print_int.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void glyphs_of_rare_kanji_and_half_width_kana(void **state)
{
    int n = -1;
    (void)state;

    /* 𠮷 (U+20BB7, not in BIZ UDGothic: VL Gothic draws it), half-width katakana, ①, ㈱ */
    assert_int_equal(
        cv_print_unknown_glyphs(NULL, "𠮷野 太郎 ﾖｼﾉ ﾀﾛｳ 髙橋 﨑 ① ㈱ 〓 ☎ ⚠ 〜 μ", &n), CV_OK);
    assert_int_equal(n, 0);
    /* the count does see what no font has (a CJK Extension G character), so 0 above means
     * something */
    assert_int_equal(cv_print_unknown_glyphs(NULL, "\xF0\xB0\x80\x80", &n), CV_OK);
    assert_true(n > 0);
    cv_print_release_caches();
}

static void missing_font_is_a_clear_error(void **state)
{
    int n;
    (void)state;

    assert_int_equal(cv_print_fonts_check("/nonexistent-fonts"), CV_ENOENT);
    assert_non_null(strstr(cv_errmsg(), "BIZUDGothic-Regular.ttf"));
    assert_non_null(strstr(cv_errmsg(), "fonts-morisawa-bizud-gothic"));
    assert_int_equal(cv_print_unknown_glyphs("/nonexistent-fonts", "a", &n), CV_ENOENT);
    assert_int_equal(cv_print_fonts_check(NULL), CV_OK);
}

static void hostile_text_is_text(void **state)
{
    struct pr_fonts f;
    PangoLayout *l;
    char *c;
    (void)state;

    c = pr_clean_text("<b>山田</b>\x07\x1b[31m\xe2\x80\xae"
                      "abc\xff");
    /* markup stays as written; BEL, ESC, U+202E (right-to-left override) and the invalid
     * byte each become 〓 (which the fonts have, unlike U+FFFD), so damage shows */
    assert_string_equal(c, "<b>山田</b>〓〓[31m〓abc〓");
    g_free(c);
    assert_int_equal(pr_fonts_open(NULL, &f), CV_OK);
    l = pr_layout(&f, PR_F_BODY, "<span foreground=\"red\">x</span>", 0);
    assert_string_equal(pango_layout_get_text(l), "<span foreground=\"red\">x</span>");
    g_object_unref(l);
    pr_fonts_close(&f);
    cv_print_release_caches();
}

/* A text many pages long, flowed: every line of its layout is placed exactly once, in order,
 * and every page carries at least one of them. */
static void long_text_flows_across_pages(void **state)
{
    struct pr_fonts f;
    struct pr_frame frame = {.facility = "test"};
    struct pr_doc d;
    struct cv_buf text = CV_BUF_INIT(1u << 20);
    PangoLayout *l;
    int next = 0, total;
    (void)state;

    for (int i = 0; i < 3000; i++)
        cv_buf_printf(&text, "アレルギー薬剤%04d、", i);
    assert_int_equal(pr_fonts_open(NULL, &f), CV_OK);
    pr_doc_init(&d, &f, &frame);
    pr_doc_new_page(&d, "t", NULL);
    pr_flow_text(&d, PR_F_BODY, cv_buf_str(&text), 0, 0);
    assert_int_equal(d.err, CV_OK);
    assert_true(d.npages > 3);
    l = pr_layout(&f, PR_F_BODY, cv_buf_str(&text), PR_BODY_W);
    total = pango_layout_get_line_count(l);
    g_object_unref(l);
    for (size_t p = 0; p < d.npages; p++) {
        int on_page = 0;

        for (size_t i = 0; i < d.pages[p].n; i++) {
            const struct pr_item *it = &d.pages[p].items[i];

            if (it->kind != PR_TEXT)
                continue;
            assert_int_equal(it->line0, next);
            next += it->nlines;
            on_page += it->nlines;
            assert_true(it->y >= PR_BODY_TOP && it->y < PR_BODY_BOT);
        }
        assert_true(on_page > 0);
    }
    assert_int_equal(next, total);
    pr_doc_free(&d);
    pr_fonts_close(&f);
    cv_buf_free(&text);
    cv_print_release_caches();
}

/* A patient made to break the pack: a name of 2,000 kanji, 300 allergies, a drug with markup
 * and control characters. Census, patient pages and labels are made; pdftotext of the PDF
 * holds every allergen and the whole name; nothing is cut. */
static void hostile_patient_prints_whole(void **state)
{
    static char name[2000 * 3 + 1], kana[64], drug[] = "<b>薬</b>\x01剤&amp;";
    struct cv_allergy al[300];
    char allergen[300][32], path[] = "/tmp/test_print_XXXXXX", cmd[256];
    struct cv_medication med = {.kind = "injection",
                                .drug = drug,
                                .dose = "1",
                                .days = -1,
                                .current = true,
                                .start = "2026-11-01",
                                .end = "2026-11-01"};
    struct cv_location loc = {.ward = "3E", .room = "301", .bed = "1", .admitted = "2026-10-01"};
    struct cv_patient p = {.id = "0001234567", .birth_date = "1950-01-01", .sex = "F"};
    struct pr_inpatient ip = {.room = "301", .bed = "1", .id = "0001234567", .age = 76, .p = &p};
    struct pr_ward w = {.name = "3E", .beds = 1, .v = &ip, .n = 1};
    struct cv_print_options opt = {0};
    struct pr_job job = {.opt = &opt, .today = 20758};
    struct pr_frame frame = {.facility = "test",
                             .as_of = "2026-11-01 10:00",
                             .expires = "2026-11-01 11:00",
                             .printed = "2026-11-01 10:05"};
    struct pr_doc d;
    struct cv_buf text = CV_BUF_INIT(64u << 20);
    uint64_t bytes;
    FILE *f;
    int fd;
    (void)state;

    for (int i = 0; i < 2000; i++)
        memcpy(name + 3 * i, "長", 3);
    snprintf(kana, sizeof(kana), "ナガ");
    p.name.family = name;
    p.name.given = "太郎";
    p.kana.family = kana;
    p.kana.given = "タロウ";
    p.allergies_recorded = true;
    for (int i = 0; i < 300; i++) {
        snprintf(allergen[i], sizeof(allergen[i]), "アレルゲン%03d", i);
        al[i] = (struct cv_allergy){.type = "DA", .allergen = allergen[i]};
    }
    p.allergies = al;
    p.nallergies = 300;
    p.medications = &med;
    p.nmedications = 1;
    p.location = &loc;
    assert_int_equal(pr_fonts_open(NULL, &job.fonts), CV_OK);
    pr_doc_init(&d, &job.fonts, &frame);
    pr_census(&d, &job, &w, true);
    pr_patient_pages(&d, &job, &w, &ip);
    pr_labels(&d, &job, &w);
    assert_int_equal(d.err, CV_OK);
    assert_true(d.npages >= 4);
    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    assert_int_equal(pr_doc_write_pdf(&d, path, &bytes), CV_OK);
    pr_doc_free(&d);
    pr_fonts_close(&job.fonts);
    cv_print_release_caches();
    snprintf(cmd, sizeof(cmd), "pdftotext -raw '%s' - 2>/dev/null | tr -d '\\n'", path);
    f = popen(cmd, "r");
    if (!f || access("/usr/bin/pdftotext", X_OK) != 0) {
        unlink(path);
        skip(); /* poppler-utils missing */
    }
    for (int c; (c = fgetc(f)) != EOF;)
        cv_buf_putc(&text, (char)c);
    pclose(f);
    unlink(path);
    for (int i = 0; i < 300; i++)
        assert_non_null(strstr(cv_buf_str(&text), allergen[i]));
    /* the name whole in the census, the banner and the label (the lines of one may be split
     * by a page break and the next page's frame): every one of its characters, three times */
    {
        size_t n = 0;

        for (const char *q = cv_buf_str(&text); (q = strstr(q, "長")) != NULL; q += 3)
            n++;
        assert_true(n >= 3 * 2000);
    }
    assert_non_null(strstr(cv_buf_str(&text), "<b>薬</b>〓剤&amp;"));
    assert_null(strstr(cv_buf_str(&text), "…"));
    cv_buf_free(&text);
}

static void barcodes(void **state)
{
    struct pr_modules m;
    (void)state;

    assert_int_equal(pr_code128("0001234567", &m), CV_OK);
    assert_int_equal(m.rows, 1);
    /* start + 5 digit pairs (code set C) + check + stop: 7 * 11 + 13 modules */
    assert_int_equal(m.cols, 90);
    assert_true(m.dark[0] && m.dark[1]); /* start C begins 11010011100 */
    assert_false(m.dark[2]);
    pr_modules_free(&m);
    assert_int_equal(pr_qr("0001234567", &m), CV_OK);
    assert_int_equal(m.rows, 21); /* version 1 */
    assert_int_equal(m.cols, 21);
    assert_true(m.dark[0] && m.dark[6] && !m.dark[7]); /* the finder pattern's top row */
    pr_modules_free(&m);
    assert_int_equal(pr_code128("", &m), CV_EINVAL);
}

static void ward_file_names(void **state)
{
    char a[64], b[64], c[64];
    (void)state;

    cv_print_file_name("3E", a, sizeof(a));
    assert_string_equal(a, "ward-3E.pdf");
    cv_print_file_name("../x", b, sizeof(b));
    assert_string_equal(b, "ward-_2E_2E_2Fx.pdf");
    cv_print_file_name("_2E", c, sizeof(c));
    assert_string_not_equal(c, "ward-_2E.pdf"); /* '_' itself is escaped: names stay distinct */
    cv_print_file_name("東", c, sizeof(c));
    assert_string_equal(c, "ward-_E6_9D_B1.pdf");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(glyphs_of_rare_kanji_and_half_width_kana),
        cmocka_unit_test(missing_font_is_a_clear_error),
        cmocka_unit_test(hostile_text_is_text),
        cmocka_unit_test(long_text_flows_across_pages),
        cmocka_unit_test(hostile_patient_prints_whole),
        cmocka_unit_test(barcodes),
        cmocka_unit_test(ward_file_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
