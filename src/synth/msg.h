/*
 * msg.h: what the HL7 renderers share: a segment builder that counts fields, and the
 * segments every message has (MSH, EVN, PID, PV1) in the style of the SS-MIX2 guideline
 * samples, so that a reader that handles the samples handles these.
 */
#ifndef CHARTVAULT_SYNTH_MSG_H
#define CHARTVAULT_SYNTH_MSG_H

#include "synth_internal.h"

struct rctx {
    const struct synth *s;
    const struct patient *p;
    const struct ev *e;
    struct out *o;
    const char *eol; /* "\r" or "\r\n" */
    int field;       /* current field of the open segment */
};

enum app { APP_HIS, APP_LIS, APP_RIS };

void sy_seg(struct rctx *c, const char *name);
void sy_fld(struct rctx *c, int n); /* move to field n of the open segment */
void sy_seg_end(struct rctx *c);

void sy_put_msh(struct rctx *c, int app);
void sy_put_evn(struct rctx *c, int64_t recorded, int64_t occurred);
void sy_put_pid(struct rctx *c, bool full, int app);
/* PV1 for an order or visit: inpatient with the bed held at time t, else outpatient. */
void sy_put_pv1(struct rctx *c, int64_t t, uint16_t doctor, int dept);
void sy_put_xcn(struct rctx *c, uint16_t doctor);
void sy_put_name(struct rctx *c, const struct family_name *f, const struct given_name *g,
                 bool early_l);
void sy_put_xad(struct rctx *c, const struct demo *d);
void sy_put_bed(struct rctx *c, int32_t bed); /* ward^room^bed^^^N */
void sy_put_dept(struct rctx *c, int dept);   /* 01^内科^99XY1 */
void sy_put_hospital(struct rctx *c);         /* ORC-21..23 from the current field */
void sy_put_dose(struct rctx *c, unsigned dose10);
void sy_put_wide(struct rctx *c, unsigned v); /* full-width digits */

/* The bed in PV1-3 of an ADT event, the prior bed (PV1-6) and the clinical time. */
int32_t sy_adt_bed(const struct synth *s, const struct patient *p, const struct ev *e,
                   int32_t *prior);
int64_t sy_adt_time(const struct patient *p, const struct ev *e);

void sy_render_adt(struct rctx *c);
void sy_render_a08(struct rctx *c);
void sy_render_a60(struct rctx *c);
void sy_render_zd1(struct rctx *c);
void sy_render_rde(struct rctx *c);
void sy_render_oml(struct rctx *c);
void sy_render_oul(struct rctx *c);
void sy_render_culture(struct rctx *c);
void sy_render_omg(struct rctx *c);
void sy_render_omi(struct rctx *c);
void sy_render_omd(struct rctx *c);

#endif
