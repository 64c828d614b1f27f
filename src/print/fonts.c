/*
 * fonts.c: the fonts of a pack, and the text that goes into them. A private fontconfig
 * configuration holds exactly three TrueType files (BIZ UDGothic Regular and Bold, VL Gothic
 * as fallback for what BIZ UDGothic lacks, such as U+20BB7), so a pack looks the same on every
 * machine whatever else is installed, and a missing file is an error that names its package.
 * TrueType only: cairo 1.16 bloats CFF (OpenType) subsets. Pango works at 72 dpi here, so a
 * point of text is a point on the page (its default is 96).
 */
#include "print_int.h"

#include <fontconfig/fontconfig.h>
#include <pango/pangofc-fontmap.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct {
    const char *file, *dir, *package;
} font_files[] = {
    {"BIZUDGothic-Regular.ttf", "/usr/share/fonts/truetype/bizud-gothic",
     "fonts-morisawa-bizud-gothic"},
    {"BIZUDGothic-Bold.ttf", "/usr/share/fonts/truetype/bizud-gothic",
     "fonts-morisawa-bizud-gothic"},
    {"VL-Gothic-Regular.ttf", "/usr/share/fonts/truetype/vlgothic", "fonts-vlgothic"},
};

static const struct {
    const char *desc;
} font_desc[PR_F_COUNT_] = {
    [PR_F_SMALL] = {"BIZ UDGothic, VL Gothic 7"},
    [PR_F_BODY] = {"BIZ UDGothic, VL Gothic 8.5"},
    [PR_F_BOLD] = {"BIZ UDGothic, VL Gothic Bold 8.5"},
    [PR_F_HEAD] = {"BIZ UDGothic, VL Gothic Bold 10.5"},
    [PR_F_TITLE] = {"BIZ UDGothic, VL Gothic Bold 14"},
    [PR_F_LARGE] = {"BIZ UDGothic, VL Gothic Bold 18"},
};

static bool font_path(const char *font_dir, size_t i, char *out, size_t n)
{
    return (size_t)snprintf(out, n, "%s/%s", font_dir ? font_dir : font_files[i].dir,
                            font_files[i].file) < n;
}

enum cv_err cv_print_fonts_check(const char *font_dir)
{
    char path[PATH_MAX];

    for (size_t i = 0; i < CV_ARRAY_LEN(font_files); i++) {
        if (!font_path(font_dir, i, path, sizeof(path)))
            return cv_fail(CV_EINVAL, "font folder path too long");
        if (access(path, R_OK) != 0)
            return cv_fail_errno(CV_ENOENT, "cannot read the font '%s' (Debian package %s)", path,
                                 font_files[i].package);
    }
    return CV_OK;
}

static enum cv_err private_config(const char *font_dir, FcConfig **out)
{
    char path[PATH_MAX];
    FcConfig *c;
    enum cv_err err = cv_print_fonts_check(font_dir);

    *out = NULL;
    if (err)
        return err;
    c = FcConfigCreate();
    if (!c)
        return cv_fail(CV_ENOMEM, "out of memory (fontconfig)");
    for (size_t i = 0; i < CV_ARRAY_LEN(font_files); i++) {
        font_path(font_dir, i, path, sizeof(path));
        if (!FcConfigAppFontAddFile(c, (const FcChar8 *)path)) {
            FcConfigDestroy(c);
            return cv_fail(CV_EPARSE, "'%s' is not a font fontconfig can read (package %s)", path,
                           font_files[i].package);
        }
    }
    *out = c;
    return CV_OK;
}

static enum cv_err fonts_load(const char *font_dir, struct pr_fonts *f)
{
    cairo_font_options_t *fo;
    FcConfig *c;
    enum cv_err err;

    memset(f, 0, sizeof(*f));
    err = private_config(font_dir, &c);
    if (err)
        return err;
    f->map = pango_cairo_font_map_new_for_font_type(CAIRO_FONT_TYPE_FT);
    if (!f->map) {
        FcConfigDestroy(c);
        return cv_fail(CV_EUNSUPPORTED, "pango has no FreeType font map");
    }
    pango_fc_font_map_set_config(PANGO_FC_FONT_MAP(f->map), c); /* takes a reference */
    FcConfigDestroy(c);
    pango_cairo_font_map_set_resolution(PANGO_CAIRO_FONT_MAP(f->map), 72.0);
    f->ctx = pango_font_map_create_context(f->map);
    pango_cairo_context_set_resolution(f->ctx, 72.0);
    fo = cairo_font_options_create();
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    pango_cairo_context_set_font_options(f->ctx, fo);
    cairo_font_options_destroy(fo);
    pango_context_set_language(f->ctx, pango_language_from_string("ja-jp"));
    for (int i = 0; i < PR_F_COUNT_; i++)
        f->desc[i] = pango_font_description_from_string(font_desc[i].desc);
    return CV_OK;
}

