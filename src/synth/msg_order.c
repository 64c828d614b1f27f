/*
 * msg_order.c: the order messages. Prescriptions and injections (RDE^O11: ORC, RXE with
 * the HOT code, TQ1 with the usage, days and start, RXR, RXC), specimen test orders and
 * results (OML^O33, OUL^R22: SPM per specimen, OBR, OBX with JLAC10 codes, values, units,
 * reference ranges and H/L flags), radiology orders and reports (OMG^O19, OMI^Z23 with
 * the report in a TX OBX) and diet orders (OMD^O03 with ODS). As in the guideline
 * samples, each ORC carries ORC-9 (the care date), the ordering doctor, the department and
 * the hospital.
 */
#include "msg.h"

#include <string.h>

static void put_orc(struct rctx *c, const char *control, const char *order, int rp, int64_t ordered,
                    uint16_t doctor, int dept, int64_t at)
{
    int32_t bed = sy_patient_bed_at(c->s, c->p, at, NULL);
    const struct bed *b = bed >= 0 ? &c->s->h.beds[bed] : NULL;

    sy_seg(c, "ORC");
    sy_fld(c, 1);
    sy_out_s(c->o, control);
    sy_fld(c, 2);
    sy_out_s(c->o, order);
    if (rp) {
        sy_fld(c, 4);
        sy_out_u(c->o, (uint64_t)rp);
    }
    sy_fld(c, 9);
    sy_out_sec(c->o, ordered, (int)(ordered % 47 % 60));
    sy_fld(c, 10);
    sy_put_xcn(c, doctor);
    sy_fld(c, 12);
    sy_put_xcn(c, doctor);
    sy_fld(c, 13);
    if (b) {
        sy_out_s(c->o, c->s->h.wards[b->ward].code);
        sy_out_c(c->o, '^');
        sy_out_s(c->o, b->room);
        OUT_LIT(c->o, "^^^^N");
    } else {
        sy_out_s(c->o, sy_tab_dept[dept].code);
        OUT_LIT(c->o, "^^^^^C");
    }
    sy_fld(c, 17);
    sy_put_dept(c, dept);
    sy_fld(c, 18);
    OUT_LIT(c->o, "VMDOCX01^^99XY2");
    sy_fld(c, 20);
    sy_put_hospital(c);
    sy_fld(c, 29);
    sy_out_s(c->o, b ? "I^" : "O^");
    sy_out_jc(c->o, b ? "入院患者オーダ" : "外来患者オーダ");
    OUT_LIT(c->o, "^HL70482");
    sy_seg_end(c);
}

static const char *control_of(const struct ev *e)
{
    return e->act == A_CANCEL ? "CA" : e->act == A_CHANGE ? "XO" : "NW";
}

unsigned sy_rx_dispense10(const struct rx *rx, const struct rxline *l)
{
    const struct drug *d = &sy_tab_drug[l->drug];

    if (strcmp(d->unit_code, "HON") == 0)
        return l->dose10;
    return l->dose10 * sy_tab_usage[d->usage].times * rx->days;
}

static void put_rxe21(struct rctx *c, int purpose)
{
    static const char *const kind[][2] = {
        {"OHP", "外来処方"}, {"IHP", "入院処方"}, {"IHP", "入院処方"}, {"IHP", "入院処方"}};
    static const char *const sub[][2] = {
        {"OHI", "院内処方"}, {"FTP", "定時処方"}, {"DCP", "退院時処方"}, {"FTP", "定時処方"}};

    sy_out_s(c->o, kind[purpose][0]);
    sy_out_c(c->o, '^');
    sy_out_jc(c->o, kind[purpose][1]);
    sy_out_s(c->o, purpose ? "^MR9P~" : "^MR9P~");
    sy_out_s(c->o, sub[purpose][0]);
    sy_out_c(c->o, '^');
    sy_out_jc(c->o, sub[purpose][1]);
    sy_out_s(c->o, purpose ? "^99I01" : "^MR9P");
}

static void put_unit(struct rctx *c, const char *code, const char *name, char sep)
{
    sy_out_s(c->o, code);
    sy_out_c(c->o, sep);
    sy_out_jc(c->o, name);
    sy_out_c(c->o, sep);
    OUT_LIT(c->o, "MR9P");
}

