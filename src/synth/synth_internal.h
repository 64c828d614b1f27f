/*
 * synth_internal.h: what the files of src/synth share. The generator works in three
 * phases: (1) every patient's sex, birth date and first contact (people.c), (2) one
 * hospital-wide simulation of beds over time so that no bed is ever held twice
 * (hospital.c), (3) for each patient in ID order, a care plan of events (care.c), rendered
 * to HL7 (msg_*.c), written to the tree (tree.c) and summed up for the manifest
 * (manifest.c). Times are local (JST) minutes since 1970-01-01; event times milliseconds.
 * Every symbol these files share starts with sy_ (the public API with cv_synth_), so that
 * nothing collides with another module of the library.
 */
#ifndef CHARTVAULT_SYNTH_INTERNAL_H
#define CHARTVAULT_SYNTH_INTERNAL_H

#include <chartvault/common.h>
#include <chartvault/synth.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_PER_DAY  1440
#define NO_TIME      INT64_MIN
#define MAX_RX_DRUGS 6
#define MAX_IAM_OPS  4
#define MAX_CONTACTS 3
#define MAX_CHRONIC  6
#define MAX_SEGS     4
#define MAX_TESTS    32

/* ---- rng.c: xoshiro256**, seeded per (seed, stream, index) --------------------------- */
struct rng {
    uint64_t s[4];
};
/* RS_FORMS: the forms a writer chose (blood-type codes, split diagnosis files, a missing
 * ADT-00, cultures), drawn apart so that adding them left the rest of a tree as it was */
enum rng_stream { RS_PEOPLE = 1, RS_HOSPITAL, RS_SIM, RS_CARE, RS_FORMS };
void sy_rng_init(struct rng *r, uint64_t seed, uint64_t stream, uint64_t index);
uint64_t sy_rng_u64(struct rng *r);
uint32_t sy_rng_below(struct rng *r, uint32_t n); /* [0, n), n > 0 */
int sy_rng_range(struct rng *r, int lo, int hi);  /* [lo, hi] */
bool sy_rng_pm(struct rng *r, unsigned per_mille);
int sy_rng_gauss(struct rng *r, int mean, int sd); /* about normal, integer arithmetic only */
/* Index drawn with the uint16_t weight found `offset` bytes into each of `n` records. */
size_t sy_rng_weighted(struct rng *r, const void *base, size_t n, size_t stride, size_t offset);
#define RNG_PICK(r, arr, n, field)                                                                 \
    sy_rng_weighted((r), (arr), (n), sizeof((arr)[0]), offsetof(__typeof__((arr)[0]), field))

/* ---- out.c: a message buffer and the ISO-2022-JP encoder ------------------------------ */
struct sy_jcache;
struct out {
    char *p;
    size_t len, cap;
    bool full;               /* something did not fit */
    bool unmapped;           /* a character had no JIS X 0208 form */
    struct sy_jcache *cache; /* encodings of constant strings, or NULL */
    bool day_ok;             /* day_ymd caches the last day written */
    int32_t day;
    char ymd[9];
};
enum cv_err sy_jis_init(void); /* once per process; thread-safe */
enum cv_err sy_jcache_new(struct sy_jcache **out);
void sy_jcache_free(struct sy_jcache *c);
void sy_out_reset(struct out *o);
static inline void sy_out_c(struct out *o, char c)
{
    if (o->len < o->cap)
        o->p[o->len++] = c;
    else
        o->full = true;
}
static inline void sy_out_n(struct out *o, const char *s, size_t n)
{
    if (n <= o->cap - o->len) {
        memcpy(o->p + o->len, s, n);
        o->len += n;
    } else {
        o->full = true;
    }
}
#define OUT_LIT(o, lit) sy_out_n((o), "" lit, sizeof(lit) - 1)
void sy_out_s(struct out *o, const char *ascii);
void sy_out_j(struct out *o, const char *utf8); /* ISO-2022-JP, ends in ASCII mode */
/* The same for a string that lives as long as the run (a table entry or a literal): its
 * encoding is cached by address. */
