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

int32_t adt_bed(const struct synth *s, const struct patient *p, const struct ev *e, int32_t *prior)
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
            *prior = patient_bed_at(s, p, st->cancel_transfer, NULL);
            return st->cancel_transfer_bed;
        }
        *prior = st->seg[e->aux - 1].bed;
        return st->seg[e->aux].bed;
    case M_A12:
        *prior = st->cancel_transfer_bed;
        return patient_bed_at(s, p, st->cancel_transfer, NULL);
    case M_A03:
    case M_A13:
        at = patient_bed_at(s, p, e->aux ? st->cancel_discharge : st->discharge - 1, NULL);
        return at >= 0 ? at : st->seg[st->nseg - 1].bed;
    default:
        return patient_bed_at(s, p, adt_time(p, e), NULL);
    }
}

int64_t adt_time(const struct patient *p, const struct ev *e)
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

    put_msh(c, APP_HIS);
    put_evn(c, c->e->t, v->t);
    put_pid(c, true, APP_HIS);
    seg(c, "PV1");
    fld(c, 1);
    out_s(c->o, "0001");
    fld(c, 2);
    out_c(c->o, 'O');
    fld(c, 3);
    out_s(c->o, tab_dept[v->dept].code);
    out_s(c->o, "^^^^^C");
    fld(c, 7);
    put_xcn(c, v->doctor);
    fld(c, 10);
    out_s(c->o, tab_dept[v->dept].code);
    fld(c, 44);
    out_min(c->o, v->t);
    seg_end(c);
    put_in1(c, age_at(c->p->lite->birth, day_of(v->t)));
}

void render_adt(struct rctx *c)
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
    when = adt_time(c->p, e);
    bed = adt_bed(c->s, c->p, e, &prior);
    put_msh(c, APP_HIS);
    put_evn(c, e->t, when);
    put_pid(c, true, APP_HIS);
    seg(c, "PV1");
    fld(c, 1);
    out_s(c->o, "0001");
    fld(c, 2);
    out_c(c->o, 'I');
    fld(c, 3);
    put_bed(c, bed);
    if (prior >= 0) {
        fld(c, 6);
        put_bed(c, prior);
    }
    fld(c, 7);
    put_xcn(c, st->doctor);
    fld(c, 10);
    out_s(c->o, tab_dept[st->dept].code);
    fld(c, 17);
    put_xcn(c, st->doctor);
    fld(c, 44);
    out_min(c->o, e->msg == M_A01 || e->msg == M_A11 ? when : st->admit);
    if (e->msg == M_A03 || e->msg == M_A13) {
        fld(c, 45);
        out_min(c->o, when);
    }
    seg_end(c);
    seg(c, "PV2");
    fld(c, 3);
    out_c(c->o, '^');
    out_j(c->o, tab_dx[dx_find(tab_reason[st->reason].icd10)].name);
    fld(c, 8);
    out_date(c->o, day_of(st->admit));
    seg_end(c);
    if (e->msg == M_A01 || e->msg == M_A03)
        put_in1(c, age_at(c->p->lite->birth, day_of(when)));
}

static void put_nk1_contact(struct rctx *c, int n, const struct demo *d, const struct contact *k)
{
    const struct relation *r = &tab_relation[k->rel];

    seg(c, "NK1");
    fld(c, 1);
    out_u(c->o, (uint64_t)n);
    fld(c, 2);
    put_name(c, k->family, k->given, false);
    fld(c, 3);
    out_s(c->o, r->code);
    out_c(c->o, '^');
    out_j(c->o, r->name);
    out_s(c->o, "^HL70063");
    if (k->same_address) {
        fld(c, 4);
        put_xad(c, d);
    }
    fld(c, 5);
    out_s(c->o, "^PRN^CP^^^^^^^^^");
    out_s(c->o, k->phone);
    if (k->work[0]) {
        fld(c, 6);
        out_s(c->o, "^WPN^PH^^^^^^^^^");
        out_s(c->o, k->work);
    }
    seg_end(c);
}

/* The patient as their own next of kin, with the employer, as in the guideline sample. */
static void put_nk1_self(struct rctx *c, const struct demo *d)
{
    seg(c, "NK1");
    fld(c, 1);
    out_s(c->o, "1");
    fld(c, 2);
    put_name(c, d->family, d->given, false);
    fld(c, 3);
    out_s(c->o, "SEL^");
    out_j(c->o, "本人");
    out_s(c->o, "^HL70063");
    fld(c, 4);
    put_xad(c, d);
    if (d->home[0]) {
        fld(c, 5);
        out_s(c->o, "^PRN^PH^^^^^^^^^");
        out_s(c->o, d->home);
    }
    if (d->work[0]) {
        fld(c, 6);
        out_s(c->o, "^WPN^PH^^^^^^^^^");
        out_s(c->o, d->work);
    }
    fld(c, 13);
    out_j(c->o, tab_employer[d->employer]);
    out_s(c->o, "^D");
    seg_end(c);
}