static void put_prescription_line(struct rctx *c, const struct rx *rx, size_t i)
{
    const struct rxline *l = &rx->line[i];
    const struct drug *d = &sy_tab_drug[l->drug];
    const struct usage *u = &sy_tab_usage[d->usage];

    sy_seg(c, "RXE");
    sy_fld(c, 2);
    sy_out_s(c->o, d->hot);
    sy_out_c(c->o, '^');
    sy_out_jc(c->o, d->name);
    OUT_LIT(c->o, "^HOT9");
    sy_fld(c, 3);
    sy_put_dose(c, l->dose10);
    sy_fld(c, 5);
    put_unit(c, d->unit_code, d->unit_name, '^');
    if (d->form_code) {
        sy_fld(c, 6);
        put_unit(c, d->form_code, d->form_name, '^');
    }
    sy_fld(c, 10);
    sy_put_dose(c, sy_rx_dispense10(rx, l));
    sy_fld(c, 11);
    put_unit(c, d->unit_code, d->unit_name, '^');
    sy_fld(c, 15);
    sy_out_s(c->o, c->e->order);
    sy_fld(c, 19);
    sy_put_dose(c, l->dose10 * u->times);
    sy_out_c(c->o, '^');
    put_unit(c, d->unit_code, d->unit_name, '&');
    sy_fld(c, 21);
    put_rxe21(c, rx->purpose);
    sy_seg_end(c);
    sy_seg(c, "TQ1|1||");
    sy_out_s(c->o, u->code);
    sy_out_c(c->o, '&');
    sy_out_jc(c->o, u->text);
    OUT_LIT(c->o, "&JAMISDP01|||");
    sy_out_u(c->o, rx->days);
    OUT_LIT(c->o, "^d|");
    if (rx->start_hour_only) {
        sy_out_date(c->o, day_of(rx->start));
        sy_out_u0(c->o, (uint64_t)((rx->start - (int64_t)day_of(rx->start) * MIN_PER_DAY) / 60), 2);
    } else {
        sy_out_min(c->o, rx->start);
    }
    sy_seg_end(c);
    sy_seg(c, "RXR|");
    sy_out_s(c->o, sy_tab_route[d->route].code);
    sy_out_c(c->o, '^');
    sy_out_jc(c->o, sy_tab_route[d->route].name);
    OUT_LIT(c->o, "^HL70162");
    sy_seg_end(c);
}

static void put_rxc(struct rctx *c, const char *type, const char *hot, const char *name,
                    unsigned amount, const char *unit_code, const char *unit_name)
{
    sy_seg(c, "RXC|");
    sy_out_s(c->o, type);
    sy_out_c(c->o, '|');
    sy_out_s(c->o, hot);
    sy_out_c(c->o, '^');
    sy_out_jc(c->o, name);
    OUT_LIT(c->o, "^HOT9|");
    sy_out_u(c->o, amount);
    sy_out_c(c->o, '|');
    put_unit(c, unit_code, unit_name, '^');
    sy_seg_end(c);
}

/* As the JAHIS injection rules and the guideline sample write it: RXE-2 the kind of order
 * (00 一般, JHSI0002), RXE-3/5 the total volume, RXE-7 how to give it, RXE-23/24 the rate of
 * a drip; TQ1 start and end; RXR route (and pump); the drugs in RXC, the base solution (B)
 * first, then the additives (A). */
