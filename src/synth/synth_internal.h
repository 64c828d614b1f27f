/*
 * synth_internal.h: what the files of src/synth share. The generator works in three
 * phases: (1) every patient's sex, birth date and first contact (people.c), (2) one
 * hospital-wide simulation of beds over time so that no bed is ever held twice
 * (hospital.c), (3) for each patient in ID order, a care plan of events (care.c), rendered
 * to HL7 (msg_*.c), written to the tree (tree.c) and summed up for the manifest
 * (manifest.c). Times are local (JST) minutes since 1970-01-01; event times milliseconds.
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
enum rng_stream { RS_PEOPLE = 1, RS_HOSPITAL, RS_SIM, RS_CARE };
void rng_init(struct rng *r, uint64_t seed, uint64_t stream, uint64_t index);
uint64_t rng_u64(struct rng *r);
uint32_t rng_below(struct rng *r, uint32_t n); /* [0, n), n > 0 */
int rng_range(struct rng *r, int lo, int hi);  /* [lo, hi] */
bool rng_pm(struct rng *r, unsigned per_mille);
int rng_gauss(struct rng *r, int mean, int sd); /* about normal, integer arithmetic only */
/* Index drawn with the uint16_t weight found `offset` bytes into each of `n` records. */
size_t rng_weighted(struct rng *r, const void *base, size_t n, size_t stride, size_t offset);
#define RNG_PICK(r, arr, n, field)                                                                 \
    rng_weighted((r), (arr), (n), sizeof((arr)[0]), offsetof(__typeof__((arr)[0]), field))

/* ---- out.c: a message buffer and the ISO-2022-JP encoder ------------------------------ */
struct out {
    char *p;
    size_t len, cap;
    bool full;     /* something did not fit */
    bool unmapped; /* a character had no JIS X 0208 form */
};
enum cv_err jis_init(void); /* once per process; thread-safe */
void out_reset(struct out *o);
void out_c(struct out *o, char c);
void out_n(struct out *o, const char *s, size_t n);
void out_s(struct out *o, const char *ascii);
void out_j(struct out *o, const char *utf8); /* ISO-2022-JP, ends in ASCII mode */
void out_u(struct out *o, uint64_t v);
void out_u0(struct out *o, uint64_t v, int width);
void out_fix(struct out *o, int64_t v, int decimals); /* 1234, 2 -> "12.34" */
/* true when every character of `utf8` has an ISO-2022-JP form */
bool jis_mappable(const char *utf8);

/* Dates: day numbers and minute times to text. */
void day_ymd(int32_t day, int *y, int *m, int *d);
void out_date(struct out *o, int32_t day);        /* YYYYMMDD */
void out_min(struct out *o, int64_t tmin);        /* YYYYMMDDHHMM */
void out_sec(struct out *o, int64_t tmin, int s); /* YYYYMMDDHHMMSS */
void out_ms17(struct out *o, int64_t ms);         /* YYYYMMDDHHMMSSfff */
void iso_date(char *buf, int32_t day);            /* YYYY-MM-DD, buf >= 11 */
void iso_min(char *buf, int64_t tmin);            /* YYYY-MM-DDTHH:MM, buf >= 17 */
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
extern const struct family_name tab_family[];
extern const size_t tab_family_len;
const struct given_name *given_names(int sex, int era, size_t *n);
int era_of_year(int year);

struct town {
    const char *pref, *city, *town, *post, *area; /* area code "054" */
    uint16_t w;
};
extern const struct town tab_town[];
extern const size_t tab_town_len;
extern const char *const tab_building[];
extern const size_t tab_building_len;
extern const char *const tab_employer[];
extern const size_t tab_employer_len;
struct hospital_name {
    const char *name, *post, *address, *phone;
};
extern const struct hospital_name tab_hospital[];
extern const size_t tab_hospital_len;

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
extern const struct dept tab_dept[D_COUNT];

enum dx_kind { DXK_CHRONIC, DXK_ACUTE, DXK_INPT };
struct dx {
    const char *icd10, *medis, *exch, *name;
    uint8_t dept, kind;
};
extern const struct dx tab_dx[];
extern const size_t tab_dx_len;
int dx_find(const char *icd10);

struct usage {
    const char *code, *text;
    uint8_t times; /* per day */
};
extern const struct usage tab_usage[];
struct route {
    const char *code, *name;
};
extern const struct route tab_route[];
enum { RT_PO, RT_AP, RT_IH, RT_RE, RT_IV, RT_SC, RT_IM, RT_OPH };
struct drug {
    const char *hot, *name;
    const char *unit_code, *unit_name; /* RXE-5 */
    const char *form_code, *form_name; /* RXE-6, may be NULL */
    uint16_t dose10;                   /* dose per time in tenths: 10 = "1" */
    uint8_t usage, route;
};
extern const struct drug tab_drug[];
extern const size_t tab_drug_len;
int drug_find(const char *name_prefix);

struct injection {
    const char *hot, *name, *unit_code, *unit_name;
    uint16_t amount;      /* RXE-3 */
    uint8_t route;        /* RT_IV ... */
    uint8_t hours;        /* running time per day */
    const char *additive; /* drug mixed in (RXC), or NULL */
    const char *additive_hot;
};
extern const struct injection tab_inj[];
extern const size_t tab_inj_len;

