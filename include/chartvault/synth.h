/*
 * chartvault/synth.h: a synthetic general hospital written as an SS-MIX2 standardized
 * storage, for tests, benchmarks and demos. Same options -> byte-identical tree (names,
 * contents, modification times), whatever the machine's locale, clock or directory order.
 * docs/SYNTH.md describes what is generated; docs/CURRENT-STATE.md the manifest.
 */
#ifndef CHARTVAULT_SYNTH_H
#define CHARTVAULT_SYNTH_H

#include <chartvault/common.h>

#define CV_SYNTH_MAX_PATIENTS 2000000L
#define CV_SYNTH_MAX_YEARS    30
#define CV_SYNTH_DEFAULT_END  "2026-11-01"
#define CV_SYNTH_DEFAULT_FAC  "1234567890"

struct cv_synth_options {
    const char *out_dir;       /* [in] storage root; must be missing or an empty folder */
    const char *manifest_path; /* [in] JSON ground truth, or NULL for none */
    const char *facility;      /* [in] facility ID for MSH-4, 1-20 letters/digits; NULL: default */
    uint64_t seed;
    long patients;           /* 1 .. CV_SYNTH_MAX_PATIENTS */
    int years;               /* 1 .. CV_SYNTH_MAX_YEARS of care ending on end_date */
    long end_date;           /* days since 1970-01-01 (cv_parse_date) */
    bool sync;               /* syncfs() the tree before reporting success */
    cv_progress_fn progress; /* optional; called after each patient */
    void *progress_arg;
};

struct cv_synth_stats {
    uint64_t files; /* SS-MIX2 files written (the manifest not counted) */
    uint64_t bytes; /* their total size */
    uint64_t patients;
    double seconds; /* wall time of the whole run */
};

/* Fill `opt` with the defaults: 2 years ending CV_SYNTH_DEFAULT_END, seed 1, facility
 * CV_SYNTH_DEFAULT_FAC, sync on. out_dir and patients stay to be set. */
void cv_synth_options_default(struct cv_synth_options *opt);

/* Write the hospital. Refuses an existing non-empty out_dir (CV_EEXIST). On failure the
 * message names the problem and says the tree is incomplete; the manifest is only created
 * (atomically) when everything else succeeded. `stats` [out] may be NULL. */
enum cv_err cv_synth_run(const struct cv_synth_options *opt, struct cv_synth_stats *stats);

#endif