static void put_injection(struct rctx *c, const struct rx *rx)
{
    const struct injection *ij = &sy_tab_inj[rx->inj];
    char instruction[64];

    sy_seg(c, "RXE");
    sy_fld(c, 2);
    OUT_LIT(c->o, "00^");
    sy_out_jc(c->o, "一般");
    OUT_LIT(c->o, "^99I02");
    sy_fld(c, 3);
    sy_out_u(c->o, ij->volume ? ij->volume : ij->amount);
    sy_fld(c, 5);
    if (ij->volume)
        put_unit(c, "ML", "ミリリットル", '^');
    else
        put_unit(c, ij->unit_code, ij->unit_name, '^');
    sy_fld(c, 6);
    put_unit(c, "INJ", "注射剤", '^');
    sy_fld(c, 7);
    sy_injection_instruction(ij, instruction, sizeof(instruction));
    sy_out_c(c->o, '^');
    sy_out_j(c->o, instruction);
    OUT_LIT(c->o, "^99IC6");
    sy_fld(c, 15);
    sy_out_s(c->o, c->e->order);
    sy_fld(c, 21);
    put_rxe21(c, RXP_INJECTION);
    if (ij->hours && ij->volume) {
        sy_fld(c, 23);
        sy_out_u(c->o, (ij->volume + ij->hours / 2u) / ij->hours);
        sy_fld(c, 24);
        OUT_LIT(c->o, "ml/hr^");
        sy_out_jc(c->o, "ミリリッター／時間");
        OUT_LIT(c->o, "^ISO+");
    }
    sy_seg_end(c);
    sy_seg(c, "TQ1|1||||||");
    sy_out_min(c->o, rx->start);
    sy_out_c(c->o, '|');
    sy_out_min(c->o, rx->end);
    sy_seg_end(c);
    sy_seg(c, "RXR|");
    sy_out_s(c->o, sy_tab_route[ij->route].code);
    sy_out_c(c->o, '^');
    sy_out_jc(c->o, sy_tab_route[ij->route].name);
    OUT_LIT(c->o, "^HL70162");
    if (ij->hours) {
        OUT_LIT(c->o, "||IVP^");
        sy_out_jc(c->o, "点滴ポンプ");
        OUT_LIT(c->o, "^HL70164");
    }
    sy_seg_end(c);
    if (ij->base) {
        put_rxc(c, "B", ij->base_hot, ij->base, 1, "HON", "本");
        put_rxc(c, "A", ij->hot, ij->name, ij->amount, ij->unit_code, ij->unit_name);
    } else {
        put_rxc(c, "B", ij->hot, ij->name, ij->amount, ij->unit_code, ij->unit_name);
    }
    if (ij->extra)
        put_rxc(c, "A", ij->extra_hot, ij->extra, 1, ij->extra_unit_code, ij->extra_unit_name);
}

void sy_render_rde(struct rctx *c)
{
    const struct rx *rx = &c->p->rx.v[c->e->ref];

    sy_put_msh(c, APP_HIS);
    sy_put_pid(c, true, APP_HIS);
    sy_put_pv1(c, c->e->t, rx->doctor, rx->dept);
    if (rx->kind) {
        put_orc(c, control_of(c->e), c->e->order, 1, rx->ordered, rx->doctor, rx->dept, rx->start);
        put_injection(c, rx);
        return;
    }
    for (size_t i = 0; i < rx->nlines; i++) {
        put_orc(c, control_of(c->e), c->e->order, (int)i + 1, rx->ordered, rx->doctor, rx->dept,
                rx->ordered);
        put_prescription_line(c, rx, i);
    }
}

/* ---- specimen tests ---------------------------------------------------------------------- */

static const uint8_t spec_order[] = {SP_SERUM, SP_PLASMA, SP_BLOOD, SP_URINE};
static const char *const spec_group[][2] = {
    [SP_SERUM] = {"E002", "生化学的検査"},
    [SP_BLOOD] = {"E001", "血液学的検査"},
    [SP_PLASMA] = {"E003", "血糖検査"},
    [SP_URINE] = {"E004", "尿一般検査"},
};

static bool lab_has_spec(const struct lab *lab, int sp, bool prelim)
{
    for (size_t i = 0; i < lab->ntests; i++)
        if (sy_tab_lab[lab->test[i]].spec == sp && !(prelim && lab->prelim_missing[i]))
            return true;
    return false;
}

static void put_spm(struct rctx *c, int n, int sp, const char *filler, int64_t drawn)
{
    sy_seg(c, "SPM");
    sy_fld(c, 1);
    sy_out_u(c->o, (uint64_t)n);
    sy_fld(c, 2);
    sy_out_s(c->o, filler);
    sy_fld(c, 4);
    sy_out_s(c->o, sy_tab_spec[sp].code);
    sy_out_c(c->o, '^');
    sy_out_jc(c->o, sy_tab_spec[sp].name);
    OUT_LIT(c->o, "^JC10");
    sy_fld(c, 17);
    sy_out_min(c->o, drawn);
    sy_seg_end(c);
}