enum spec { SP_SERUM, SP_BLOOD, SP_PLASMA, SP_URINE, SP_COUNT };
struct spec_info {
    const char *code, *name; /* JC10 material */
};
extern const struct spec_info tab_spec[SP_COUNT];
struct labtest {
    const char *code, *name, *local, *unit; /* JLAC10 17, display name, local code, unit */
    uint8_t spec, dec;                      /* specimen, decimals */
    int32_t lo[2], hi[2];                   /* reference range per sex (scaled by dec) */
    int32_t mean[2], sd;                    /* population (scaled) */
    bool qualitative;                       /* ST: (-) (+-) (+) (2+) */
};
extern const struct labtest tab_lab[];
extern const size_t tab_lab_len;
int lab_find(const char *code);

struct diet {
    const char *code, *name;
};
extern const struct diet tab_diet[];
extern const size_t tab_diet_len;
extern const char *const tab_diet_comment[5]; /* [0] is "" */
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
extern const struct exam tab_exam[];
extern const size_t tab_exam_len;
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
extern const struct allergen tab_allergen[];
extern const size_t tab_allergen_len;
extern const char *const tab_reaction[];
extern const size_t tab_reaction_len;
struct severity {
    const char *code, *name;
};
extern const struct severity tab_severity[3];

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
extern const struct reason tab_reason[];
extern const size_t tab_reason_len;

/* chronic conditions a person may carry, with what is prescribed and drawn for them */
struct condition {
    const char *icd10;
    uint8_t age_lo, sex;     /* sex: 0 any, 1 M, 2 F */
    uint16_t pm_old, pm_mid; /* per mille, age >= 65 / age_lo..64 */
    const char *drug1, *drug2;
    const char *labs; /* extra lab codes, comma separated, or NULL */
};
extern const struct condition tab_condition[];
extern const size_t tab_condition_len;

struct acute {
    const char *icd10;
    uint8_t age_lo, age_hi;
    uint16_t w;
    const char *drug1, *drug2;
    uint8_t days;
    bool labs, xray;
};
extern const struct acute tab_acute[];
extern const size_t tab_acute_len;

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

enum cv_err people_make(struct synth *s);
enum cv_err make_wards(struct synth *s);
enum cv_err make_doctors(struct synth *s, struct rng *r);
enum cv_err hospital_make(struct synth *s);
void hospital_free(struct hospital *h);
const struct stay *patient_stays(const struct synth *s, uint32_t patient, size_t *n);
int age_at(int32_t birth, int32_t day);

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
extern const char *const dtype_name[T_COUNT];
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
    M_COUNT
};
struct msg_info {
    const char *type; /* MSH-9 */
    uint8_t dtype;
};
extern const struct msg_info tab_msg[M_COUNT];
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
unsigned rx_dispense10(const struct rx *rx, const struct rxline *l);
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
    int16_t acute; /* tab_acute index, -1 for a chronic follow-up */
    int16_t diag;  /* the diagnosis it added, or -1 */
};
struct ppr {
    int64_t t;
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
    enum cv_err err; /* first allocation failure while planning */
};

void move_house(struct rng *r, struct demo *d);
/* "静岡県静岡市駿河区登呂１−３−５　グランドハイツ３０２" */
void address_text(const struct demo *d, char *buf, size_t n);
void patient_reset(struct patient *p);
void patient_free(struct patient *p);
enum cv_err care_plan(struct synth *s, struct patient *p, uint32_t idx);
/* The stay (or -1) and bed (or -1) the patient holds at minute t. */
int32_t patient_bed_at(const struct synth *s, const struct patient *p, int64_t t, int32_t *stay);
/* The demographics version in force at minute t. */
const struct demo *demo_at(const struct patient *p, int64_t t);
/* Diagnoses: on the list written at t, active at t, and the main one at t (-1: none). */
bool diag_listed(const struct diag *g, int64_t t);
bool diag_active(const struct diag *g, int64_t t);
int diag_main(const struct synth *s, const struct patient *p, int64_t t);
/* Lab result text as written in OBX-5, and its H/L flag (0 none). */
void lab_value_text(const struct labtest *lt, int32_t v, char *buf, size_t n);
char lab_flag(const struct labtest *lt, int sex, int32_t v);
extern const struct relation tab_relation[];

/* ---- msg_*.c: HL7 rendering ---------------------------------------------------------- */
void msg_render(const struct synth *s, const struct patient *p, const struct ev *e, struct out *o);
void doctor_name(const struct synth *s, uint16_t doctor, char *buf, size_t n);
void dose_text(unsigned dose10, char *buf, size_t n);         /* RXE-3 as written: "1", "0.5" */
void diet_text(const struct dietord *d, char *buf, size_t n); /* ODS-4 */

/* ---- tree.c: files and folders --------------------------------------------------------- */
struct tree;
enum cv_err tree_open(const char *root, struct tree **out);
/* Write every event of `p` (rendering each into `o`) under its folders. */
enum cv_err tree_write_patient(struct tree *t, struct synth *s, const struct patient *p,
                               struct out *o);
enum cv_err tree_finish(struct tree *t, bool sync);
void tree_close(struct tree *t);
void file_name(const struct patient *p, const struct ev *e, char *buf, size_t n);
void mtime_of(int64_t ms, struct timespec ts[2]);

/* ---- manifest.c ------------------------------------------------------------------------ */
struct manifest;
enum cv_err manifest_open(struct synth *s, const char *path, struct manifest **out);
enum cv_err manifest_patient(struct manifest *m, struct synth *s, const struct patient *p);
/* Join everything into the manifest file, atomically (rename), only when all went well. */
enum cv_err manifest_finish(struct manifest *m, struct synth *s);
/* Free, removing the side file and any temporary (a finished manifest stays). */
void manifest_free(struct manifest *m);
/* Where the patient is at the end (bed index or -1), by the CURRENT-STATE rules. */
int32_t final_bed(const struct synth *s, const struct patient *p, const struct ev **set_by);

#endif