void sy_out_jc(struct out *o, const char *utf8);
void sy_out_u(struct out *o, uint64_t v);
void sy_out_u0(struct out *o, uint64_t v, int width);
void sy_out_fix(struct out *o, int64_t v, int decimals); /* 1234, 2 -> "12.34" */
/* true when every character of `utf8` has an ISO-2022-JP form */
bool sy_jis_mappable(const char *utf8);

/* Dates: day numbers and minute times to text. */
void sy_day_ymd(int32_t day, int *y, int *m, int *d);
void sy_out_date(struct out *o, int32_t day);        /* YYYYMMDD */
void sy_out_min(struct out *o, int64_t tmin);        /* YYYYMMDDHHMM */
void sy_out_sec(struct out *o, int64_t tmin, int s); /* YYYYMMDDHHMMSS */
void sy_out_ms17(struct out *o, int64_t ms);         /* YYYYMMDDHHMMSSfff */
void sy_iso_date(char *buf, int32_t day);            /* YYYY-MM-DD, buf >= 11 */
void sy_iso_min(char *buf, int64_t tmin);            /* YYYY-MM-DDTHH:MM, buf >= 17 */
static inline int32_t day_of(int64_t tmin)
{
    return (int32_t)(tmin >= 0 ? tmin / MIN_PER_DAY : -((-tmin + MIN_PER_DAY - 1) / MIN_PER_DAY));
}
static inline int weekday(int32_t day) /* 0 Sunday */
{
    return (int)(((day % 7) + 7 + 4) % 7);
}

/* ---- tables (names.c, places.c, clinical.c) ----------------------------------------- */
struct family_name {
    const char *kanji, *kana;
    uint16_t w;
};
struct given_name {
    const char *kanji, *kana;
    uint16_t w;
};
enum { SEX_M, SEX_F };
enum { ERA_1920, ERA_1945, ERA_1965, ERA_1985, ERA_2005, ERA_COUNT };
extern const struct family_name sy_tab_family[];
extern const size_t sy_tab_family_len;
const struct given_name *sy_given_names(int sex, int era, size_t *n);
int sy_era_of_year(int year);

struct town {
    const char *pref, *city, *town, *post, *area; /* area code "054" */
    uint16_t w;
};
extern const struct town sy_tab_town[];
extern const size_t sy_tab_town_len;
extern const char *const sy_tab_building[];
extern const size_t sy_tab_building_len;
extern const char *const sy_tab_employer[];
extern const size_t sy_tab_employer_len;
struct hospital_name {
    const char *name, *post, *address, *phone;
};
extern const struct hospital_name sy_tab_hospital[];
extern const size_t sy_tab_hospital_len;

struct dept {
    const char *code, *name;
};
enum {
    D_IM,
    D_DM,
    D_NEU,
    D_RES,
    D_GI,
    D_CAR,
    D_PED,
    D_SUR,
    D_ORT,
    D_NSU,
    D_DER,
    D_URO,
    D_OBG,
    D_OPH,
    D_ENT,
    D_COUNT
};
extern const struct dept sy_tab_dept[D_COUNT];

enum dx_kind { DXK_CHRONIC, DXK_ACUTE, DXK_INPT };
struct dx {
    const char *icd10, *medis, *exch, *name;
    uint8_t dept, kind;
};
extern const struct dx sy_tab_dx[];
extern const size_t sy_tab_dx_len; /* <= SY_MAX_DX, each with its own MEDIS code */
#define SY_MAX_DX 1024
int sy_dx_find(const char *icd10);

struct usage {
    const char *code, *text;
    uint8_t times; /* per day */
};
extern const struct usage sy_tab_usage[];
struct route {
    const char *code, *name;
};
extern const struct route sy_tab_route[];
enum { RT_PO, RT_AP, RT_IH, RT_RE, RT_IV, RT_SC, RT_IM, RT_OPH };
struct drug {
    const char *hot, *name;
    const char *unit_code, *unit_name; /* RXE-5 */
    const char *form_code, *form_name; /* RXE-6, may be NULL */
    uint16_t dose10;                   /* dose per time in tenths: 10 = "1" */
    uint8_t usage, route;
};
extern const struct drug sy_tab_drug[];
extern const size_t sy_tab_drug_len;
int sy_drug_find(const char *name_prefix);