static void put_obr(struct rctx *c, int n, int sp, const char *filler, const struct lab *lab,
                    bool result)
{
    sy_seg(c, "OBR");
    sy_fld(c, 1);
    sy_out_u(c->o, (uint64_t)n);
    sy_fld(c, 2);
    sy_out_s(c->o, c->e->order);
    if (result) {
        sy_fld(c, 3);
        sy_out_s(c->o, filler);
    }
    sy_fld(c, 4);
    sy_out_s(c->o, spec_group[sp][0]);
    sy_out_c(c->o, '^');
    sy_out_jc(c->o, spec_group[sp][1]);
    OUT_LIT(c->o, "^99O03");
    if (result) {
        sy_fld(c, 7);
        sy_out_date(c->o, day_of(lab->drawn));
        sy_fld(c, 8);
        sy_out_date(c->o, day_of(lab->drawn));
    }
    sy_fld(c, 16);
    sy_put_xcn(c, lab->doctor);
    if (result) {
        sy_fld(c, 22);
        sy_out_sec(c->o, c->e->t, 0);
    }
    sy_seg_end(c);
}

void sy_render_oml(struct rctx *c)
{
    const struct lab *lab = &c->p->lab.v[c->e->ref];
    int n = 0;

    sy_put_msh(c, APP_HIS);
    sy_put_pid(c, false, APP_HIS);
    sy_put_pv1(c, lab->ordered, lab->doctor, lab->dept);
    for (size_t k = 0; k < sizeof(spec_order); k++) {
        int sp = spec_order[k], j = 0;

        if (!lab_has_spec(lab, sp, false))
            continue;
        put_spm(c, ++n, sp, "", lab->drawn);
        put_orc(c, control_of(c->e), c->e->order, 0, lab->ordered, lab->doctor, lab->dept,
                lab->ordered);
        put_obr(c, n, sp, "", lab, false);
        for (size_t i = 0; i < lab->ntests; i++) {
            const struct labtest *lt = &sy_tab_lab[lab->test[i]];

            if (lt->spec != sp)
                continue;
            sy_seg(c, "OBX|");
            sy_out_u(c->o, (uint64_t)++j);
            OUT_LIT(c->o, "||");
            sy_out_s(c->o, lt->code);
            sy_out_c(c->o, '^');
            sy_out_jc(c->o, lt->name);
            OUT_LIT(c->o, "^JC10^");
            sy_out_s(c->o, lt->local);
            sy_out_c(c->o, '^');
            sy_out_jc(c->o, lt->name);
            OUT_LIT(c->o, "^99X03||||||||O");
            sy_seg_end(c);
        }
    }
}

static void put_result(struct rctx *c, int j, const struct lab *lab, size_t i, bool prelim)
{
    const struct labtest *lt = &sy_tab_lab[lab->test[i]];
    char value[24], flag = sy_lab_flag(lt, c->p->lite->sex, lab->value[i]);

    sy_lab_value_text(lt, lab->value[i], value, sizeof(value));
    sy_seg(c, "OBX");
    sy_fld(c, 1);
    sy_out_u(c->o, (uint64_t)j);
    sy_fld(c, 2);
    sy_out_s(c->o, lt->qualitative ? "ST" : "NM");
    sy_fld(c, 3);
    sy_out_s(c->o, lt->code);
    sy_out_c(c->o, '^');
    sy_out_jc(c->o, lt->name);
    OUT_LIT(c->o, "^JC10");
    sy_fld(c, 5);
    sy_out_j(c->o, value);
    if (lt->unit) {
        sy_fld(c, 6);
        sy_out_jc(c->o, lt->unit);
        sy_out_c(c->o, '^');
        sy_out_jc(c->o, lt->unit);
        OUT_LIT(c->o, "^99XYZ");
    }
    sy_fld(c, 7);
    if (lt->qualitative) {
        sy_out_jc(c->o, "（−）");
    } else {
        sy_out_fix(c->o, lt->lo[c->p->lite->sex == SEX_F], lt->dec);
        sy_out_c(c->o, '-');
        sy_out_fix(c->o, lt->hi[c->p->lite->sex == SEX_F], lt->dec);
    }
    if (flag) {
        sy_fld(c, 8);
        sy_out_c(c->o, flag);
    }
    sy_fld(c, 11);
    sy_out_c(c->o, prelim ? 'P' : 'F');
    sy_fld(c, 14);
    sy_out_min(c->o, lab->drawn);
    sy_seg_end(c);
}

