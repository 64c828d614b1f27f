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
        sy_out_s(c->o, "^^^^N");
    } else {
        sy_out_s(c->o, sy_tab_dept[dept].code);
        sy_out_s(c->o, "^^^^^C");
    }
    sy_fld(c, 17);
    sy_put_dept(c, dept);
    sy_fld(c, 18);
    sy_out_s(c->o, "VMDOCX01^^99XY2");
    sy_fld(c, 20);
    sy_put_hospital(c);
    sy_fld(c, 29);
    sy_out_s(c->o, b ? "I^" : "O^");
    sy_out_j(c->o, b ? "入院患者オーダ" : "外来患者オーダ");
    sy_out_s(c->o, "^HL70482");
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
    sy_out_j(c->o, kind[purpose][1]);
    sy_out_s(c->o, purpose ? "^MR9P~" : "^MR9P~");
    sy_out_s(c->o, sub[purpose][0]);
    sy_out_c(c->o, '^');
    sy_out_j(c->o, sub[purpose][1]);
    sy_out_s(c->o, purpose ? "^99I01" : "^MR9P");
}

static void put_unit(struct rctx *c, const char *code, const char *name, char sep)
{
    sy_out_s(c->o, code);
    sy_out_c(c->o, sep);
    sy_out_j(c->o, name);
    sy_out_c(c->o, sep);
    sy_out_s(c->o, "MR9P");
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
    sy_out_j(c->o, d->name);
    sy_out_s(c->o, "^HOT9");
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
    sy_out_j(c->o, u->text);
    sy_out_s(c->o, "&JAMISDP01|||");
    sy_out_u(c->o, rx->days);
    sy_out_s(c->o, "^d|");
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
    sy_out_j(c->o, sy_tab_route[d->route].name);
    sy_out_s(c->o, "^HL70162");
    sy_seg_end(c);
}

static void put_instruction(struct rctx *c, int hours)
{
    sy_out_c(c->o, '^');
    if (hours == 0) {
        sy_out_j(c->o, "静注");
    } else if (hours >= 24) {
        sy_out_j(c->o, "２４時間持続");
    } else {
        sy_put_wide(c, (unsigned)hours);
        sy_out_j(c->o, "時間一定速度で");
    }
    sy_out_s(c->o, "^99IC6");
}