/* An injection as the JAHIS injection rules write it: RXE-2 the kind of order (JHSI0002
 * 一般), RXE-3/5 the total volume, the drugs in RXC: the base solution first (B), then the
 * additives (A). A drug given alone is its own base. */
struct injection {
    const char *hot, *name, *unit_code, *unit_name; /* the drug */
    uint16_t amount;                                /* of the drug, in its unit */
    uint8_t route;                                  /* RT_IV ... */
    uint8_t hours;    /* running time per day; 0 a push or injection */
    const char *base; /* solution the drug is mixed into (RXC B), or NULL */
    const char *base_hot;
    const char *extra; /* a second additive (RXC A), or NULL */
    const char *extra_hot, *extra_unit_code, *extra_unit_name;
    uint16_t volume; /* RXE-3 in mL (total), or 0: the drug's amount and unit */
};
extern const struct injection sy_tab_inj[];
extern const size_t sy_tab_inj_len;
/* RXE-7: "静注", "２４時間持続", "５時間一定速度で" */
void sy_injection_instruction(const struct injection *ij, char *buf, size_t n);

/* cultures (細菌検査): specimens, organisms, antibiotics for susceptibility */
enum culture_spec { CS_SPUTUM, CS_URINE, CS_BLOOD, CS_COUNT };
struct culture_spec_info {
    const char *code, *name; /* SPM-4 */
    uint8_t norgs, orgs[5];  /* what grows in it: indices into sy_tab_organism */
};
extern const struct culture_spec_info sy_tab_culture_spec[CS_COUNT];
struct organism_info {
    const char *code, *name;
    uint8_t ndrugs, drugs[6]; /* antibiotics tested against it: indices into sy_tab_abx */
};
extern const struct organism_info sy_tab_organism[];
extern const size_t sy_tab_organism_len;
struct abx {
    const char *code, *name;
    const char *mic_s, *mic_i, *mic_r; /* MIC as written for S, I and R */
};
extern const struct abx sy_tab_abx[];
extern const size_t sy_tab_abx_len;
extern const char *const sy_tab_amount[]; /* 菌量: (1+) (2+) (3+) */
#define CULTURE_TEST_CODE     "B001"
#define CULTURE_TEST_NAME     "細菌培養同定検査"
#define CULTURE_ORGANISM_CODE "B0100"
#define CULTURE_ORGANISM_NAME "検出菌"
#define CULTURE_AMOUNT_CODE   "B0200"
#define CULTURE_AMOUNT_NAME   "菌量"

enum spec { SP_SERUM, SP_BLOOD, SP_PLASMA, SP_URINE, SP_COUNT };
struct spec_info {
    const char *code, *name; /* JC10 material */
};
extern const struct spec_info sy_tab_spec[SP_COUNT];
struct labtest {
    const char *code, *name, *local, *unit; /* JLAC10 17, display name, local code, unit */
    uint8_t spec, dec;                      /* specimen, decimals */
    int32_t lo[2], hi[2];                   /* reference range per sex (scaled by dec) */
    int32_t mean[2], sd;                    /* population (scaled) */
    bool qualitative;                       /* ST: (-) (+-) (+) (2+) */
};
extern const struct labtest sy_tab_lab[];
extern const size_t sy_tab_lab_len;
int sy_lab_find(const char *code);

struct diet {
    const char *code, *name;
};
extern const struct diet sy_tab_diet[];
extern const size_t sy_tab_diet_len;
extern const char *const sy_tab_diet_comment[5]; /* [0] is "" */
enum {
    DI_REG,
    DI_SOFT,
    DI_PORRIDGE,
    DI_HALF,
    DI_LIQUID,
    DI_NPO,
    DI_SALT,
    DI_DM,
    DI_HEART,
    DI_RENAL,
    DI_DYSPH,
    DI_CHILD,
    DI_OBST
};

struct exam {
    const char *jj1017, *name, *modality;
    const char *normal;
};
extern const struct exam sy_tab_exam[];
extern const size_t sy_tab_exam_len;
enum {
    EX_CXR,
    EX_AXR,
    EX_HEADCT,
    EX_ABDCT,
    EX_CHESTCT,
    EX_HEADMRI,
    EX_US,
    EX_HIPXR,
    EX_KNEEXR,
    EX_DXA
};