void sy_render_oul(struct rctx *c)
{
    const struct lab *lab = &c->p->lab.v[c->e->ref];
    bool prelim = c->e->act == A_PRELIM;
    char filler[16];
    int n = 0;

    snprintf(filler, sizeof(filler), "%.9s%06u", c->e->order,
             (unsigned)((c->p->idx * 31u + (unsigned)c->e->ref) % 1000000u));
    sy_put_msh(c, APP_LIS);
    sy_put_pid(c, false, APP_LIS);
    sy_put_pv1(c, lab->drawn, lab->doctor, lab->dept);
    for (size_t k = 0; k < sizeof(spec_order); k++) {
        int sp = spec_order[k], j = 0;

        if (!lab_has_spec(lab, sp, prelim))
            continue;
        put_spm(c, ++n, sp, filler, lab->drawn);
        put_obr(c, n, sp, filler, lab, true);
        put_orc(c, "SC", c->e->order, 0, c->e->t, lab->doctor, lab->dept, lab->drawn);
        for (size_t i = 0; i < lab->ntests; i++)
            if (sy_tab_lab[lab->test[i]].spec == sp && !(prelim && lab->prelim_missing[i]))
                put_result(c, ++j, lab, i, prelim);
    }
}

/* ---- cultures ------------------------------------------------------------------------------
 * The bacteria form: one OBR for the culture; per organism n, OBX-4 "n" for the organism
 * (CWE) and its amount (菌量), then OBX-4 "n.k" for the susceptibility to each antibiotic
 * (MIC in OBX-5, S/I/R in OBX-8). */
static void put_culture_obx(struct rctx *c, int *j, const char *vtype, const char *code,
                            const char *name, int group, int sub)
{
    sy_seg(c, "OBX");
    sy_fld(c, 1);
    sy_out_u(c->o, (uint64_t)++ * j);
    sy_fld(c, 2);
    sy_out_s(c->o, vtype);
    sy_fld(c, 3);
    sy_out_s(c->o, code);
    sy_out_c(c->o, '^');
    sy_out_jc(c->o, name);
    OUT_LIT(c->o, "^99B01");
    sy_fld(c, 4);
    sy_out_u(c->o, (uint64_t)group);
    if (sub) {
        sy_out_c(c->o, '.');
        sy_out_u(c->o, (uint64_t)sub);
    }
    sy_fld(c, 5);
}

static void end_culture_obx(struct rctx *c, const struct culture *cu, const char *flag)
{
    if (flag) {
        sy_fld(c, 8);
        sy_out_s(c->o, flag);
    }
    sy_fld(c, 11);
    sy_out_c(c->o, 'F');
    sy_fld(c, 14);
    sy_out_min(c->o, cu->drawn);
    sy_seg_end(c);
}

