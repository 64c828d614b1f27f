/*
 * msg_adt.c: the ADT messages (registration A08, visit A04, admission A01 and its cancel
 * A11, transfer A02/A12, leave A21 and return A22, discharge A03/A13), allergies (A60 with
 * IAM) and the diagnosis list (PPR^ZD1 with PRB). Field positions follow the SS-MIX2
 * guideline samples: PV1-3 ward^room^bed^^^N, PV1-7 the attending doctor, PV1-44/45
 * admission and discharge, EVN-6 when it happened.
 */
#include "msg.h"

#include <string.h>

static void put_in1(struct rctx *c, int age);

int32_t sy_adt_bed(const struct synth *s, const struct patient *p, const struct ev *e,
                   int32_t *prior)
{
    const struct stay *st = &p->stays[e->ref];
    int32_t at;

    *prior = -1;
    switch (e->msg) {
    case M_A01:
    case M_A11:
        return e->aux ? st->cancel_admit_bed : st->seg[0].bed;
    case M_A02:
        if (e->aux < 0) {
            *prior = sy_patient_bed_at(s, p, st->cancel_transfer, NULL);
            return st->cancel_transfer_bed;
        }
        *prior = st->seg[e->aux - 1].bed;
        return st->seg[e->aux].bed;
    case M_A12:
        *prior = st->cancel_transfer_bed;
        return sy_patient_bed_at(s, p, st->cancel_transfer, NULL);
    case M_A03:
    case M_A13:
        at = sy_patient_bed_at(s, p, e->aux ? st->cancel_discharge : st->discharge - 1, NULL);
        return at >= 0 ? at : st->seg[st->nseg - 1].bed;
    default:
        return sy_patient_bed_at(s, p, sy_adt_time(p, e), NULL);
    }
}

int64_t sy_adt_time(const struct patient *p, const struct ev *e)
{
    const struct stay *st = e->type == T_ADT12 ? NULL : &p->stays[e->ref];

    switch (e->msg) {
    case M_A04:
        return p->visit.v[e->ref].t;
    case M_A01:
    case M_A11:
        return e->aux ? st->cancel_admit : st->admit;
    case M_A02:
        return e->aux < 0 ? st->cancel_transfer : st->seg[e->aux].from;
    case M_A12:
        return st->cancel_transfer;
    case M_A21:
        return st->leave_out;
    case M_A22:
        return st->leave_in;
    default: /* A03, A13 */
        return e->aux ? st->cancel_discharge : st->discharge;
    }
}

static void render_visit(struct rctx *c)
{
    const struct visit *v = &c->p->visit.v[c->e->ref];

    sy_put_msh(c, APP_HIS);
    sy_put_evn(c, c->e->t, v->t);
    sy_put_pid(c, true, APP_HIS);
    sy_seg(c, "PV1");
    sy_fld(c, 1);
    OUT_LIT(c->o, "0001");
    sy_fld(c, 2);
    sy_out_c(c->o, 'O');
    sy_fld(c, 3);
    sy_out_s(c->o, sy_tab_dept[v->dept].code);
    OUT_LIT(c->o, "^^^^^C");
    sy_fld(c, 7);
    sy_put_xcn(c, v->doctor);
    sy_fld(c, 10);
    sy_out_s(c->o, sy_tab_dept[v->dept].code);
    sy_fld(c, 44);
    sy_out_min(c->o, v->t);
    sy_seg_end(c);
    put_in1(c, sy_age_at(c->p->lite->birth, day_of(v->t)));
}

