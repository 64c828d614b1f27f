/*
 * document.c: a plain framed document of headings and text, for `chartvault report` (the
 * inspection report). It reuses the packs' flow (doc.c): text wraps and runs onto more pages,
 * never cut, and every page carries the facility, the title, the data time and page i / n.
 * Also the contacts of a configuration as the packs print them.
 */
#include "print_int.h"

#include <limits.h>
#include <stdio.h>
#include <unistd.h>

void cv_print_contacts_from_config(const struct cv_config *cfg,
                                   struct cv_print_contact out[CV_CONTACT_ROLES], size_t *n)
{
    *n = 0;
    for (int r = 0; r < CV_CONTACT_ROLES; r++) {
        const struct cv_config_contact *k = &cfg->contacts[r];

        if (!k->name)
            continue;
        out[*n] = (struct cv_print_contact){.name = k->name,
                                            .role = cv_contact_role_label(r, false),
                                            .phone = k->phone,
                                            .mail = k->mail};
        (*n)++;
    }
}

static const enum pr_font block_font[] = {
    [CV_PRINT_HEADING] = PR_F_TITLE,
    [CV_PRINT_SUBHEADING] = PR_F_HEAD,
    [CV_PRINT_BODY] = PR_F_BODY,
};

enum cv_err cv_print_document(const char *path, const char *facility, const char *title,
                              const char *as_of, const struct cv_print_block *blocks, size_t n,
                              const char *font_dir)
{
    struct pr_fonts fonts;
    struct pr_frame frame = {.facility = facility ? facility : "", .no_expiry = true};
    struct pr_doc d;
    char tmp[PATH_MAX];
    uint64_t bytes = 0;
    enum cv_err err;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid()) >= sizeof(tmp))
        return cv_fail(CV_EINVAL, "path too long: '%s'", path);
    err = pr_fonts_open(font_dir, &fonts);
    if (err)
        return err;
    cv_strlcpy(frame.as_of, as_of ? as_of : "-", sizeof(frame.as_of));
    cv_time_format_minutes(cv_now(), frame.printed, sizeof(frame.printed));
    pr_doc_init(&d, &fonts, &frame);
    pr_doc_new_page(&d, title, NULL);
    pr_doc_set_frame(&d, title, NULL, NULL, NULL);
    for (size_t i = 0; i < n && !d.err; i++) {
        enum cv_print_block_kind k = blocks[i].kind;

        if ((unsigned)k > CV_PRINT_BODY)
            k = CV_PRINT_BODY;
        if (k == CV_PRINT_HEADING && !d.fresh)
            pr_doc_need(&d, 120); /* a section title never ends a page */
        if (k != CV_PRINT_BODY)
            pr_doc_gap(&d, k == CV_PRINT_HEADING ? 8 : 4);
        pr_flow_text(&d, block_font[k], blocks[i].text ? blocks[i].text : "", 0, 0);
        pr_doc_gap(&d, 2);
    }
    unlink(tmp);
    err = d.err ? d.err : pr_doc_write_pdf(&d, tmp, &bytes);
    if (!err && rename(tmp, path) != 0)
        err = cv_fail_errno(CV_EIO, "cannot rename '%s' to '%s'", tmp, path);
    if (err)
        unlink(tmp);
    pr_doc_free(&d);
    pr_fonts_close(&fonts);
    return err;
}
