/*
 * packs.c: the daemon's downtime packs ([print]): every `interval`, and at once when the
 * source freezes (the index then keeps the last good data, which is what the wards need on
 * paper), all packs are made anew from the index into a new folder and the `current` link is
 * switched to it (cv_print_refresh). A failed refresh is alerted and leaves the last packs
 * in place; the alert clears with the next good one. Messages name no patient.
 */
#include <chartvault/index.h>
#include <chartvault/print.h>

#include "daemon_parts.h"

#include <string.h>

#define RETRY_AFTER 60 /* seconds before a failed refresh is tried again */

struct cv_packer {
    const struct cv_config *cfg;
    struct cv_alerter *alerts;
    time_t next;
    time_t last_ok;
};

enum cv_err cv_packer_new(struct cv_packer **out, const struct cv_config *cfg,
                          struct cv_alerter *alerts)
{
    struct cv_packer *p = cv_calloc(1, sizeof(*p));

    *out = NULL;
    if (!p)
        return cv_fail(CV_ENOMEM, "out of memory");
    p->cfg = cfg;
    p->alerts = alerts;
    *out = p;
    return CV_OK;
}

void cv_packer_free(struct cv_packer *p)
{
    cv_free(p);
}

static enum cv_err refresh(struct cv_packer *p, struct cv_print_stats *st)
{
    const struct cv_config *c = p->cfg;
    struct cv_print_contact contacts[CV_CONTACT_ROLES];
    struct cv_print_options opt = {
        .facility = c->print_facility ? c->print_facility : c->facility,
        .validity_seconds = c->print_validity,
        .contacts = contacts,
    };
    struct cv_index *idx;
    enum cv_err err = cv_index_open(c->index_db, CV_INDEX_READONLY, &idx);

    if (err)
        return err;
    cv_print_contacts_from_config(c, contacts, &opt.ncontacts);
    err = cv_print_refresh(idx, c->print_dir, (unsigned)c->print_keep, &opt, st);
    cv_index_close(idx);
    return err;
}

void cv_packer_tend(struct cv_packer *p, time_t now, bool now_please)
{
    struct cv_print_stats st;
    enum cv_err err;

    if (!p || !p->cfg->print_dir || (!now_please && now < p->next))
        return;
    err = refresh(p, &st);
    if (err) {
        p->next =
            now + (RETRY_AFTER < p->cfg->print_interval ? RETRY_AFTER : p->cfg->print_interval);
        cv_alert_raise(p->alerts, CV_ALERT_WARN, "packs",
                       "downtime packs could not be refreshed in %s: %s (the last ones, made "
                       "%lld s ago, stay in place)",
                       p->cfg->print_dir, cv_errmsg(),
                       p->last_ok ? (long long)(now - p->last_ok) : -1LL);
        return;
    }
    p->next = now + p->cfg->print_interval;
    p->last_ok = now;
    log_info("downtime packs: %ld wards, %ld pages, %.1f s (as of %s)", st.wards, st.pages,
             st.seconds, st.as_of);
    if (cv_alert_active(p->alerts, "packs"))
        cv_alert_clear(p->alerts, "packs", "downtime packs are refreshed again");
}