void sy_render_adt(struct rctx *c)
{
    const struct ev *e = c->e;
    const struct stay *st;
    int64_t when;
    int32_t bed, prior;

    if (e->type == T_ADT12) {
        render_visit(c);
        return;
    }
    st = &c->p->stays[e->ref];
    when = sy_adt_time(c->p, e);
    bed = sy_adt_bed(c->s, c->p, e, &prior);
    sy_put_msh(c, APP_HIS);
    sy_put_evn(c, e->t, when);
    sy_put_pid(c, true, APP_HIS);
    sy_seg(c, "PV1");
    sy_fld(c, 1);
    OUT_LIT(c->o, "0001");
    sy_fld(c, 2);
    sy_out_c(c->o, 'I');
    sy_fld(c, 3);
    sy_put_bed(c, bed);
    if (prior >= 0) {
        sy_fld(c, 6);
        sy_put_bed(c, prior);
    }
    sy_fld(c, 7);
    sy_put_xcn(c, st->doctor);
    sy_fld(c, 10);
    sy_out_s(c->o, sy_tab_dept[st->dept].code);
    sy_fld(c, 17);
    sy_put_xcn(c, st->doctor);
    sy_fld(c, 44);
    sy_out_min(c->o, e->msg == M_A01 || e->msg == M_A11 ? when : st->admit);
    if (e->msg == M_A03 || e->msg == M_A13) {
        sy_fld(c, 45);
        sy_out_min(c->o, when);
    }
    sy_seg_end(c);
    sy_seg(c, "PV2");
    sy_fld(c, 3);
    sy_out_c(c->o, '^');
    sy_out_jc(c->o, sy_tab_dx[sy_dx_find(sy_tab_reason[st->reason].icd10)].name);
    sy_fld(c, 8);
    sy_out_date(c->o, day_of(st->admit));
    sy_seg_end(c);
    if (e->msg == M_A01 || e->msg == M_A03)
        put_in1(c, sy_age_at(c->p->lite->birth, day_of(when)));
}

static void put_nk1_contact(struct rctx *c, int n, const struct demo *d, const struct contact *k)
{
    const struct relation *r = &sy_tab_relation[k->rel];

    sy_seg(c, "NK1");
    sy_fld(c, 1);
    sy_out_u(c->o, (uint64_t)n);
    sy_fld(c, 2);
    sy_put_name(c, k->family, k->given, false);
    sy_fld(c, 3);
    sy_out_s(c->o, r->code);
    sy_out_c(c->o, '^');
    sy_out_jc(c->o, r->name);
    OUT_LIT(c->o, "^HL70063");
    if (k->same_address) {
        sy_fld(c, 4);
        sy_put_xad(c, d);
    }
    sy_fld(c, 5);
    OUT_LIT(c->o, "^PRN^CP^^^^^^^^^");
    sy_out_s(c->o, k->phone);
    if (k->work[0]) {
        sy_fld(c, 6);
        OUT_LIT(c->o, "^WPN^PH^^^^^^^^^");
        sy_out_s(c->o, k->work);
    }
    sy_seg_end(c);
}

/* The patient as their own next of kin, with the employer, as in the guideline sample. */
static void put_nk1_self(struct rctx *c, const struct demo *d)
{
    sy_seg(c, "NK1");
    sy_fld(c, 1);
    OUT_LIT(c->o, "1");
    sy_fld(c, 2);
    sy_put_name(c, d->family, d->given, false);
    sy_fld(c, 3);
    OUT_LIT(c->o, "SEL^");
    sy_out_jc(c->o, "本人");
    OUT_LIT(c->o, "^HL70063");
    sy_fld(c, 4);
    sy_put_xad(c, d);
    if (d->home[0]) {
        sy_fld(c, 5);
        OUT_LIT(c->o, "^PRN^PH^^^^^^^^^");
        sy_out_s(c->o, d->home);
    }
    if (d->work[0]) {
        sy_fld(c, 6);
        OUT_LIT(c->o, "^WPN^PH^^^^^^^^^");
        sy_out_s(c->o, d->work);
    }
    sy_fld(c, 13);
    sy_out_jc(c->o, sy_tab_employer[d->employer]);
    OUT_LIT(c->o, "^D");
    sy_seg_end(c);
}

/* ABO and Rh(D) the way the patient's writer does it: the public samples' JLAC10 codes
 * (5H010000009199911) or the construction guideline's (5H010000001999911), a coded value
 * (A^A^JSHR002) or plain text in several spellings (A型, ＡＢ型, Rh(+), 陽性, POS). */