static void put_obx_body(struct rctx *c, const struct demo *d, int *n)
{
    static const char *const abo[] = {"A", "B", "O", "AB"};

    if (d->height10) {
        seg(c, "OBX");
        fld(c, 1);
        out_u(c->o, (uint64_t)++ * n);
        out_s(c->o, "|NM|9N001000000000001^");
        out_j(c->o, "身長");
        out_s(c->o, "^JC10||");
        out_fix(c->o, d->height10, 1);
        out_s(c->o, "|cm^cm^ISO+|||||F");
        seg_end(c);
        seg(c, "OBX");
        out_c(c->o, '|');
        out_u(c->o, (uint64_t)++ * n);
        out_s(c->o, "|NM|9N006000000000001^");
        out_j(c->o, "体重");
        out_s(c->o, "^JC10||");
        out_fix(c->o, d->weight10, 1);
        out_s(c->o, "|kg^kg^ISO+|||||F");
        seg_end(c);
    }
    if (c->p->blood < 4) {
        seg(c, "OBX|");
        out_u(c->o, (uint64_t)++ * n);
        out_s(c->o, "|CWE|5H010000009199911^");
        out_j(c->o, "血液型-ABO式");
        out_s(c->o, "^JC10||");
        out_s(c->o, abo[c->p->blood]);
        out_c(c->o, '^');
        out_s(c->o, abo[c->p->blood]);
        out_s(c->o, "^JSHR002||||||F");
        seg_end(c);
        seg(c, "OBX|");
        out_u(c->o, (uint64_t)++ * n);
        out_s(c->o, "|CWE|5H020000009199911^");
        out_j(c->o, "血液型-Rh式");
        out_s(c->o, "^JC10||");
        out_s(c->o, c->p->rh_neg ? "-^" : "+^");
        out_j(c->o, c->p->rh_neg ? "Rh(D)陰性" : "Rh(D)陽性");
        out_s(c->o, "^JSHR002||||||F");
        seg_end(c);
    }
}

static void put_allergy_fields(struct rctx *c, const struct allergy *a)
{
    const struct allergen *g = &tab_allergen[a->allergen];

    out_s(c->o, g->type);
    out_c(c->o, '^');
    out_j(c->o, g->type_name);
    out_s(c->o, "^HL70127|");
    out_s(c->o, g->code);
    out_c(c->o, '^');
    out_j(c->o, g->name);
    out_c(c->o, '^');
    out_s(c->o, g->system);
    out_c(c->o, '|');
    out_s(c->o, tab_severity[a->severity].code);
    out_c(c->o, '^');
    out_j(c->o, tab_severity[a->severity].name);
    out_s(c->o, "^HL70128|");
    out_j(c->o, tab_reaction[a->reaction]);
}

static void put_in1(struct rctx *c, int age)
{
    seg(c, "IN1");
    fld(c, 1);
    out_s(c->o, "1");
    fld(c, 2);
    if (age >= 75) {
        out_s(c->o, "39^");
        out_j(c->o, "後期高齢者医療");
    } else if (c->p->idx % 3 == 0) {
        out_s(c->o, "67^");
        out_j(c->o, "国民健康保険");
    } else {
        out_s(c->o, "01^");
        out_j(c->o, "全国健康保険協会管掌健康保険");
    }
    out_s(c->o, "^JHSD0001");
    fld(c, 3);
    out_u0(c->o, 22000000u + c->p->idx % 1000, 8);
    fld(c, 17);
    out_s(c->o, "SEL^");
    out_j(c->o, "本人");
    out_s(c->o, "^HL70063");
    seg_end(c);
}

void render_a08(struct rctx *c)
{
    const struct demo *d = &c->p->demo.v[c->e->ref];
    int32_t stay;
    int n = 0, k = 0;

    put_msh(c, APP_HIS);
    put_evn(c, d->t, NO_TIME);
    put_pid(c, true, APP_HIS);
    if (d->employer >= 0)
        put_nk1_self(c, d), k++;
    for (size_t i = 0; i < d->ncontacts; i++)
        put_nk1_contact(c, ++k, d, &d->contacts[i]);
    if (patient_bed_at(c->s, c->p, d->t, &stay) >= 0)
        put_pv1(c, d->t, c->p->stays[stay].doctor, c->p->stays[stay].dept);
    else if (c->p->nchronic)
        put_pv1(c, d->t, c->p->chronic_doctor, c->p->chronic_dept);
    else
        put_pv1(c, d->t, c->s->h.dept_doctors[D_IM][0], D_IM);
    put_obx_body(c, d, &n);
    for (size_t i = 0; i < d->nallergies; i++) {
        seg(c, "AL1|");
        out_u(c->o, (uint64_t)i + 1);
        out_c(c->o, '|');
        put_allergy_fields(c, &c->p->allergy.v[d->allergies[i]]);
        seg_end(c);
    }
    put_in1(c, age_at(c->p->lite->birth, day_of(d->t)));
}