struct allergen {
    const char *type, *type_name, *code, *system, *name;
    uint16_t w;
};
extern const struct allergen sy_tab_allergen[];
extern const size_t sy_tab_allergen_len;
extern const char *const sy_tab_reaction[];
extern const size_t sy_tab_reaction_len;
struct severity {
    const char *code, *name;
};
extern const struct severity sy_tab_severity[3];

struct relation {
    const char *code, *name;
};
/* admission reasons: what brings a patient to a bed */
struct reason {
    const char *icd10;
    uint8_t dept;
    uint8_t age_lo, age_hi, sex; /* sex: 0 any, 1 M, 2 F */
    uint16_t w;
    uint8_t los_lo, los_hi;
    uint16_t icu_pm, emergency_pm;
    uint8_t iv, iv_days;  /* injection index (0xff none) and days of it */
    uint8_t diet0, diet1; /* first diet and the one it moves to */
    uint8_t exam;         /* radiology on admission, 0xff none */
    const char *finding;  /* abnormal report text */
    const char *drug;     /* name prefix of a drug given during the stay, or NULL */
    bool resolves;        /* diagnosis ends at discharge */
    bool acute_labs;      /* CRP/WBC high on admission */
};
extern const struct reason sy_tab_reason[];
extern const size_t sy_tab_reason_len;

/* chronic conditions a person may carry, with what is prescribed and drawn for them */
struct condition {
    const char *icd10;
    uint8_t age_lo, sex;     /* sex: 0 any, 1 M, 2 F */
    uint16_t pm_old, pm_mid; /* per mille, age >= 65 / age_lo..64 */
    const char *drug1, *drug2;
    const char *labs; /* extra lab codes, comma separated, or NULL */
};
extern const struct condition sy_tab_condition[];
extern const size_t sy_tab_condition_len;

struct acute {
    const char *icd10;
    uint8_t age_lo, age_hi;
    uint16_t w;
    const char *drug1, *drug2;
    uint8_t days;
    bool labs, xray;
};
extern const struct acute sy_tab_acute[];
extern const size_t sy_tab_acute_len;

/* ---- people.c: phase 1, every patient's fixed facts ---------------------------------- */
enum profile { PR_RARE, PR_OCCASIONAL, PR_CHRONIC };
struct person_lite {
    int32_t birth; /* day */
    int32_t first; /* first contact day */
    uint8_t sex;
    uint8_t profile;
    uint8_t frailty; /* admission weight factor */
    uint8_t pad;
};

/* ---- hospital.c: wards, beds, doctors and the bed simulation ------------------------- */
enum ward_kind { WK_GENERAL, WK_ICU, WK_PEDS, WK_OBST };
struct ward {
    char code[8];
    uint8_t kind;
    uint32_t first_bed, nbeds;
    uint32_t dept_mask;
};
struct bed {
    uint16_t ward;
    char room[6], label[3];
    int32_t stay; /* occupying stay or -1 */
    int64_t free_from;
};
struct doctor {
    char id[8];
    const struct family_name *family;
    const struct given_name *given;
    uint8_t dept;
};
struct seg {
    int32_t bed;
    int64_t from;
};
struct stay {
    uint32_t patient;
    uint8_t reason, dept, nseg;
    bool emergency;
    uint16_t doctor;
    int64_t admit, discharge;    /* discharge NO_TIME while still in at the end */
    struct seg seg[MAX_SEGS];    /* seg[i].from for i > 0 are transfer times */
    int64_t leave_out, leave_in; /* NO_TIME: none / not back by the end */
    int64_t cancel_admit;        /* an A01 entered at this time and cancelled */
    int32_t cancel_admit_bed;
    int64_t cancel_discharge; /* an A03 entered in error at this time */
    int64_t cancel_transfer;  /* an A02 entered in error at this time */
    int32_t cancel_transfer_bed;
};
struct hospital {
    const struct hospital_name *name;
    struct ward *wards;
    size_t nwards;
    struct bed *beds;
    size_t nbeds;
    struct doctor *doctors;
    size_t ndoctors;
    uint16_t dept_doctors[D_COUNT][8]; /* doctor indices per department */
    uint8_t dept_ndoctors[D_COUNT];
    uint16_t dept_ward[D_COUNT]; /* preferred ward per department */
    struct stay *stays;
    size_t nstays;
    uint32_t *patient_first; /* [patient] -> first of their stays; npatients + 1 entries */
};