static void put_blood_type(struct rctx *c, int *n)
{
    static const char *const abo[] = {"A", "B", "O", "AB"};
    static const char *const abo_wide[] = {"Ａ型", "Ｂ型", "Ｏ型", "ＡＢ型"};
    static const char *const rh_text[][2] = {
        {"Rh(+)", "Rh(−)"}, {"陽性", "陰性"}, {"POS", "NEG"}}; /* forms 2, 3, 4 */
    int form = c->p->blood_form, b = c->p->blood, neg = c->p->rh_neg;
    bool guideline = form == 1 || form == 2 || form == 3, coded = form <= 1;

    sy_seg(c, "OBX|");
    sy_out_u(c->o, (uint64_t)++ * n);
    sy_out_s(c->o, coded ? "|CWE|" : "|ST|");
    sy_out_s(c->o, guideline ? "5H010000001999911^" : "5H010000009199911^");
    sy_out_jc(c->o, "血液型-ABO式");
    OUT_LIT(c->o, "^JC10||");
    if (coded) {
        sy_out_s(c->o, abo[b]);
        sy_out_c(c->o, '^');
        sy_out_s(c->o, abo[b]);
        OUT_LIT(c->o, "^JSHR002");
    } else if (form == 2) {
        sy_out_s(c->o, abo[b]);
        sy_out_jc(c->o, "型");
    } else if (form == 3) {
        sy_out_jc(c->o, abo_wide[b]);
    } else {
        sy_out_s(c->o, abo[b]);
    }
    OUT_LIT(c->o, "||||||F");
    sy_seg_end(c);
    sy_seg(c, "OBX|");
    sy_out_u(c->o, (uint64_t)++ * n);
    sy_out_s(c->o, coded ? "|CWE|" : "|ST|");
    sy_out_s(c->o, guideline ? "5H020000001999911^" : "5H020000009199911^");
    sy_out_jc(c->o, "血液型-Rh式");
    OUT_LIT(c->o, "^JC10||");
    if (coded) {
        sy_out_s(c->o, neg ? "-^" : "+^");
        sy_out_jc(c->o, neg ? "Rh(D)陰性" : "Rh(D)陽性");
        OUT_LIT(c->o, "^JSHR002");
    } else {
        sy_out_jc(c->o, rh_text[form - 2][neg]);
    }
    OUT_LIT(c->o, "||||||F");
    sy_seg_end(c);
}

static void put_obx_body(struct rctx *c, const struct demo *d, int *n)
{
    if (d->height10) {
        sy_seg(c, "OBX");
        sy_fld(c, 1);
        sy_out_u(c->o, (uint64_t)++ * n);
        OUT_LIT(c->o, "|NM|9N001000000000001^");
        sy_out_jc(c->o, "身長");
        OUT_LIT(c->o, "^JC10||");
        sy_out_fix(c->o, d->height10, 1);
        OUT_LIT(c->o, "|cm^cm^ISO+|||||F");
        sy_seg_end(c);
        sy_seg(c, "OBX");
        sy_out_c(c->o, '|');
        sy_out_u(c->o, (uint64_t)++ * n);
        OUT_LIT(c->o, "|NM|9N006000000000001^");
        sy_out_jc(c->o, "体重");
        OUT_LIT(c->o, "^JC10||");
        sy_out_fix(c->o, d->weight10, 1);
        OUT_LIT(c->o, "|kg^kg^ISO+|||||F");
        sy_seg_end(c);
    }
    if (c->p->blood < 4)
        put_blood_type(c, n);
}

static void put_allergy_fields(struct rctx *c, const struct allergy *a)
{
    const struct allergen *g = &sy_tab_allergen[a->allergen];

    sy_out_s(c->o, g->type);
    sy_out_c(c->o, '^');
    sy_out_jc(c->o, g->type_name);
    OUT_LIT(c->o, "^HL70127|");
    sy_out_s(c->o, g->code);
    sy_out_c(c->o, '^');
    sy_out_jc(c->o, g->name);
    sy_out_c(c->o, '^');
    sy_out_s(c->o, g->system);
    sy_out_c(c->o, '|');
    sy_out_s(c->o, sy_tab_severity[a->severity].code);
    sy_out_c(c->o, '^');
    sy_out_jc(c->o, sy_tab_severity[a->severity].name);
    OUT_LIT(c->o, "^HL70128|");
    sy_out_jc(c->o, sy_tab_reaction[a->reaction]);
}

