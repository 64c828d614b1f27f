/*
 * msg_common.c: the segments every message has, the message table (MSH-9 per data-type
 * folder, after the SS-MIX2 table) and the dispatcher. MSH-7 is written the irregular ways
 * real senders write it: plain seconds, ".fff", ".ffff" (20111220224447.3399), minutes
 * only, and night hours as 24-29 o'clock of the day before. Segments end in CR, in a few
 * files CR LF.
 */
#include "msg.h"

#include <string.h>

const char *const sy_dtype_name[T_COUNT] = {
    [T_ADT00] = "ADT-00", [T_ADT12] = "ADT-12", [T_ADT22] = "ADT-22", [T_ADT31] = "ADT-31",
    [T_ADT32] = "ADT-32", [T_ADT42] = "ADT-42", [T_ADT52] = "ADT-52", [T_ADT61] = "ADT-61",
    [T_PPR01] = "PPR-01", [T_OMD] = "OMD",      [T_OMP01] = "OMP-01", [T_OMP02] = "OMP-02",
    [T_OML01] = "OML-01", [T_OML11] = "OML-11", [T_OMG01] = "OMG-01", [T_OMG11] = "OMG-11",
};

const struct msg_info sy_tab_msg[M_COUNT] = {
    [M_A08] = {"ADT^A08^ADT_A01", T_ADT00},  [M_A04] = {"ADT^A04^ADT_A01", T_ADT12},
    [M_A01] = {"ADT^A01^ADT_A01", T_ADT22},  [M_A11] = {"ADT^A11^ADT_A09", T_ADT22},
    [M_A21] = {"ADT^A21^ADT_A21", T_ADT31},  [M_A22] = {"ADT^A22^ADT_A21", T_ADT32},
    [M_A02] = {"ADT^A02^ADT_A02", T_ADT42},  [M_A12] = {"ADT^A12^ADT_A12", T_ADT42},
    [M_A03] = {"ADT^A03^ADT_A03", T_ADT52},  [M_A13] = {"ADT^A13^ADT_A01", T_ADT52},
    [M_A60] = {"ADT^A60^ADT_A60", T_ADT61},  [M_ZD1] = {"PPR^ZD1^PPR_ZD1", T_PPR01},
    [M_O03] = {"OMD^O03^OMD_O03", T_OMD},    [M_O11] = {"RDE^O11^RDE_O11", T_OMP01},
    [M_O33] = {"OML^O33^OML_O33", T_OML01},  [M_R22] = {"OUL^R22^OUL_R22", T_OML11},
    [M_O19] = {"OMG^O19^OMG_O19", T_OMG01},  [M_Z23] = {"OMI^Z23^OMI_Z23", T_OMG11},
    [M_R22C] = {"OUL^R22^OUL_R22", T_OML11},
};

void sy_seg(struct rctx *c, const char *name)
{
    sy_out_s(c->o, name);
    c->field = 0;
}

void sy_fld(struct rctx *c, int n)
{
    static const char pipes[] = "||||||||||||||||||||||||||||||||||||||||||||||||||||||||||||||||";

    while (c->field < n) {
        int k = n - c->field < 64 ? n - c->field : 64;

        sy_out_n(c->o, pipes, (size_t)k);
        c->field += k;
    }
}

void sy_seg_end(struct rctx *c)
{
    sy_out_s(c->o, c->eol);
}

static void put_msh7(struct rctx *c)
{
    int64_t ms = c->e->ms, tmin = ms / 60000;
    int sec = (int)(ms % 60000 / 1000), frac = (int)(ms % 1000);
    int64_t mod = tmin - (int64_t)day_of(tmin) * MIN_PER_DAY;

    switch (c->e->msh7) {
    case 1:
        sy_out_sec(c->o, tmin, sec);
        sy_out_c(c->o, '.');
        sy_out_u0(c->o, (uint64_t)frac, 3);
        break;
    case 2:
        sy_out_sec(c->o, tmin, sec);
        sy_out_c(c->o, '.');
        sy_out_u0(c->o, (uint64_t)(frac * 10 + (frac * 7 + sec) % 10), 4);
        break;
    case 3:
        sy_out_min(c->o, tmin);
        break;
    case 4:
        if (mod < 6 * 60) { /* 02:44 written as 26:44 of the day before */
            sy_out_date(c->o, day_of(tmin) - 1);
            sy_out_u0(c->o, (uint64_t)(mod / 60 + 24), 2);
            sy_out_u0(c->o, (uint64_t)(mod % 60), 2);
            sy_out_u0(c->o, (uint64_t)sec, 2);
            break;
        }
        /* fall through */
    default:
        sy_out_sec(c->o, tmin, sec);
    }
}