void sy_render_culture(struct rctx *c)
{
    static const char *const sir[] = {"S", "I", "R"};
    const struct culture *cu = &c->p->cult.v[c->e->ref];
    const struct culture_spec_info *cs = &sy_tab_culture_spec[cu->spec];
    char filler[16];
    int j = 0;

    snprintf(filler, sizeof(filler), "%.9s%06u", c->e->order,
             (unsigned)((c->p->idx * 17u + (unsigned)c->e->ref) % 1000000u));
    sy_put_msh(c, APP_LIS);
    sy_put_pid(c, false, APP_LIS);
    sy_put_pv1(c, cu->drawn, cu->doctor, cu->dept);
    sy_seg(c, "SPM");
    sy_fld(c, 1);
    OUT_LIT(c->o, "1");
    sy_fld(c, 2);
    sy_out_s(c->o, filler);
    sy_fld(c, 4);
    sy_out_s(c->o, cs->code);
    sy_out_c(c->o, '^');
    sy_out_jc(c->o, cs->name);
    OUT_LIT(c->o, "^JC10");
    sy_fld(c, 17);
    sy_out_min(c->o, cu->drawn);
    sy_seg_end(c);
    sy_seg(c, "OBR");
    sy_fld(c, 1);
    OUT_LIT(c->o, "1");
    sy_fld(c, 2);
    sy_out_s(c->o, c->e->order);
    sy_fld(c, 3);
    sy_out_s(c->o, filler);
    sy_fld(c, 4);
    OUT_LIT(c->o, CULTURE_TEST_CODE "^");
    sy_out_jc(c->o, CULTURE_TEST_NAME);
    OUT_LIT(c->o, "^99O03");
    sy_fld(c, 7);
    sy_out_date(c->o, day_of(cu->drawn));
    sy_fld(c, 16);
    sy_put_xcn(c, cu->doctor);
    sy_fld(c, 22);
    sy_out_sec(c->o, c->e->t, 0);
    sy_seg_end(c);
    put_orc(c, "SC", c->e->order, 0, c->e->t, cu->doctor, cu->dept, cu->drawn);
    for (int i = 0; i < cu->norg; i++) {
        const struct culture_org *o = &cu->org[i];
        const struct organism_info *g = &sy_tab_organism[o->org];

        put_culture_obx(c, &j, "CWE", CULTURE_ORGANISM_CODE, CULTURE_ORGANISM_NAME, i + 1, 0);
        sy_out_s(c->o, g->code);
        sy_out_c(c->o, '^');
        sy_out_jc(c->o, g->name);
        OUT_LIT(c->o, "^99B02");
        end_culture_obx(c, cu, NULL);
        put_culture_obx(c, &j, "ST", CULTURE_AMOUNT_CODE, CULTURE_AMOUNT_NAME, i + 1, 0);
        sy_out_s(c->o, sy_tab_amount[o->amount]);
        end_culture_obx(c, cu, NULL);
        for (int d = 0; d < o->ndrugs; d++) {
            const struct abx *a = &sy_tab_abx[o->drug[d]];
            const char *mic[] = {a->mic_s, a->mic_i, a->mic_r};

            put_culture_obx(c, &j, "ST", a->code, a->name, i + 1, d + 1);
            sy_out_jc(c->o, mic[o->sir[d]]);
            sy_fld(c, 6);
            OUT_LIT(c->o, "ug/mL^ug/mL^ISO+");
            end_culture_obx(c, cu, sir[o->sir[d]]);
        }
    }
}

/* ---- radiology ------------------------------------------------------------------------- */

static void put_exam_obr(struct rctx *c, const struct rad *rad, bool done)
{
    const struct exam *x = &sy_tab_exam[rad->exam];

    sy_seg(c, "TQ1");
    sy_fld(c, 1);
    OUT_LIT(c->o, "1");
    sy_fld(c, 9);
    OUT_LIT(c->o, "R^^HL70485");
    sy_seg_end(c);
    sy_seg(c, "OBR");
    sy_fld(c, 2);
    sy_out_s(c->o, rad->order13);
    sy_fld(c, 4);
    sy_out_s(c->o, x->jj1017);
    sy_out_c(c->o, '^');
    sy_out_jc(c->o, x->name);
    OUT_LIT(c->o, "^JJ1017");
    if (done) {
        sy_fld(c, 7);
        sy_out_min(c->o, rad->done);
    }
    sy_fld(c, 16);
    sy_put_xcn(c, rad->doctor);
    if (done) {
        sy_fld(c, 22);
        sy_out_sec(c->o, c->e->t, 0);
        sy_fld(c, 25);
        sy_out_c(c->o, 'F');
    }
    sy_seg_end(c);
}