/* ---- the run ------------------------------------------------------------------------- */
struct synth {
    const struct cv_synth_options *opt;
    char facility[24];
    int32_t start_day, end_day; /* care window, both inclusive */
    int64_t end_min;            /* last minute of end_day */
    size_t npatients;
    struct person_lite *people;
    char (*ids)[12]; /* patient IDs, ascending */
    struct hospital h;
    int32_t *bed_patient; /* at the end: patient on each bed, -1 free (filled by manifest) */
    uint64_t files, bytes;
};

enum cv_err sy_people_make(struct synth *s);
enum cv_err sy_make_wards(struct synth *s);
enum cv_err sy_make_doctors(struct synth *s, struct rng *r);
enum cv_err sy_hospital_make(struct synth *s);
void sy_hospital_free(struct hospital *h);
const struct stay *sy_patient_stays(const struct synth *s, uint32_t patient, size_t *n);
int sy_age_at(int32_t birth, int32_t day);

/* ---- care.c: one patient's plan -------------------------------------------------------- */
enum dtype {
    T_ADT00,
    T_ADT12,
    T_ADT22,
    T_ADT31,
    T_ADT32,
    T_ADT42,
    T_ADT52,
    T_ADT61,
    T_PPR01,
    T_OMD,
    T_OMP01,
    T_OMP02,
    T_OML01,
    T_OML11,
    T_OMG01,
    T_OMG11,
    T_COUNT
};
extern const char *const sy_dtype_name[T_COUNT];
enum msg {
    M_A08,
    M_A04,
    M_A01,
    M_A11,
    M_A21,
    M_A22,
    M_A02,
    M_A12,
    M_A03,
    M_A13,
    M_A60,
    M_ZD1,
    M_O03,
    M_O11,
    M_O33,
    M_R22,
    M_O19,
    M_Z23,
    M_R22C, /* a culture report: OUL^R22 like M_R22, its ref in patient.cult */
    M_COUNT
};
struct msg_info {
    const char *type; /* MSH-9 */
    uint8_t dtype;
};
extern const struct msg_info sy_tab_msg[M_COUNT];
enum pid3 { P3_SAME, P3_UNPADDED, P3_OTHER };
enum act { A_NEW, A_CHANGE, A_CANCEL, A_PRELIM, A_FINAL };

struct ev {
    int64_t t;        /* clinical time (minute): what orders the patient's history */
    int64_t ms;       /* event time: file name, MSH-7, mtime */
    int32_t care_day; /* folder date, -1 for "-" */
    int32_t ref;      /* index in the table of its kind */
    int32_t aux;      /* kind-specific: segment of a transfer, 1 for entries in error */
    uint32_t seq;     /* creation order, breaks ties */
    uint8_t type, msg, dept, act, pid3;
    char flag;      /* '1' current, '2' superseded, '0' deleted */
    uint8_t msh7;   /* MSH-7 spelling variant */
    uint8_t ending; /* 0 CR + 0x1C, 1 CR, 2 CRLF + 0x1C */
    char order[16];
};

