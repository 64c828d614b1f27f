/*
 * barcode.c: the patient ID as Code 128 and as QR, for ward scanners, through libzint (which
 * picks the Code 128 code sets and the QR version and mask). Only the module matrix is taken
 * from zint; doc.c draws it as vector rectangles at a module size the labels choose (at
 * least 0.85 pt), so print resolution never rounds a module away.
 */
#include "print_int.h"

#include <string.h>
#include <zint.h>

#define DATA_MAX 64 /* a patient ID is at most a few dozen characters */

static bool module_set(const struct zint_symbol *s, int row, int col)
{
    return (s->encoded_data[row][col >> 3] >> (col & 7)) & 1;
}

static enum cv_err encode(int symbology, const char *data, struct pr_modules *m)
{
    struct zint_symbol *s;
    size_t n = strlen(data);
    int rc;

    memset(m, 0, sizeof(*m));
    if (n == 0 || n > DATA_MAX)
        return cv_fail(CV_EINVAL, "a barcode holds 1 to %d characters, not %zu", DATA_MAX, n);
    s = ZBarcode_Create();
    if (!s)
        return cv_fail(CV_ENOMEM, "out of memory (zint)");
    s->symbology = symbology;
    s->input_mode = DATA_MODE;
    if (symbology == BARCODE_QRCODE)
        s->option_1 = 2; /* error correction M */
    rc = ZBarcode_Encode(s, (const unsigned char *)data, (int)n);
    if (rc >= ZINT_ERROR) {
        enum cv_err err = cv_fail(CV_EINVAL, "cannot encode the barcode: %s", s->errtxt);

        ZBarcode_Delete(s);
        return err;
    }
    m->rows = symbology == BARCODE_QRCODE ? s->rows : 1;
    m->cols = s->width;
    m->dark = cv_calloc((size_t)m->rows * (size_t)m->cols, 1);
    if (!m->dark) {
        ZBarcode_Delete(s);
        return cv_fail(CV_ENOMEM, "out of memory");
    }
    for (int r = 0; r < m->rows; r++)
        for (int c = 0; c < m->cols; c++)
            m->dark[r * m->cols + c] = module_set(s, r, c);
    ZBarcode_Delete(s);
    return CV_OK;
}

enum cv_err pr_code128(const char *data, struct pr_modules *m)
{
    return encode(BARCODE_CODE128, data, m);
}

enum cv_err pr_qr(const char *data, struct pr_modules *m)
{
    return encode(BARCODE_QRCODE, data, m);
}

void pr_modules_free(struct pr_modules *m)
{
    cv_free(m->dark);
    m->dark = NULL;
}
