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
    int32_t bed = patient_bed_at(c->s, c->p, at, NULL);
    const struct bed *b = bed >= 0 ? &c->s->h.beds[bed] : NULL;

    seg(c, "ORC");
    fld(c, 1);
    out_s(c->o, control);
    fld(c, 2);
    out_s(c->o, order);
    if (rp) {
        fld(c, 4);
        out_u(c->o, (uint64_t)rp);
    }
    fld(c, 9);
    out_sec(c->o, ordered, (int)(ordered % 47 % 60));
    fld(c, 10);
    put_xcn(c, doctor);
    fld(c, 12);
    put_xcn(c, doctor);
    fld(c, 13);
    if (b) {
        out_s(c->o, c->s->h.wards[b->ward].code);
        out_c(c->o, '^');
        out_s(c->o, b->room);
        out_s(c->o, "^^^^N");
    } else {
        out_s(c->o, tab_dept[dept].code);
        out_s(c->o, "^^^^^C");
    }
    fld(c, 17);
    put_dept(c, dept);
    fld(c, 18);
    out_s(c->o, "VMDOCX01^^99XY2");
    fld(c, 20);
    put_hospital(c);
    fld(c, 29);
    out_s(c->o, b ? "I^" : "O^");
    out_j(c->o, b ? "入院患者オーダ" : "外来患者オーダ");
    out_s(c->o, "^HL70482");
    seg_end(c);
}

static const char *control_of(const struct ev *e)
{
    return e->act == A_CANCEL ? "CA" : e->act == A_CHANGE ? "XO" : "NW";
}

unsigned rx_dispense10(const struct rx *rx, const struct rxline *l)
{
    const struct drug *d = &tab_drug[l->drug];

    if (strcmp(d->unit_code, "HON") == 0)
        return l->dose10;
    return l->dose10 * tab_usage[d->usage].times * rx->days;
}

static void put_rxe21(struct rctx *c, int purpose)
{
    static const char *const kind[][2] = {
        {"OHP", "外来処方"}, {"IHP", "入院処方"}, {"IHP", "入院処方"}, {"IHP", "入院処方"}};
    static const char *const sub[][2] = {
        {"OHI", "院内処方"}, {"FTP", "定時処方"}, {"DCP", "退院時処方"}, {"FTP", "定時処方"}};

    out_s(c->o, kind[purpose][0]);
    out_c(c->o, '^');
    out_j(c->o, kind[purpose][1]);
    out_s(c->o, purpose ? "^MR9P~" : "^MR9P~");
    out_s(c->o, sub[purpose][0]);
    out_c(c->o, '^');
    out_j(c->o, sub[purpose][1]);
    out_s(c->o, purpose ? "^99I01" : "^MR9P");
}

static void put_unit(struct rctx *c, const char *code, const char *name, char sep)
{
    out_s(c->o, code);
    out_c(c->o, sep);
    out_j(c->o, name);
    out_c(c->o, sep);
    out_s(c->o, "MR9P");
}

static void put_prescription_line(struct rctx *c, const struct rx *rx, size_t i)
{
    const struct rxline *l = &rx->line[i];
    const struct drug *d = &tab_drug[l->drug];
    const struct usage *u = &tab_usage[d->usage];

    seg(c, "RXE");
    fld(c, 2);
    out_s(c->o, d->hot);
    out_c(c->o, '^');
    out_j(c->o, d->name);
    out_s(c->o, "^HOT9");
    fld(c, 3);
    put_dose(c, l->dose10);
    fld(c, 5);
    put_unit(c, d->unit_code, d->unit_name, '^');
    if (d->form_code) {
        fld(c, 6);
        put_unit(c, d->form_code, d->form_name, '^');
    }
    fld(c, 10);
    put_dose(c, rx_dispense10(rx, l));
    fld(c, 11);
    put_unit(c, d->unit_code, d->unit_name, '^');
    fld(c, 15);
    out_s(c->o, c->e->order);
    fld(c, 19);
    put_dose(c, l->dose10 * u->times);
    out_c(c->o, '^');
    put_unit(c, d->unit_code, d->unit_name, '&');
    fld(c, 21);
    put_rxe21(c, rx->purpose);
    seg_end(c);
    seg(c, "TQ1|1||");
    out_s(c->o, u->code);
    out_c(c->o, '&');
    out_j(c->o, u->text);
    out_s(c->o, "&JAMISDP01|||");
    out_u(c->o, rx->days);
    out_s(c->o, "^d|");
    if (rx->start_hour_only) {
        out_date(c->o, day_of(rx->start));
        out_u0(c->o, (uint64_t)((rx->start - (int64_t)day_of(rx->start) * MIN_PER_DAY) / 60), 2);
    } else {
        out_min(c->o, rx->start);
    }
    seg_end(c);
    seg(c, "RXR|");
    out_s(c->o, tab_route[d->route].code);
    out_c(c->o, '^');
    out_j(c->o, tab_route[d->route].name);
    out_s(c->o, "^HL70162");
    seg_end(c);
}