void sy_put_msh(struct rctx *c, int app)
{
    static const char *const apps[] = {"HIS123", "LIS01", "RIS01"};

    sy_seg(c, "MSH|^~\\&");
    c->field = 2;
    sy_fld(c, 3);
    sy_out_s(c->o, apps[app]);
    sy_fld(c, 4);
    sy_out_s(c->o, c->s->facility);
    sy_fld(c, 5);
    OUT_LIT(c->o, "GW");
    sy_fld(c, 6);
    OUT_LIT(c->o, "RCV");
    sy_fld(c, 7);
    put_msh7(c);
    sy_fld(c, 9);
    sy_out_s(c->o, sy_tab_msg[c->e->msg].type);
    sy_fld(c, 10);
    sy_out_date(c->o, day_of(c->e->ms / 60000));
    sy_out_u0(c->o, (uint64_t)((c->p->idx * 997u + c->e->seq) % 1000000u), 6);
    sy_fld(c, 11);
    OUT_LIT(c->o, "P");
    sy_fld(c, 12);
    OUT_LIT(c->o, "2.5");
    sy_fld(c, 18);
    sy_out_s(c->o, app == APP_RIS ? "~ISOIR87" : "~ISO IR87");
    sy_fld(c, 20);
    sy_out_s(c->o, app == APP_LIS ? "ISO2022-1994" : "ISO 2022-1994");
    sy_fld(c, 21);
    OUT_LIT(c->o, "SS-MIX2_1.20^SS-MIX2^1.2.392.200250.2.1.100.1.2.120^ISO");
    sy_seg_end(c);
}

void sy_put_evn(struct rctx *c, int64_t recorded, int64_t occurred)
{
    sy_seg(c, "EVN");
    sy_fld(c, 2);
    sy_out_min(c->o, recorded);
    if (occurred != NO_TIME) {
        sy_fld(c, 6);
        sy_out_min(c->o, occurred);
    }
    sy_fld(c, 7);
    OUT_LIT(c->o, "SEND001");
    sy_seg_end(c);
}

void sy_put_name(struct rctx *c, const struct family_name *f, const struct given_name *g,
                 bool early_l)
{
    sy_out_jc(c->o, f->kanji);
    sy_out_c(c->o, '^');
    sy_out_jc(c->o, g->kanji);
    sy_out_s(c->o, early_l ? "^^^^L^I~" : "^^^^^L^I~");
    sy_out_jc(c->o, f->kana);
    sy_out_c(c->o, '^');
    sy_out_jc(c->o, g->kana);
    sy_out_s(c->o, early_l ? "^^^^L^P" : "^^^^^L^P");
}

void sy_put_xad(struct rctx *c, const struct demo *d)
{
    OUT_LIT(c->o, "^^^^");
    sy_out_s(c->o, sy_tab_town[d->town].post);
    OUT_LIT(c->o, "^JPN^H^");
    sy_out_j(c->o, d->address);
}

static void put_xtn(struct rctx *c, const char *use, const char *kind, const char *number)
{
    sy_out_c(c->o, '^');
    sy_out_s(c->o, use);
    sy_out_c(c->o, '^');
    sy_out_s(c->o, kind);
    OUT_LIT(c->o, "^^^^^^^^^");
    sy_out_s(c->o, number);
}

static void put_pid3(struct rctx *c)
{
    const char *id = c->p->id;

    if (c->e->pid3 == P3_UNPADDED) {
        while (*id == '0' && id[1])
            id++;
        sy_out_s(c->o, id);
        return;
    }
    if (c->e->pid3 == P3_OTHER)
        id = c->s->ids[(c->p->idx + 1) % c->s->npatients];
    sy_out_s(c->o, id);
    OUT_LIT(c->o, "^^^^PI");
}

void sy_put_pid(struct rctx *c, bool full, int app)
{
    const struct demo *d = sy_demo_at(c->p, c->e->t);

    sy_seg(c, "PID");
    sy_fld(c, 1);
    OUT_LIT(c->o, "0001");
    sy_fld(c, 3);
    put_pid3(c);
    sy_fld(c, 5);
    sy_put_name(c, d->family, d->given, app == APP_LIS && c->p->idx % 3 == 0);
    sy_fld(c, 7);
    sy_out_date(c->o, c->p->lite->birth);
    sy_fld(c, 8);
    sy_out_c(c->o, c->p->lite->sex == SEX_F ? 'F' : 'M');
    if (full) {
        sy_fld(c, 11);
        sy_put_xad(c, d);
        sy_fld(c, 13);
        if (d->home[0])
            put_xtn(c, "PRN", "PH", d->home);
        if (d->home[0] && d->mobile[0])
            sy_out_c(c->o, '~');
        if (d->mobile[0])
            put_xtn(c, "ORN", "CP", d->mobile);
        sy_fld(c, 14);
        if (d->work[0])
            put_xtn(c, "WPN", "PH", d->work);
    }
    if (c->e->type == T_ADT00) {
        sy_fld(c, 33);
        sy_out_sec(c->o, d->t, 0);
    }
    sy_seg_end(c);
}