static void fonts_unload(struct pr_fonts *f)
{
    for (int i = 0; i < PR_F_COUNT_; i++)
        if (f->desc[i])
            pango_font_description_free(f->desc[i]);
    if (f->ctx)
        g_object_unref(f->ctx);
    if (f->map) {
        pango_fc_font_map_shutdown(PANGO_FC_FONT_MAP(f->map));
        g_object_unref(f->map);
    }
    memset(f, 0, sizeof(*f));
}

/* One set of fonts per process, loaded on first use and kept: fontconfig never gives back
 * what it loaded for a configuration, so loading the fonts for every refresh of a daemon
 * that runs for years would grow it without end. One pack at a time uses them (pango
 * contexts are not thread-safe): pr_fonts_open() takes the lock, pr_fonts_close() gives it
 * back. */
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pr_fonts shared;
static char shared_dir[PATH_MAX];

enum cv_err pr_fonts_open(const char *font_dir, struct pr_fonts *f)
{
    const char *dir = font_dir ? font_dir : "";
    enum cv_err err;

    memset(f, 0, sizeof(*f));
    err = cv_print_fonts_check(font_dir); /* every time: a font removed under us is an error */
    if (err)
        return err;
    pthread_mutex_lock(&shared_lock);
    if (shared.map && strcmp(shared_dir, dir) != 0)
        fonts_unload(&shared);
    if (!shared.map) {
        err = fonts_load(font_dir, &shared);
        if (err) {
            pthread_mutex_unlock(&shared_lock);
            return err;
        }
        cv_strlcpy(shared_dir, dir, sizeof(shared_dir));
    }
    *f = shared;
    return CV_OK;
}

void pr_fonts_close(struct pr_fonts *f)
{
    if (!f->map)
        return;
    memset(f, 0, sizeof(*f));
    pthread_mutex_unlock(&shared_lock);
}

void cv_print_release_caches(void)
{
    pthread_mutex_lock(&shared_lock);
    fonts_unload(&shared);
    pthread_mutex_unlock(&shared_lock);
    cairo_debug_reset_static_data();
    FcFini();
}

/* Control characters (C0, DEL, C1), format characters (bidirectional overrides, zero-width
 * joiners) and unassigned or private code points would print as nothing or as something
 * else; each is shown as 〓 (U+3013, the geta mark Japanese print uses for a character that
 * cannot be shown; the fonts have no U+FFFD), so a damaged field is visibly damaged. Tabs
 * and line feeds stay (reports have lines). */
static bool hidden(gunichar c)
{
    GUnicodeType t;

    if (c == '\n' || c == '\t')
        return false;
    t = g_unichar_type(c);
    return t == G_UNICODE_CONTROL || t == G_UNICODE_FORMAT || t == G_UNICODE_UNASSIGNED ||
           t == G_UNICODE_PRIVATE_USE || t == G_UNICODE_SURROGATE ||
           t == G_UNICODE_LINE_SEPARATOR || t == G_UNICODE_PARAGRAPH_SEPARATOR;
}

char *pr_clean_text(const char *s)
{
    char *valid = g_utf8_make_valid(s ? s : "", -1);
    GString *out = g_string_sized_new(strlen(valid) + 8);

    for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);

        if (c == '\r')
            c = '\n';
        if (hidden(c) || c == 0xFFFD) /* U+FFFD: what g_utf8_make_valid put for bad bytes */
            g_string_append_unichar(out, PR_BAD_CHAR);
        else
            g_string_append_unichar(out, c);
    }
    g_free(valid);
    return g_string_free(out, FALSE);
}

PangoLayout *pr_layout(struct pr_fonts *f, enum pr_font font, const char *text, double width)
{
    PangoLayout *l = pango_layout_new(f->ctx);
    char *clean = pr_clean_text(text);

    pango_layout_set_font_description(l, f->desc[font]);
    if (width > 0) {
        pango_layout_set_width(l, (int)(width * PANGO_SCALE));
        pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    }
    pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_NONE); /* never: text flows, never cut */
    pango_layout_set_text(l, clean, -1);
    g_free(clean);
    return l;
}

enum cv_err cv_print_unknown_glyphs(const char *font_dir, const char *text, int *count)
{
    struct pr_fonts f;
    enum cv_err err = pr_fonts_open(font_dir, &f);
    PangoLayout *l;

    *count = -1;
    if (err)
        return err;
    l = pr_layout(&f, PR_F_BODY, text, 0);
    *count = pango_layout_get_unknown_glyphs_count(l);
    g_object_unref(l);
    pr_fonts_close(&f);
    return CV_OK;
}