void sy_render_omg(struct rctx *c)
{
    const struct rad *rad = &c->p->rad.v[c->e->ref];
    const struct demo *d = sy_demo_at(c->p, c->e->t);

    sy_put_msh(c, APP_HIS);
    sy_put_pid(c, true, APP_HIS);
    sy_put_pv1(c, rad->ordered, rad->doctor, rad->dept);
    put_orc(c, "NW", rad->order13, 0, rad->ordered, rad->doctor, rad->dept, rad->ordered);
    put_exam_obr(c, rad, false);
    if (d->weight10) {
        sy_seg(c, "OBX||NM|9N006000000000001^");
        sy_out_jc(c->o, "体重");
        OUT_LIT(c->o, "^JC10||");
        sy_out_fix(c->o, d->weight10, 1);
        OUT_LIT(c->o, "|kg^kg^ISO+|||||F");
        sy_seg_end(c);
    }
}

void sy_render_omi(struct rctx *c)
{
    const struct rad *rad = &c->p->rad.v[c->e->ref];
    const struct exam *x = &sy_tab_exam[rad->exam];

    sy_put_msh(c, APP_RIS);
    sy_put_pid(c, false, APP_RIS);
    sy_put_pv1(c, rad->done, rad->doctor, rad->dept);
    put_orc(c, "SC", rad->order13, 0, rad->done, rad->doctor, rad->dept, rad->done);
    put_exam_obr(c, rad, true);
    sy_seg(c, "IPC|A");
    sy_out_s(c->o, rad->order13);
    OUT_LIT(c->o, "|P");
    sy_out_u0(c->o, (uint64_t)(c->e->ref % 10000), 4);
    OUT_LIT(c->o, "|1.2.392.200036.9116.2.");
    sy_out_s(c->o, c->p->id);
    sy_out_c(c->o, '.');
    sy_out_s(c->o, rad->order13);
    OUT_LIT(c->o, "||");
    sy_out_s(c->o, x->modality);
    OUT_LIT(c->o, "^^DCM");
    sy_seg_end(c);
    sy_seg(c, "OBX|1|TX|18782-3^");
    sy_out_jc(c->o, "放射線検査所見");
    OUT_LIT(c->o, "^LN||");
    sy_out_jc(c->o, rad->finding);
    OUT_LIT(c->o, "||||||F|||");
    sy_out_min(c->o, rad->done);
    sy_seg_end(c);
}

/* ---- diet -------------------------------------------------------------------------------- */

void sy_diet_text(const struct dietord *d, char *buf, size_t n)
{
    if (d->comment)
        snprintf(buf, n, "%s\xE3\x80\x80%s", sy_tab_diet[d->diet].name,
                 sy_tab_diet_comment[d->comment]);
    else
        snprintf(buf, n, "%s", sy_tab_diet[d->diet].name);
}

void sy_render_omd(struct rctx *c)
{
    const struct dietord *d = &c->p->diet.v[c->e->ref];
    char text[128];

    sy_put_msh(c, APP_HIS);
    sy_put_pid(c, false, APP_HIS);
    sy_put_pv1(c, d->ordered, d->doctor, d->dept);
    put_orc(c, control_of(c->e), c->e->order, 0, d->ordered, d->doctor, d->dept, d->ordered);
    sy_seg(c, "TQ1|1||TID&");
    sy_out_jc(c->o, "１日３回");
    OUT_LIT(c->o, "&HL70335||||");
    sy_out_date(c->o, day_of(d->start));
    sy_out_u0(c->o, (uint64_t)((d->start - (int64_t)day_of(d->start) * MIN_PER_DAY) / 60), 2);
    OUT_LIT(c->o, "||R^");
    sy_out_jc(c->o, "ルーチン");
    OUT_LIT(c->o, "^HL70485");
    sy_seg_end(c);
    sy_diet_text(d, text, sizeof(text));
    sy_seg(c, "ODS|D||");
    sy_out_s(c->o, sy_tab_diet[d->diet].code);
    sy_out_c(c->o, '^');
    sy_out_jc(c->o, sy_tab_diet[d->diet].name);
    OUT_LIT(c->o, "^99XY3|");
    sy_out_j(c->o, text);
    sy_seg_end(c);
}
