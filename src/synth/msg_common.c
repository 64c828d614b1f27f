/*
 * msg_common.c: the segments every message has, the message table (MSH-9 per data-type
 * folder, after the SS-MIX2 table) and the dispatcher. MSH-7 is written the irregular ways
 * real senders write it: plain seconds, ".fff", ".ffff" (20111220224447.3399), minutes
 * only, and night hours as 24-29 o'clock of the day before. Segments end in CR, in a few
 * files CR LF.
 */
#include "msg.h"

#include <string.h>

const char *const dtype_name[T_COUNT] = {
    [T_ADT00] = "ADT-00", [T_ADT12] = "ADT-12", [T_ADT22] = "ADT-22", [T_ADT31] = "ADT-31",
    [T_ADT32] = "ADT-32", [T_ADT42] = "ADT-42", [T_ADT52] = "ADT-52", [T_ADT61] = "ADT-61",
    [T_PPR01] = "PPR-01", [T_OMD] = "OMD",      [T_OMP01] = "OMP-01", [T_OMP02] = "OMP-02",
    [T_OML01] = "OML-01", [T_OML11] = "OML-11", [T_OMG01] = "OMG-01", [T_OMG11] = "OMG-11",
};

const struct msg_info tab_msg[M_COUNT] = {
    [M_A08] = {"ADT^A08^ADT_A01", T_ADT00}, [M_A04] = {"ADT^A04^ADT_A01", T_ADT12},
    [M_A01] = {"ADT^A01^ADT_A01", T_ADT22}, [M_A11] = {"ADT^A11^ADT_A09", T_ADT22},
    [M_A21] = {"ADT^A21^ADT_A21", T_ADT31}, [M_A22] = {"ADT^A22^ADT_A21", T_ADT32},
    [M_A02] = {"ADT^A02^ADT_A02", T_ADT42}, [M_A12] = {"ADT^A12^ADT_A12", T_ADT42},
    [M_A03] = {"ADT^A03^ADT_A03", T_ADT52}, [M_A13] = {"ADT^A13^ADT_A01", T_ADT52},
    [M_A60] = {"ADT^A60^ADT_A60", T_ADT61}, [M_ZD1] = {"PPR^ZD1^PPR_ZD1", T_PPR01},
    [M_O03] = {"OMD^O03^OMD_O03", T_OMD},   [M_O11] = {"RDE^O11^RDE_O11", T_OMP01},
    [M_O33] = {"OML^O33^OML_O33", T_OML01}, [M_R22] = {"OUL^R22^OUL_R22", T_OML11},
    [M_O19] = {"OMG^O19^OMG_O19", T_OMG01}, [M_Z23] = {"OMI^Z23^OMI_Z23", T_OMG11},
};

void seg(struct rctx *c, const char *name)
{
    out_s(c->o, name);
    c->field = 0;
}

void fld(struct rctx *c, int n)
{
    while (c->field < n) {
        out_c(c->o, '|');
        c->field++;
    }
}

void seg_end(struct rctx *c)
{
    out_s(c->o, c->eol);
}

static void put_msh7(struct rctx *c)
{
    int64_t ms = c->e->ms, tmin = ms / 60000;
    int sec = (int)(ms % 60000 / 1000), frac = (int)(ms % 1000);
    int64_t mod = tmin - (int64_t)day_of(tmin) * MIN_PER_DAY;

    switch (c->e->msh7) {
    case 1:
        out_sec(c->o, tmin, sec);
        out_c(c->o, '.');
        out_u0(c->o, (uint64_t)frac, 3);
        break;
    case 2:
        out_sec(c->o, tmin, sec);
        out_c(c->o, '.');
        out_u0(c->o, (uint64_t)(frac * 10 + (frac * 7 + sec) % 10), 4);
        break;
    case 3:
        out_min(c->o, tmin);
        break;
    case 4:
        if (mod < 6 * 60) { /* 02:44 written as 26:44 of the day before */
            out_date(c->o, day_of(tmin) - 1);
            out_u0(c->o, (uint64_t)(mod / 60 + 24), 2);
            out_u0(c->o, (uint64_t)(mod % 60), 2);
            out_u0(c->o, (uint64_t)sec, 2);
            break;
        }
        /* fall through */
    default:
        out_sec(c->o, tmin, sec);
    }
}