struct contact {
    const struct family_name *family;
    const struct given_name *given;
    uint8_t rel; /* relation table index */
    bool same_address;
    char phone[16], work[16];
};
struct demo { /* one version of the demographics, as one ADT-00 carries it */
    int64_t t;
    const struct family_name *family;
    const struct given_name *given;
    uint16_t town, banchi[3];
    int16_t building; /* -1 none */
    uint16_t room_no;
    char address[160]; /* the full address as written in XAD.8, from the fields above */
    char home[16], mobile[16], work[16];
    uint16_t height10, weight10; /* 0: not measured */
    uint8_t ncontacts;
    struct contact contacts[MAX_CONTACTS];
    uint8_t nallergies;
    uint16_t allergies[8]; /* indices into pt->allergy (current entries) */
    int16_t employer;      /* -1: none; else an NK1 "self" row */
};
struct allergy {
    uint16_t allergen;
    uint8_t severity, reaction;
    int32_t onset; /* day or -1 */
};
struct iam_op {
    char action; /* 'A' 'U' 'D' */
    struct allergy a;
};
struct iam_msg {
    uint8_t nops;
    struct iam_op ops[MAX_IAM_OPS];
};
struct diag {
    uint16_t dx;
    uint8_t dept, inout;     /* 'O' or 'I' */
    bool suspected;          /* PRB-13 1^疑い^JHSD0005 */
    int32_t onset;           /* day */
    int64_t added, resolved; /* when entered / resolved (NO_TIME: never) */
    uint16_t doctor;
    uint64_t instance;
    bool main;
};
struct rxline {
    uint16_t drug;
    uint16_t dose10;
};
struct rx {
    uint8_t kind; /* 0 prescription (OMP-01), 1 injection (OMP-02) */
    uint8_t dept, inout, nlines;
    uint16_t doctor;
    int32_t stay;
    int64_t ordered; /* ORC-9 */
    int64_t start;   /* TQ1-7 */
    int64_t end;     /* TQ1-8 (injections) */
    uint16_t days;
    struct rxline line[MAX_RX_DRUGS];
    uint16_t inj;         /* injection table index */
    uint8_t purpose;      /* RXP_* */
    bool start_hour_only; /* TQ1-7 written YYYYMMDDHH */
};
enum { RXP_CLINIC, RXP_WARD, RXP_DISCHARGE, RXP_INJECTION };
/* RXE-10, the amount dispensed, in tenths */
unsigned sy_rx_dispense10(const struct rx *rx, const struct rxline *l);
struct lab {
    uint8_t dept, inout, ntests;
    uint16_t doctor;
    int32_t stay;
    int64_t ordered, drawn, resulted;
    uint8_t test[MAX_TESTS];
    int32_t value[MAX_TESTS];
    bool prelim_missing[MAX_TESTS]; /* absent from the preliminary report */
};
struct rad {
    uint8_t exam, dept, inout;
    uint16_t doctor;
    int32_t stay;
    int64_t ordered, done;
    const char *finding; /* report text, UTF-8 */
    char order13[14];
};
struct dietord {
    uint8_t diet, comment;
    int32_t stay;
    uint16_t doctor;
    uint8_t dept;
    int64_t ordered, start;
};
struct visit {
    int64_t t;
    uint8_t dept;
    uint16_t doctor;
    int16_t acute; /* sy_tab_acute index, -1 for a chronic follow-up */
    int16_t diag;  /* the diagnosis it added, or -1 */
};
struct ppr {
    int64_t t;
    int32_t only; /* a writer of one file per diagnosis: the diagnosis; -1: the whole list */
};
/* One culture report (OUL^R22 in OML-11): up to 3 organisms, each with its amount and the
 * susceptibility of up to 6 antibiotics (OBX-4 "n" and "n.k"). */
struct culture_org {
    uint8_t org, amount, ndrugs;
    uint8_t drug[6], sir[6]; /* sir: 0 S, 1 I, 2 R */
};
struct culture {
    uint8_t spec, norg, dept;
    uint16_t doctor;
    int32_t stay;
    int64_t drawn, resulted;
    struct culture_org org[3];
};

#define ARRAY_OF(T)                                                                                \
    struct {                                                                                       \
        T *v;                                                                                      \
        size_t n, cap;                                                                             \
    }