static void put_injection(struct rctx *c, const struct rx *rx)
{
    const struct injection *ij = &sy_tab_inj[rx->inj];

    sy_seg(c, "RXE");
    sy_fld(c, 2);
    sy_out_s(c->o, ij->hot);
    sy_out_c(c->o, '^');
    sy_out_j(c->o, ij->name);
    sy_out_s(c->o, "^HOT9");
    sy_fld(c, 3);
    sy_out_u(c->o, ij->amount);
    sy_fld(c, 5);
    put_unit(c, ij->unit_code, ij->unit_name, '^');
    sy_fld(c, 6);
    put_unit(c, "INJ", "注射剤", '^');
    sy_fld(c, 7);
    put_instruction(c, ij->hours);
    sy_fld(c, 15);
    sy_out_s(c->o, c->e->order);
    sy_fld(c, 21);
    put_rxe21(c, RXP_INJECTION);
    sy_seg_end(c);
    sy_seg(c, "TQ1|1||||||");
    sy_out_min(c->o, rx->start);
    sy_out_c(c->o, '|');
    sy_out_min(c->o, rx->end);
    sy_seg_end(c);
    sy_seg(c, "RXR|");
    sy_out_s(c->o, sy_tab_route[ij->route].code);
    sy_out_c(c->o, '^');
    sy_out_j(c->o, sy_tab_route[ij->route].name);
    sy_out_s(c->o, "^HL70162");
    if (ij->hours) {
        sy_out_s(c->o, "||IVP^");
        sy_out_j(c->o, "点滴ポンプ");
        sy_out_s(c->o, "^HL70164");
    }
    sy_seg_end(c);
    if (ij->additive) {
        sy_seg(c, "RXC|B|");
        sy_out_s(c->o, ij->additive_hot);
        sy_out_c(c->o, '^');
        sy_out_j(c->o, ij->additive);
        sy_out_s(c->o, "^HOT9|1|HON^");
        sy_out_j(c->o, "本");
        sy_out_s(c->o, "^MR9P");
        sy_seg_end(c);
        sy_seg(c, "RXC|A|");
        sy_out_s(c->o, ij->hot);
        sy_out_c(c->o, '^');
        sy_out_j(c->o, ij->name);
        sy_out_s(c->o, "^HOT9|");
        sy_out_u(c->o, ij->amount);
        sy_out_c(c->o, '|');
        put_unit(c, ij->unit_code, ij->unit_name, '^');
        sy_seg_end(c);
    }
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
    sy_out_j(c->o, sy_tab_spec[sp].name);
    sy_out_s(c->o, "^JC10");
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
    sy_out_j(c->o, spec_group[sp][1]);
    sy_out_s(c->o, "^99O03");
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
            sy_out_s(c->o, "||");
            sy_out_s(c->o, lt->code);
            sy_out_c(c->o, '^');
            sy_out_j(c->o, lt->name);
            sy_out_s(c->o, "^JC10^");
            sy_out_s(c->o, lt->local);
            sy_out_c(c->o, '^');
            sy_out_j(c->o, lt->name);
            sy_out_s(c->o, "^99X03||||||||O");
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
    sy_out_j(c->o, lt->name);
    sy_out_s(c->o, "^JC10");
    sy_fld(c, 5);
    sy_out_j(c->o, value);
    if (lt->unit) {
        sy_fld(c, 6);
        sy_out_j(c->o, lt->unit);
        sy_out_c(c->o, '^');
        sy_out_j(c->o, lt->unit);
        sy_out_s(c->o, "^99XYZ");
    }
    sy_fld(c, 7);
    if (lt->qualitative) {
        sy_out_j(c->o, "（−）");
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

/* ---- radiology ------------------------------------------------------------------------- */

static void put_exam_obr(struct rctx *c, const struct rad *rad, bool done)
{
    const struct exam *x = &sy_tab_exam[rad->exam];

    sy_seg(c, "TQ1");
    sy_fld(c, 1);
    sy_out_s(c->o, "1");
    sy_fld(c, 9);
    sy_out_s(c->o, "R^^HL70485");
    sy_seg_end(c);
    sy_seg(c, "OBR");
    sy_fld(c, 2);
    sy_out_s(c->o, rad->order13);
    sy_fld(c, 4);
    sy_out_s(c->o, x->jj1017);
    sy_out_c(c->o, '^');
    sy_out_j(c->o, x->name);
    sy_out_s(c->o, "^JJ1017");
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
        sy_out_j(c->o, "体重");
        sy_out_s(c->o, "^JC10||");
        sy_out_fix(c->o, d->weight10, 1);
        sy_out_s(c->o, "|kg^kg^ISO+|||||F");
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
    sy_out_s(c->o, "|P");
    sy_out_u0(c->o, (uint64_t)(c->e->ref % 10000), 4);
    sy_out_s(c->o, "|1.2.392.200036.9116.2.");
    sy_out_s(c->o, c->p->id);
    sy_out_c(c->o, '.');
    sy_out_s(c->o, rad->order13);
    sy_out_s(c->o, "||");
    sy_out_s(c->o, x->modality);
    sy_out_s(c->o, "^^DCM");
    sy_seg_end(c);
    sy_seg(c, "OBX|1|TX|18782-3^");
    sy_out_j(c->o, "放射線検査所見");
    sy_out_s(c->o, "^LN||");
    sy_out_j(c->o, rad->finding);
    sy_out_s(c->o, "||||||F|||");
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
    sy_out_j(c->o, "１日３回");
    sy_out_s(c->o, "&HL70335||||");
    sy_out_date(c->o, day_of(d->start));
    sy_out_u0(c->o, (uint64_t)((d->start - (int64_t)day_of(d->start) * MIN_PER_DAY) / 60), 2);
    sy_out_s(c->o, "||R^");
    sy_out_j(c->o, "ルーチン");
    sy_out_s(c->o, "^HL70485");
    sy_seg_end(c);
    sy_diet_text(d, text, sizeof(text));
    sy_seg(c, "ODS|D||");
    sy_out_s(c->o, sy_tab_diet[d->diet].code);
    sy_out_c(c->o, '^');
    sy_out_j(c->o, sy_tab_diet[d->diet].name);
    sy_out_s(c->o, "^99XY3|");
    sy_out_j(c->o, text);
    sy_seg_end(c);
}