void put_msh(struct rctx *c, int app)
{
    static const char *const apps[] = {"HIS123", "LIS01", "RIS01"};

    seg(c, "MSH|^~\\&");
    c->field = 2;
    fld(c, 3);
    out_s(c->o, apps[app]);
    fld(c, 4);
    out_s(c->o, c->s->facility);
    fld(c, 5);
    out_s(c->o, "GW");
    fld(c, 6);
    out_s(c->o, "RCV");
    fld(c, 7);
    put_msh7(c);
    fld(c, 9);
    out_s(c->o, tab_msg[c->e->msg].type);
    fld(c, 10);
    out_date(c->o, day_of(c->e->ms / 60000));
    out_u0(c->o, (uint64_t)((c->p->idx * 997u + c->e->seq) % 1000000u), 6);
    fld(c, 11);
    out_s(c->o, "P");
    fld(c, 12);
    out_s(c->o, "2.5");
    fld(c, 18);
    out_s(c->o, app == APP_RIS ? "~ISOIR87" : "~ISO IR87");
    fld(c, 20);
    out_s(c->o, app == APP_LIS ? "ISO2022-1994" : "ISO 2022-1994");
    fld(c, 21);
    out_s(c->o, "SS-MIX2_1.20^SS-MIX2^1.2.392.200250.2.1.100.1.2.120^ISO");
    seg_end(c);
}

void put_evn(struct rctx *c, int64_t recorded, int64_t occurred)
{
    seg(c, "EVN");
    fld(c, 2);
    out_min(c->o, recorded);
    if (occurred != NO_TIME) {
        fld(c, 6);
        out_min(c->o, occurred);
    }
    fld(c, 7);
    out_s(c->o, "SEND001");
    seg_end(c);
}

void put_name(struct rctx *c, const struct family_name *f, const struct given_name *g, bool early_l)
{
    out_j(c->o, f->kanji);
    out_c(c->o, '^');
    out_j(c->o, g->kanji);
    out_s(c->o, early_l ? "^^^^L^I~" : "^^^^^L^I~");
    out_j(c->o, f->kana);
    out_c(c->o, '^');
    out_j(c->o, g->kana);
    out_s(c->o, early_l ? "^^^^L^P" : "^^^^^L^P");
}

void put_xad(struct rctx *c, const struct demo *d)
{
    char addr[256];

    address_text(d, addr, sizeof(addr));
    out_s(c->o, "^^^^");
    out_s(c->o, tab_town[d->town].post);
    out_s(c->o, "^JPN^H^");
    out_j(c->o, addr);
}

static void put_xtn(struct rctx *c, const char *use, const char *kind, const char *number)
{
    out_c(c->o, '^');
    out_s(c->o, use);
    out_c(c->o, '^');
    out_s(c->o, kind);
    out_s(c->o, "^^^^^^^^^");
    out_s(c->o, number);
}

static void put_pid3(struct rctx *c)
{
    const char *id = c->p->id;

    if (c->e->pid3 == P3_UNPADDED) {
        while (*id == '0' && id[1])
            id++;
        out_s(c->o, id);
        return;
    }
    if (c->e->pid3 == P3_OTHER)
        id = c->s->ids[(c->p->idx + 1) % c->s->npatients];
    out_s(c->o, id);
    out_s(c->o, "^^^^PI");
}

void put_pid(struct rctx *c, bool full, int app)
{
    const struct demo *d = demo_at(c->p, c->e->t);

    seg(c, "PID");
    fld(c, 1);
    out_s(c->o, "0001");
    fld(c, 3);
    put_pid3(c);
    fld(c, 5);
    put_name(c, d->family, d->given, app == APP_LIS && c->p->idx % 3 == 0);
    fld(c, 7);
    out_date(c->o, c->p->lite->birth);
    fld(c, 8);
    out_c(c->o, c->p->lite->sex == SEX_F ? 'F' : 'M');
    if (full) {
        fld(c, 11);
        put_xad(c, d);
        fld(c, 13);
        if (d->home[0])
            put_xtn(c, "PRN", "PH", d->home);
        if (d->home[0] && d->mobile[0])
            out_c(c->o, '~');
        if (d->mobile[0])
            put_xtn(c, "ORN", "CP", d->mobile);
        fld(c, 14);
        if (d->work[0])
            put_xtn(c, "WPN", "PH", d->work);
    }
    if (c->e->type == T_ADT00) {
        fld(c, 33);
        out_sec(c->o, d->t, 0);
    }
    seg_end(c);
}