struct patient {
    uint32_t idx;
    const char *id;
    const struct person_lite *lite;
    struct rng rng;
    uint8_t blood; /* 0 A, 1 B, 2 O, 3 AB, 4 unknown */
    bool rh_neg;
    struct rng forms;   /* RS_FORMS */
    uint8_t blood_form; /* which codes and value forms its ADT-00 writes (msg_adt.c) */
    bool split_ppr;     /* its diagnoses come one file per diagnosis order (older gateways) */
    bool no_adt00;      /* no registration record: only other messages' PID say who it is */
    uint8_t nchronic;
    uint16_t chronic[MAX_CHRONIC]; /* condition table indices */
    uint16_t chronic_doctor;
    uint8_t chronic_dept;
    uint8_t nchronic_drug;
    uint16_t chronic_interval; /* days between clinic visits */
    int16_t chronic_drug[MAX_RX_DRUGS];
    int32_t baseline[64]; /* per lab test: this person's usual value */
    uint64_t order_seq;
    const struct stay *stays;
    size_t nstays;
    ARRAY_OF(struct ev) ev;
    ARRAY_OF(struct demo) demo;
    ARRAY_OF(struct allergy) allergy;
    ARRAY_OF(struct iam_msg) iam;
    ARRAY_OF(struct diag) diag;
    ARRAY_OF(struct ppr) ppr;
    ARRAY_OF(struct rx) rx;
    ARRAY_OF(struct lab) lab;
    ARRAY_OF(struct rad) rad;
    ARRAY_OF(struct dietord) diet;
    ARRAY_OF(struct visit) visit;
    ARRAY_OF(struct culture) cult;
    enum cv_err err; /* first allocation failure while planning */
};

/* A new home (town, number, building, phone); fills d->address. */
void sy_move_house(struct rng *r, struct demo *d);
/* "静岡県静岡市駿河区登呂１−３−５　グランドハイツ３０２" */
void sy_address_text(const struct demo *d, char *buf, size_t n);
void sy_patient_reset(struct patient *p);
void sy_patient_free(struct patient *p);
enum cv_err sy_care_plan(struct synth *s, struct patient *p, uint32_t idx);
/* The stay (or -1) and bed (or -1) the patient holds at minute t. */
int32_t sy_patient_bed_at(const struct synth *s, const struct patient *p, int64_t t, int32_t *stay);
/* The demographics version in force at minute t. */
const struct demo *sy_demo_at(const struct patient *p, int64_t t);
/* Diagnoses: on the list written at t, active at t, and the main one at t (-1: none). */
bool sy_diag_listed(const struct diag *g, int64_t t);
bool sy_diag_active(const struct diag *g, int64_t t);
int sy_diag_main(const struct synth *s, const struct patient *p, int64_t t);
/* Lab result text as written in OBX-5, and its H/L flag (0 none). */
void sy_lab_value_text(const struct labtest *lt, int32_t v, char *buf, size_t n);
char sy_lab_flag(const struct labtest *lt, int sex, int32_t v);
extern const struct relation sy_tab_relation[];

/* ---- msg_*.c: HL7 rendering ---------------------------------------------------------- */
void sy_msg_render(const struct synth *s, const struct patient *p, const struct ev *e,
                   struct out *o);
void sy_doctor_name(const struct synth *s, uint16_t doctor, char *buf, size_t n);
void sy_dose_text(unsigned dose10, char *buf, size_t n);         /* RXE-3 as written: "1", "0.5" */
void sy_diet_text(const struct dietord *d, char *buf, size_t n); /* ODS-4 */

/* ---- tree.c: files and folders --------------------------------------------------------- */
struct tree;
enum cv_err sy_tree_open(const char *root, struct tree **out);
/* Write every event of `p` (rendering each into `o`) under its folders. */
enum cv_err sy_tree_write_patient(struct tree *t, struct synth *s, const struct patient *p,
                                  struct out *o);
enum cv_err sy_tree_finish(struct tree *t, bool sync);
void sy_tree_close(struct tree *t);
void sy_file_name(const struct patient *p, const struct ev *e, char *buf, size_t n);
void sy_mtime_of(int64_t ms, struct timespec ts[2]);

/* ---- manifest.c ------------------------------------------------------------------------ */
struct manifest;
enum cv_err sy_manifest_open(struct synth *s, const char *path, struct manifest **out);
enum cv_err sy_manifest_patient(struct manifest *m, struct synth *s, const struct patient *p);
/* Join everything into the manifest file, atomically (rename), only when all went well. */
enum cv_err sy_manifest_finish(struct manifest *m, struct synth *s);
/* Free, removing the side file and any temporary (a finished manifest stays). */
void sy_manifest_free(struct manifest *m);
/* Where the patient is at the end (bed index or -1), by the CURRENT-STATE rules. */
int32_t sy_final_bed(const struct synth *s, const struct patient *p, const struct ev **set_by);

#endif