static void put_in1(struct rctx *c, int age)
{
    sy_seg(c, "IN1");
    sy_fld(c, 1);
    OUT_LIT(c->o, "1");
    sy_fld(c, 2);
    if (age >= 75) {
        OUT_LIT(c->o, "39^");
        sy_out_jc(c->o, "後期高齢者医療");
    } else if (c->p->idx % 3 == 0) {
        OUT_LIT(c->o, "67^");
        sy_out_jc(c->o, "国民健康保険");
    } else {
        OUT_LIT(c->o, "01^");
        sy_out_jc(c->o, "全国健康保険協会管掌健康保険");
    }
    OUT_LIT(c->o, "^JHSD0001");
    sy_fld(c, 3);
    sy_out_u0(c->o, 22000000u + c->p->idx % 1000, 8);
    sy_fld(c, 17);
    OUT_LIT(c->o, "SEL^");
    sy_out_jc(c->o, "本人");
    OUT_LIT(c->o, "^HL70063");
    sy_seg_end(c);
}

void sy_render_a08(struct rctx *c)
{
    const struct demo *d = &c->p->demo.v[c->e->ref];
    int32_t stay;
    int n = 0, k = 0;

    sy_put_msh(c, APP_HIS);
    sy_put_evn(c, d->t, NO_TIME);
    sy_put_pid(c, true, APP_HIS);
    if (d->employer >= 0)
        put_nk1_self(c, d), k++;
    for (size_t i = 0; i < d->ncontacts; i++)
        put_nk1_contact(c, ++k, d, &d->contacts[i]);
    if (sy_patient_bed_at(c->s, c->p, d->t, &stay) >= 0)
        sy_put_pv1(c, d->t, c->p->stays[stay].doctor, c->p->stays[stay].dept);
    else if (c->p->nchronic)
        sy_put_pv1(c, d->t, c->p->chronic_doctor, c->p->chronic_dept);
    else
        sy_put_pv1(c, d->t, c->s->h.dept_doctors[D_IM][0], D_IM);
    put_obx_body(c, d, &n);
    for (size_t i = 0; i < d->nallergies; i++) {
        sy_seg(c, "AL1|");
        sy_out_u(c->o, (uint64_t)i + 1);
        sy_out_c(c->o, '|');
        put_allergy_fields(c, &c->p->allergy.v[d->allergies[i]]);
        sy_seg_end(c);
    }
    put_in1(c, sy_age_at(c->p->lite->birth, day_of(d->t)));
}

void sy_render_a60(struct rctx *c)
{
    static const char *const action[] = {"追加", "更新", "削除"};
    const struct iam_msg *m = &c->p->iam.v[c->e->ref];

    sy_put_msh(c, APP_HIS);
    sy_put_evn(c, c->e->t, NO_TIME);
    sy_put_pid(c, false, APP_HIS);
    for (size_t i = 0; i < m->nops; i++) {
        const struct iam_op *op = &m->ops[i];
        int a = op->action == 'A' ? 0 : op->action == 'U' ? 1 : 2;
        int y, mo, dd;

        sy_seg(c, "IAM|");
        sy_out_u(c->o, (uint64_t)i + 1);
        sy_out_c(c->o, '|');
        put_allergy_fields(c, &op->a);
        sy_out_c(c->o, '|');
        sy_out_c(c->o, op->action);
        sy_out_c(c->o, '^');
        sy_out_jc(c->o, action[a]);
        OUT_LIT(c->o, "^HL70323|||||");
        sy_day_ymd(op->a.onset, &y, &mo, &dd);
        sy_out_u0(c->o, (uint64_t)y, 4);
        sy_out_u0(c->o, (uint64_t)mo, 2);
        if (op->a.onset % 3)
            sy_out_u0(c->o, (uint64_t)dd, 2);
        sy_seg_end(c);
    }
}