void sy_put_xcn(struct rctx *c, uint16_t doctor)
{
    const struct doctor *d = &c->s->h.doctors[doctor];

    sy_out_s(c->o, d->id);
    sy_out_c(c->o, '^');
    sy_out_jc(c->o, d->family->kanji);
    sy_out_c(c->o, '^');
    sy_out_jc(c->o, d->given->kanji);
    OUT_LIT(c->o, "^^^^^^^L^^^^^I");
}

void sy_put_bed(struct rctx *c, int32_t bed)
{
    const struct bed *b = &c->s->h.beds[bed];

    sy_out_s(c->o, c->s->h.wards[b->ward].code);
    sy_out_c(c->o, '^');
    sy_out_s(c->o, b->room);
    sy_out_c(c->o, '^');
    sy_out_s(c->o, b->label);
    OUT_LIT(c->o, "^^^N");
}

void sy_put_dept(struct rctx *c, int dept)
{
    sy_out_s(c->o, sy_tab_dept[dept].code);
    sy_out_c(c->o, '^');
    sy_out_jc(c->o, sy_tab_dept[dept].name);
    OUT_LIT(c->o, "^99XY1");
}

void sy_put_pv1(struct rctx *c, int64_t t, uint16_t doctor, int dept)
{
    int32_t bed = sy_patient_bed_at(c->s, c->p, t, NULL);

    sy_seg(c, "PV1");
    sy_fld(c, 1);
    OUT_LIT(c->o, "0001");
    sy_fld(c, 2);
    sy_out_c(c->o, bed >= 0 ? 'I' : 'O');
    sy_fld(c, 3);
    if (bed >= 0)
        sy_put_bed(c, bed);
    else {
        sy_out_s(c->o, sy_tab_dept[dept].code);
        OUT_LIT(c->o, "^^^^^C");
    }
    sy_fld(c, 7);
    sy_put_xcn(c, doctor);
    sy_fld(c, 10);
    sy_out_s(c->o, sy_tab_dept[dept].code);
    sy_seg_end(c);
}

void sy_put_hospital(struct rctx *c)
{
    const struct hospital_name *h = c->s->h.name;
    int f = c->field;

    sy_fld(c, f + 1);
    sy_out_jc(c->o, h->name);
    sy_fld(c, f + 2);
    OUT_LIT(c->o, "^^^^");
    sy_out_s(c->o, h->post);
    OUT_LIT(c->o, "^JPN^^");
    sy_out_jc(c->o, h->address);
    sy_fld(c, f + 3);
    OUT_LIT(c->o, "^^^^^^^^^^^");
    sy_out_s(c->o, h->phone);
}

void sy_put_dose(struct rctx *c, unsigned dose10)
{
    char buf[16];

    sy_dose_text(dose10, buf, sizeof(buf));
    sy_out_s(c->o, buf);
}

void sy_dose_text(unsigned dose10, char *buf, size_t n)
{
    struct out o = {.p = buf, .cap = n - 1};

    sy_out_u(&o, dose10 / 10);
    if (dose10 % 10) {
        sy_out_c(&o, '.');
        sy_out_u(&o, dose10 % 10);
    }
    buf[o.len] = '\0';
}

void sy_put_wide(struct rctx *c, unsigned v)
{
    char digits[12], utf8[40];
    int n = snprintf(digits, sizeof(digits), "%u", v);

    for (int i = 0; i < n; i++) {
        utf8[i * 3] = (char)0xEF;
        utf8[i * 3 + 1] = (char)0xBC;
        utf8[i * 3 + 2] = (char)(0x90 + digits[i] - '0');
    }
    utf8[n * 3] = '\0';
    sy_out_j(c->o, utf8);
}

void sy_doctor_name(const struct synth *s, uint16_t doctor, char *buf, size_t n)
{
    const struct doctor *d = &s->h.doctors[doctor];

    snprintf(buf, n, "%s %s", d->family->kanji, d->given->kanji);
}

void sy_msg_render(const struct synth *s, const struct patient *p, const struct ev *e,
                   struct out *o)
{
    struct rctx c = {s, p, e, o, e->ending == 2 ? "\r\n" : "\r", 0};

    sy_out_reset(o);
    switch (e->type) {
    case T_ADT00:
        sy_render_a08(&c);
        break;
    case T_ADT61:
        sy_render_a60(&c);
        break;
    case T_PPR01:
        sy_render_zd1(&c);
        break;
    case T_OMP01:
    case T_OMP02:
        sy_render_rde(&c);
        break;
    case T_OML01:
        sy_render_oml(&c);
        break;
    case T_OML11:
        if (e->msg == M_R22C)
            sy_render_culture(&c);
        else
            sy_render_oul(&c);
        break;
    case T_OMG01:
        sy_render_omg(&c);
        break;
    case T_OMG11:
        sy_render_omi(&c);
        break;
    case T_OMD:
        sy_render_omd(&c);
        break;
    default:
        sy_render_adt(&c);
    }
    if (e->ending != 1)
        sy_out_c(o, 0x1C);
}
