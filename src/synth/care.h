/*
 * care.h: helpers shared by the files that plan one patient's care (care.c for the person
 * and the event list, care_stay.c for stays, care_visit.c for clinic visits, care_reg.c
 * for registration, updates, allergies and the diagnosis list).
 */
#ifndef CHARTVAULT_SYNTH_CARE_H
#define CHARTVAULT_SYNTH_CARE_H

#include "synth_internal.h"

/* lab tests, in tab_lab order */
enum {
    L_TP,
    L_ALB,
    L_TBIL,
    L_AST,
    L_ALT,
    L_LD,
    L_ALP,
    L_GGT,
    L_CK,
    L_BUN,
    L_CRE,
    L_UA,
    L_NA,
    L_K,
    L_CL,
    L_CRP,
    L_TC,
    L_TG,
    L_HDL,
    L_LDL,
    L_NTBNP,
    L_GLU,
    L_HBA1C,
    L_WBC,
    L_RBC,
    L_HB,
    L_HT,
    L_PLT,
    L_UPRO,
    L_UGLU,
    L_COUNT
};

void *push_(void **v, size_t *n, size_t *cap, size_t size, enum cv_err *err);
#define PUSH(p, arr)                                                                               \
    ((__typeof__((arr).v))push_((void **)&(arr).v, &(arr).n, &(arr).cap, sizeof(*(arr).v),         \
                                &(p)->err))

/* Add an event at clinical minute t; returns its index, or -1 when it falls after the end
 * of the window (it never happened) or memory ran out. */
int ev_add(struct synth *s, struct patient *p, int64_t t, int type, int msg, int dept, int32_t ref,
           int32_t care_day);
/* `newer` replaces `older` (same order): older becomes _2. */
void ev_supersede(struct patient *p, int older, int newer);
/* `cancel` cancels `orig`: both become _0. */
void ev_cancel(struct patient *p, int orig, int cancel);
void order_number(struct patient *p, int32_t day, char out[16]);
uint16_t dept_doctor(const struct synth *s, struct patient *p, int dept);
bool has_condition(const struct patient *p, const char *icd10);
int64_t last_minute(const struct synth *s);

/* orders */
int rx_add(struct synth *s, struct patient *p, struct rx *proto, int *ev_out);
int lab_add(struct synth *s, struct patient *p, struct lab *proto, const uint8_t *tests,
            size_t ntests, int acute_crp, int acute_wbc);
int rad_add(struct synth *s, struct patient *p, struct rad *proto, int64_t reported);
int diag_add(struct synth *s, struct patient *p, int dx, int dept, char inout, int64_t t,
             int32_t onset, uint16_t doctor);

void plan_person(struct synth *s, struct patient *p);
void plan_stays(struct synth *s, struct patient *p);
void plan_visits(struct synth *s, struct patient *p);
void plan_registration(struct synth *s, struct patient *p);
void plan_diagnosis_list(struct synth *s, struct patient *p);

#endif