static void put_prb(struct rctx *c, const struct diag *g, int64_t t, bool main)
{
    const struct dx *x = &sy_tab_dx[g->dx];
    bool resolved = g->resolved != NO_TIME && g->resolved <= t;

    sy_seg(c, "PRB");
    sy_fld(c, 1);
    sy_out_s(c->o, g->added == t ? "AD" : resolved && g->resolved == t ? "UP" : "UC");
    sy_fld(c, 2);
    sy_out_date(c->o, day_of(t));
    sy_fld(c, 3);
    sy_out_s(c->o, x->medis);
    sy_out_c(c->o, '^');
    sy_out_jc(c->o, x->name);
    OUT_LIT(c->o, "^MDCDX2");
    sy_fld(c, 4);
    sy_out_u0(c->o, g->instance, 15);
    sy_fld(c, 7);
    sy_out_date(c->o, day_of(g->added));
    if (resolved) {
        sy_fld(c, 9);
        sy_out_date(c->o, day_of(g->resolved));
    }
    sy_fld(c, 10);
    sy_out_s(c->o, x->icd10);
    OUT_LIT(c->o, "^^I10^");
    sy_out_c(c->o, (char)g->inout);
    sy_out_c(c->o, '^');
    sy_out_jc(c->o, g->inout == 'I' ? "入院時" : "外来時");
    OUT_LIT(c->o, "^JHSD0004");
    if (g->suspected) {
        sy_fld(c, 13);
        OUT_LIT(c->o, "1^");
        sy_out_jc(c->o, "疑い");
        OUT_LIT(c->o, "^JHSD0005");
    }
    if (resolved) {
        sy_fld(c, 14);
        OUT_LIT(c->o, "F^");
        sy_out_jc(c->o, "治癒");
        OUT_LIT(c->o, "^HL70241");
        sy_fld(c, 15);
        sy_out_date(c->o, day_of(g->resolved));
    }
    sy_fld(c, 16);
    sy_out_date(c->o, g->onset);
    sy_fld(c, 17);
    sy_out_jc(c->o, x->name);
    if (!resolved) {
        sy_fld(c, 18);
        sy_out_s(c->o, main ? "1^" : "2^");
        sy_out_jc(c->o, main ? "主診断" : "副診断");
        OUT_LIT(c->o, "^JHSD0007");
    }
    sy_seg_end(c);
}

void sy_render_zd1(struct rctx *c)
{
    const struct ppr *r = &c->p->ppr.v[c->e->ref];
    int64_t t = r->t;
    int main = sy_diag_main(c->s, c->p, t);

    sy_put_msh(c, APP_HIS);
    sy_put_pid(c, false, APP_HIS);
    for (size_t i = 0; i < c->p->diag.n; i++) {
        const struct diag *g = &c->p->diag.v[i];
        const struct dx *x = &sy_tab_dx[g->dx];

        if (r->only >= 0 ? (int)i != r->only : !sy_diag_listed(g, t))
            continue;
        put_prb(c, g, t, (int)i == main);
        sy_seg(c, "ZPR");
        sy_fld(c, 2);
        sy_out_s(c->o, x->medis);
        sy_out_c(c->o, '^');
        sy_out_jc(c->o, x->name);
        OUT_LIT(c->o, "^MDCDX2");
        sy_fld(c, 5);
        sy_out_s(c->o, x->exch);
        sy_out_c(c->o, '^');
        sy_out_jc(c->o, x->name);
        OUT_LIT(c->o, "^MDCDX2");
        sy_seg_end(c);
        sy_seg(c, "ORC");
        sy_fld(c, 1);
        OUT_LIT(c->o, "NW");
        sy_fld(c, 2);
        sy_out_u0(c->o, g->instance, 15);
        sy_fld(c, 12);
        sy_put_xcn(c, g->doctor);
        sy_fld(c, 17);
        sy_put_dept(c, g->dept);
        sy_fld(c, 29);
        sy_out_c(c->o, (char)g->inout);
        sy_out_c(c->o, '^');
        sy_out_jc(c->o, g->inout == 'I' ? "入院患者オーダ" : "外来患者オーダ");
        OUT_LIT(c->o, "^HL70482");
        sy_seg_end(c);
    }
}