void render_a60(struct rctx *c)
{
    static const char *const action[] = {"追加", "更新", "削除"};
    const struct iam_msg *m = &c->p->iam.v[c->e->ref];

    put_msh(c, APP_HIS);
    put_evn(c, c->e->t, NO_TIME);
    put_pid(c, false, APP_HIS);
    for (size_t i = 0; i < m->nops; i++) {
        const struct iam_op *op = &m->ops[i];
        int a = op->action == 'A' ? 0 : op->action == 'U' ? 1 : 2;
        int y, mo, dd;

        seg(c, "IAM|");
        out_u(c->o, (uint64_t)i + 1);
        out_c(c->o, '|');
        put_allergy_fields(c, &op->a);
        out_c(c->o, '|');
        out_c(c->o, op->action);
        out_c(c->o, '^');
        out_j(c->o, action[a]);
        out_s(c->o, "^HL70323|||||");
        day_ymd(op->a.onset, &y, &mo, &dd);
        out_u0(c->o, (uint64_t)y, 4);
        out_u0(c->o, (uint64_t)mo, 2);
        if (op->a.onset % 3)
            out_u0(c->o, (uint64_t)dd, 2);
        seg_end(c);
    }
}

static void put_prb(struct rctx *c, const struct diag *g, int64_t t, bool main)
{
    const struct dx *x = &tab_dx[g->dx];
    bool resolved = g->resolved != NO_TIME && g->resolved <= t;

    seg(c, "PRB");
    fld(c, 1);
    out_s(c->o, g->added == t ? "AD" : resolved && g->resolved == t ? "UP" : "UC");
    fld(c, 2);
    out_date(c->o, day_of(t));
    fld(c, 3);
    out_s(c->o, x->medis);
    out_c(c->o, '^');
    out_j(c->o, x->name);
    out_s(c->o, "^MDCDX2");
    fld(c, 4);
    out_u0(c->o, g->instance, 15);
    fld(c, 7);
    out_date(c->o, day_of(g->added));
    if (resolved) {
        fld(c, 9);
        out_date(c->o, day_of(g->resolved));
    }
    fld(c, 10);
    out_s(c->o, x->icd10);
    out_s(c->o, "^^I10^");
    out_c(c->o, (char)g->inout);
    out_c(c->o, '^');
    out_j(c->o, g->inout == 'I' ? "入院時" : "外来時");
    out_s(c->o, "^JHSD0004");
    if (resolved) {
        fld(c, 14);
        out_s(c->o, "F^");
        out_j(c->o, "治癒");
        out_s(c->o, "^HL70241");
        fld(c, 15);
        out_date(c->o, day_of(g->resolved));
    }
    fld(c, 16);
    out_date(c->o, g->onset);
    fld(c, 17);
    out_j(c->o, x->name);
    if (!resolved) {
        fld(c, 18);
        out_s(c->o, main ? "1^" : "2^");
        out_j(c->o, main ? "主診断" : "副診断");
        out_s(c->o, "^JHSD0007");
    }
    seg_end(c);
}

void render_zd1(struct rctx *c)
{
    int64_t t = c->p->ppr.v[c->e->ref].t;
    int main = diag_main(c->s, c->p, t);

    put_msh(c, APP_HIS);
    put_pid(c, false, APP_HIS);
    for (size_t i = 0; i < c->p->diag.n; i++) {
        const struct diag *g = &c->p->diag.v[i];
        const struct dx *x = &tab_dx[g->dx];

        if (!diag_listed(g, t))
            continue;
        put_prb(c, g, t, (int)i == main);
        seg(c, "ZPR");
        fld(c, 2);
        out_s(c->o, x->medis);
        out_c(c->o, '^');
        out_j(c->o, x->name);
        out_s(c->o, "^MDCDX2");
        fld(c, 5);
        out_s(c->o, x->exch);
        out_c(c->o, '^');
        out_j(c->o, x->name);
        out_s(c->o, "^MDCDX2");
        seg_end(c);
        seg(c, "ORC");
        fld(c, 1);
        out_s(c->o, "NW");
        fld(c, 2);
        out_u0(c->o, g->instance, 15);
        fld(c, 12);
        put_xcn(c, g->doctor);
        fld(c, 17);
        put_dept(c, g->dept);
        fld(c, 29);
        out_c(c->o, (char)g->inout);
        out_c(c->o, '^');
        out_j(c->o, g->inout == 'I' ? "入院患者オーダ" : "外来患者オーダ");
        out_s(c->o, "^HL70482");
        seg_end(c);
    }
}