void put_xcn(struct rctx *c, uint16_t doctor)
{
    const struct doctor *d = &c->s->h.doctors[doctor];

    out_s(c->o, d->id);
    out_c(c->o, '^');
    out_j(c->o, d->family->kanji);
    out_c(c->o, '^');
    out_j(c->o, d->given->kanji);
    out_s(c->o, "^^^^^^^L^^^^^I");
}

void put_bed(struct rctx *c, int32_t bed)
{
    const struct bed *b = &c->s->h.beds[bed];

    out_s(c->o, c->s->h.wards[b->ward].code);
    out_c(c->o, '^');
    out_s(c->o, b->room);
    out_c(c->o, '^');
    out_s(c->o, b->label);
    out_s(c->o, "^^^N");
}

void put_dept(struct rctx *c, int dept)
{
    out_s(c->o, tab_dept[dept].code);
    out_c(c->o, '^');
    out_j(c->o, tab_dept[dept].name);
    out_s(c->o, "^99XY1");
}

void put_pv1(struct rctx *c, int64_t t, uint16_t doctor, int dept)
{
    int32_t bed = patient_bed_at(c->s, c->p, t, NULL);

    seg(c, "PV1");
    fld(c, 1);
    out_s(c->o, "0001");
    fld(c, 2);
    out_c(c->o, bed >= 0 ? 'I' : 'O');
    fld(c, 3);
    if (bed >= 0)
        put_bed(c, bed);
    else {
        out_s(c->o, tab_dept[dept].code);
        out_s(c->o, "^^^^^C");
    }
    fld(c, 7);
    put_xcn(c, doctor);
    fld(c, 10);
    out_s(c->o, tab_dept[dept].code);
    seg_end(c);
}

void put_hospital(struct rctx *c)
{
    const struct hospital_name *h = c->s->h.name;
    int f = c->field;

    fld(c, f + 1);
    out_j(c->o, h->name);
    fld(c, f + 2);
    out_s(c->o, "^^^^");
    out_s(c->o, h->post);
    out_s(c->o, "^JPN^^");
    out_j(c->o, h->address);
    fld(c, f + 3);
    out_s(c->o, "^^^^^^^^^^^");
    out_s(c->o, h->phone);
}

void put_dose(struct rctx *c, unsigned dose10)
{
    char buf[16];

    dose_text(dose10, buf, sizeof(buf));
    out_s(c->o, buf);
}

void dose_text(unsigned dose10, char *buf, size_t n)
{
    if (dose10 % 10)
        snprintf(buf, n, "%u.%u", dose10 / 10, dose10 % 10);
    else
        snprintf(buf, n, "%u", dose10 / 10);
}

void put_wide(struct rctx *c, unsigned v)
{
    char digits[12], utf8[40];
    int n = snprintf(digits, sizeof(digits), "%u", v);

    for (int i = 0; i < n; i++) {
        utf8[i * 3] = (char)0xEF;
        utf8[i * 3 + 1] = (char)0xBC;
        utf8[i * 3 + 2] = (char)(0x90 + digits[i] - '0');
    }
    utf8[n * 3] = '\0';
    out_j(c->o, utf8);
}

void doctor_name(const struct synth *s, uint16_t doctor, char *buf, size_t n)
{
    const struct doctor *d = &s->h.doctors[doctor];

    snprintf(buf, n, "%s %s", d->family->kanji, d->given->kanji);
}

void msg_render(const struct synth *s, const struct patient *p, const struct ev *e, struct out *o)
{
    struct rctx c = {s, p, e, o, e->ending == 2 ? "\r\n" : "\r", 0};

    out_reset(o);
    switch (e->type) {
    case T_ADT00:
        render_a08(&c);
        break;
    case T_ADT61:
        render_a60(&c);
        break;
    case T_PPR01:
        render_zd1(&c);
        break;
    case T_OMP01:
    case T_OMP02:
        render_rde(&c);
        break;
    case T_OML01:
        render_oml(&c);
        break;
    case T_OML11:
        render_oul(&c);
        break;
    case T_OMG01:
        render_omg(&c);
        break;
    case T_OMG11:
        render_omi(&c);
        break;
    case T_OMD:
        render_omd(&c);
        break;
    default:
        render_adt(&c);
    }
    if (e->ending != 1)
        out_c(o, 0x1C);
}
