/*
 * hl7_internal.h: the inside of struct cv_hl7_msg, shared by the files of src/hl7/: where each
 * segment and field starts in the raw bytes, the delimiters, the decoder and the string arena.
 */
#ifndef CV_HL7_INTERNAL_H
#define CV_HL7_INTERNAL_H

#include <chartvault/hl7.h>

#include <iconv.h>

#define HL7_ESC         0x1B
#define HL7_MAX_WARN    8
#define HL7_WARN_LEN    120
#define HL7_ARENA_BLOCK 8192

struct hl7_seg {
    uint32_t start;       /* offset of the segment ID */
    uint32_t end;         /* offset just past the last byte of the segment */
    uint32_t first_field; /* index into fstart of field 1 */
    uint32_t nfields;     /* fields present (1..nfields) */
    char id[4];
};

struct hl7_block {
    struct hl7_block *next;
    size_t used, size;
    char data[];
};

struct cv_hl7_msg {
    const char *data;
    size_t len;
    struct cv_hl7_limits lim;
    enum cv_hl7_charset charset;
    bool has_esc;         /* any ESC byte: splitting must track shift states */
    bool charset_unknown; /* MSH-18 names something else than ISO IR87 / UTF-8 / ASCII */
    char delims[6];

    struct hl7_seg *segs;
    size_t nseg, segcap;
    uint32_t *fstart; /* start offset of every field of every segment */
    size_t nf, fcap;

    char warnings[HL7_MAX_WARN][HL7_WARN_LEN];
    size_t nwarn;

    struct hl7_block *arena;
    struct cv_buf scratch, scratch2;
    iconv_t cd;
    bool cd_open;
    bool oom;
};

/* Delimiter roles in delims[]. */
enum { D_FIELD, D_COMP, D_REP, D_ESCAPE, D_SUB };

void hl7_warn(struct cv_hl7_msg *m, const char *fmt, ...) CV_PRINTF(2, 3);
/* Length of the ISO-2022-JP escape sequence at p (3 or 4), with the state it selects; 0 if
 * unknown. States: 0 single-byte (ASCII, JIS-Roman), 1 double-byte, 2 half-width kana. */
size_t hl7_escape_len(const char *p, size_t n, int *state);
/* Offset of the first `delim` outside multibyte runs in p[0..n), or n. */
size_t hl7_find_delim(const struct cv_hl7_msg *m, const char *p, size_t n, char delim);
/* Copy n bytes plus NUL into the arena; NULL (and m->oom) when out of memory. */
char *hl7_arena_dup(struct cv_hl7_msg *m, const char *p, size_t n);
void hl7_arena_reset(struct cv_hl7_msg *m);
void hl7_arena_free(struct cv_hl7_msg *m);

#endif