static void put_instruction(struct rctx *c, int hours)
{
    out_c(c->o, '^');
    if (hours == 0) {
        out_j(c->o, "静注");
    } else if (hours >= 24) {
        out_j(c->o, "２４時間持続");
    } else {
        put_wide(c, (unsigned)hours);
        out_j(c->o, "時間一定速度で");
    }
    out_s(c->o, "^99IC6");
}

static void put_injection(struct rctx *c, const struct rx *rx)
{
    const struct injection *ij = &tab_inj[rx->inj];

    seg(c, "RXE");
    fld(c, 2);
    out_s(c->o, ij->hot);
    out_c(c->o, '^');
    out_j(c->o, ij->name);
    out_s(c->o, "^HOT9");
    fld(c, 3);
    out_u(c->o, ij->amount);
    fld(c, 5);
    put_unit(c, ij->unit_code, ij->unit_name, '^');
    fld(c, 6);
    put_unit(c, "INJ", "注射剤", '^');
    fld(c, 7);
    put_instruction(c, ij->hours);
    fld(c, 15);
    out_s(c->o, c->e->order);
    fld(c, 21);
    put_rxe21(c, RXP_INJECTION);
    seg_end(c);
    seg(c, "TQ1|1||||||");
    out_min(c->o, rx->start);
    out_c(c->o, '|');
    out_min(c->o, rx->end);
    seg_end(c);
    seg(c, "RXR|");
    out_s(c->o, tab_route[ij->route].code);
    out_c(c->o, '^');
    out_j(c->o, tab_route[ij->route].name);
    out_s(c->o, "^HL70162");
    if (ij->hours) {
        out_s(c->o, "||IVP^");
        out_j(c->o, "点滴ポンプ");
        out_s(c->o, "^HL70164");
    }
    seg_end(c);
    if (ij->additive) {
        seg(c, "RXC|B|");
        out_s(c->o, ij->additive_hot);
        out_c(c->o, '^');
        out_j(c->o, ij->additive);
        out_s(c->o, "^HOT9|1|HON^");
        out_j(c->o, "本");
        out_s(c->o, "^MR9P");
        seg_end(c);
        seg(c, "RXC|A|");
        out_s(c->o, ij->hot);
        out_c(c->o, '^');
        out_j(c->o, ij->name);
        out_s(c->o, "^HOT9|");
        out_u(c->o, ij->amount);
        out_c(c->o, '|');
        put_unit(c, ij->unit_code, ij->unit_name, '^');
        seg_end(c);
    }
}

void render_rde(struct rctx *c)
{
    const struct rx *rx = &c->p->rx.v[c->e->ref];

    put_msh(c, APP_HIS);
    put_pid(c, true, APP_HIS);
    put_pv1(c, c->e->t, rx->doctor, rx->dept);
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
        if (tab_lab[lab->test[i]].spec == sp && !(prelim && lab->prelim_missing[i]))
            return true;
    return false;
}

static void put_spm(struct rctx *c, int n, int sp, const char *filler, int64_t drawn)
{
    seg(c, "SPM");
    fld(c, 1);
    out_u(c->o, (uint64_t)n);
    fld(c, 2);
    out_s(c->o, filler);
    fld(c, 4);
    out_s(c->o, tab_spec[sp].code);
    out_c(c->o, '^');
    out_j(c->o, tab_spec[sp].name);
    out_s(c->o, "^JC10");
    fld(c, 17);
    out_min(c->o, drawn);
    seg_end(c);
}

static void put_obr(struct rctx *c, int n, int sp, const char *filler, const struct lab *lab,
                    bool result)
{
    seg(c, "OBR");
    fld(c, 1);
    out_u(c->o, (uint64_t)n);
    fld(c, 2);
    out_s(c->o, c->e->order);
    if (result) {
        fld(c, 3);
        out_s(c->o, filler);
    }
    fld(c, 4);
    out_s(c->o, spec_group[sp][0]);
    out_c(c->o, '^');
    out_j(c->o, spec_group[sp][1]);
    out_s(c->o, "^99O03");
    if (result) {
        fld(c, 7);
        out_date(c->o, day_of(lab->drawn));
        fld(c, 8);
        out_date(c->o, day_of(lab->drawn));
    }
    fld(c, 16);
    put_xcn(c, lab->doctor);
    if (result) {
        fld(c, 22);
        out_sec(c->o, c->e->t, 0);
    }
    seg_end(c);
}

void render_oml(struct rctx *c)
{
    const struct lab *lab = &c->p->lab.v[c->e->ref];
    int n = 0;

    put_msh(c, APP_HIS);
    put_pid(c, false, APP_HIS);
    put_pv1(c, lab->ordered, lab->doctor, lab->dept);
    for (size_t k = 0; k < sizeof(spec_order); k++) {
        int sp = spec_order[k], j = 0;

        if (!lab_has_spec(lab, sp, false))
            continue;
        put_spm(c, ++n, sp, "", lab->drawn);
        put_orc(c, control_of(c->e), c->e->order, 0, lab->ordered, lab->doctor, lab->dept,
                lab->ordered);
        put_obr(c, n, sp, "", lab, false);
        for (size_t i = 0; i < lab->ntests; i++) {
            const struct labtest *lt = &tab_lab[lab->test[i]];

            if (lt->spec != sp)
                continue;
            seg(c, "OBX|");
            out_u(c->o, (uint64_t)++j);
            out_s(c->o, "||");
            out_s(c->o, lt->code);
            out_c(c->o, '^');
            out_j(c->o, lt->name);
            out_s(c->o, "^JC10^");
            out_s(c->o, lt->local);
            out_c(c->o, '^');
            out_j(c->o, lt->name);
            out_s(c->o, "^99X03||||||||O");
            seg_end(c);
        }
    }
}

static void put_result(struct rctx *c, int j, const struct lab *lab, size_t i, bool prelim)
{
    const struct labtest *lt = &tab_lab[lab->test[i]];
    char value[24], flag = lab_flag(lt, c->p->lite->sex, lab->value[i]);

    lab_value_text(lt, lab->value[i], value, sizeof(value));
    seg(c, "OBX");
    fld(c, 1);
    out_u(c->o, (uint64_t)j);
    fld(c, 2);
    out_s(c->o, lt->qualitative ? "ST" : "NM");
    fld(c, 3);
    out_s(c->o, lt->code);
    out_c(c->o, '^');
    out_j(c->o, lt->name);
    out_s(c->o, "^JC10");
    fld(c, 5);
    out_j(c->o, value);
    if (lt->unit) {
        fld(c, 6);
        out_j(c->o, lt->unit);
        out_c(c->o, '^');
        out_j(c->o, lt->unit);
        out_s(c->o, "^99XYZ");
    }
    fld(c, 7);
    if (lt->qualitative) {
        out_j(c->o, "（−）");
    } else {
        out_fix(c->o, lt->lo[c->p->lite->sex == SEX_F], lt->dec);
        out_c(c->o, '-');
        out_fix(c->o, lt->hi[c->p->lite->sex == SEX_F], lt->dec);
    }
    if (flag) {
        fld(c, 8);
        out_c(c->o, flag);
    }
    fld(c, 11);
    out_c(c->o, prelim ? 'P' : 'F');
    fld(c, 14);
    out_min(c->o, lab->drawn);
    seg_end(c);
}

void render_oul(struct rctx *c)
{
    const struct lab *lab = &c->p->lab.v[c->e->ref];
    bool prelim = c->e->act == A_PRELIM;
    char filler[16];
    int n = 0;

    snprintf(filler, sizeof(filler), "%.9s%06u", c->e->order,
             (unsigned)((c->p->idx * 31u + (unsigned)c->e->ref) % 1000000u));
    put_msh(c, APP_LIS);
    put_pid(c, false, APP_LIS);
    put_pv1(c, lab->drawn, lab->doctor, lab->dept);
    for (size_t k = 0; k < sizeof(spec_order); k++) {
        int sp = spec_order[k], j = 0;

        if (!lab_has_spec(lab, sp, prelim))
            continue;
        put_spm(c, ++n, sp, filler, lab->drawn);
        put_obr(c, n, sp, filler, lab, true);
        put_orc(c, "SC", c->e->order, 0, c->e->t, lab->doctor, lab->dept, lab->drawn);
        for (size_t i = 0; i < lab->ntests; i++)
            if (tab_lab[lab->test[i]].spec == sp && !(prelim && lab->prelim_missing[i]))
                put_result(c, ++j, lab, i, prelim);
    }
}

/* ---- radiology ------------------------------------------------------------------------- */

static void put_exam_obr(struct rctx *c, const struct rad *rad, bool done)
{
    const struct exam *x = &tab_exam[rad->exam];

    seg(c, "TQ1");
    fld(c, 1);
    out_s(c->o, "1");
    fld(c, 9);
    out_s(c->o, "R^^HL70485");
    seg_end(c);
    seg(c, "OBR");
    fld(c, 2);
    out_s(c->o, rad->order13);
    fld(c, 4);
    out_s(c->o, x->jj1017);
    out_c(c->o, '^');
    out_j(c->o, x->name);
    out_s(c->o, "^JJ1017");
    if (done) {
        fld(c, 7);
        out_min(c->o, rad->done);
    }
    fld(c, 16);
    put_xcn(c, rad->doctor);
    if (done) {
        fld(c, 22);
        out_sec(c->o, c->e->t, 0);
        fld(c, 25);
        out_c(c->o, 'F');
    }
    seg_end(c);
}

void render_omg(struct rctx *c)
{
    const struct rad *rad = &c->p->rad.v[c->e->ref];
    const struct demo *d = demo_at(c->p, c->e->t);

    put_msh(c, APP_HIS);
    put_pid(c, true, APP_HIS);
    put_pv1(c, rad->ordered, rad->doctor, rad->dept);
    put_orc(c, "NW", rad->order13, 0, rad->ordered, rad->doctor, rad->dept, rad->ordered);
    put_exam_obr(c, rad, false);
    if (d->weight10) {
        seg(c, "OBX||NM|9N006000000000001^");
        out_j(c->o, "体重");
        out_s(c->o, "^JC10||");
        out_fix(c->o, d->weight10, 1);
        out_s(c->o, "|kg^kg^ISO+|||||F");
        seg_end(c);
    }
}

void render_omi(struct rctx *c)
{
    const struct rad *rad = &c->p->rad.v[c->e->ref];
    const struct exam *x = &tab_exam[rad->exam];

    put_msh(c, APP_RIS);
    put_pid(c, false, APP_RIS);
    put_pv1(c, rad->done, rad->doctor, rad->dept);
    put_orc(c, "SC", rad->order13, 0, rad->done, rad->doctor, rad->dept, rad->done);
    put_exam_obr(c, rad, true);
    seg(c, "IPC|A");
    out_s(c->o, rad->order13);
    out_s(c->o, "|P");
    out_u0(c->o, (uint64_t)(c->e->ref % 10000), 4);
    out_s(c->o, "|1.2.392.200036.9116.2.");
    out_s(c->o, c->p->id);
    out_c(c->o, '.');
    out_s(c->o, rad->order13);
    out_s(c->o, "||");
    out_s(c->o, x->modality);
    out_s(c->o, "^^DCM");
    seg_end(c);
    seg(c, "OBX|1|TX|18782-3^");
    out_j(c->o, "放射線検査所見");
    out_s(c->o, "^LN||");
    out_j(c->o, rad->finding);
    out_s(c->o, "||||||F|||");
    out_min(c->o, rad->done);
    seg_end(c);
}

/* ---- diet -------------------------------------------------------------------------------- */

void diet_text(const struct dietord *d, char *buf, size_t n)
{
    if (d->comment)
        snprintf(buf, n, "%s\xE3\x80\x80%s", tab_diet[d->diet].name, tab_diet_comment[d->comment]);
    else
        snprintf(buf, n, "%s", tab_diet[d->diet].name);
}

void render_omd(struct rctx *c)
{
    const struct dietord *d = &c->p->diet.v[c->e->ref];
    char text[128];

    put_msh(c, APP_HIS);
    put_pid(c, false, APP_HIS);
    put_pv1(c, d->ordered, d->doctor, d->dept);
    put_orc(c, control_of(c->e), c->e->order, 0, d->ordered, d->doctor, d->dept, d->ordered);
    seg(c, "TQ1|1||TID&");
    out_j(c->o, "１日３回");
    out_s(c->o, "&HL70335||||");
    out_date(c->o, day_of(d->start));
    out_u0(c->o, (uint64_t)((d->start - (int64_t)day_of(d->start) * MIN_PER_DAY) / 60), 2);
    out_s(c->o, "||R^");
    out_j(c->o, "ルーチン");
    out_s(c->o, "^HL70485");
    seg_end(c);
    diet_text(d, text, sizeof(text));
    seg(c, "ODS|D||");
    out_s(c->o, tab_diet[d->diet].code);
    out_c(c->o, '^');
    out_j(c->o, tab_diet[d->diet].name);
    out_s(c->o, "^99XY3|");
    out_j(c->o, text);
    seg_end(c);
}
