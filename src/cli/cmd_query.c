/*
 * cmd_query.c: `chartvault query --db FILE ...`: read the reference index from the command
 * line: one patient's summary, a search, the ward census, the bed map, the wards, the files
 * that were rejected, and the index's data time. Text for people, --json for machines.
 */
#include "cli.h"

#include <chartvault/index.h>

#include <getopt.h>
#include <string.h>

static const char usage[] =
    "usage: chartvault query --db FILE [--json] [--as-of YYYY-MM-DD] [--recent-days N] QUERY\n"
    "\n"
    "QUERY is one of:\n"
    "  patient ID [ID...]    one patient's summary (unknown patient: exit 1); with several\n"
    "                        IDs, one JSON object per line\n"
    "  search TEXT [--limit N]\n"
    "                        patients by ID prefix, kanji or kana name (full or half width,\n"
    "                        with or without the space) or birth date (YYYY-MM-DD, YYYYMMDD)\n"
    "  ward [WARD]           the census: who is in which bed, sorted by ward, room, bed\n"
    "  wards                 every ward with its beds and how many are occupied\n"
    "  beds WARD             the bed map of a ward, empty beds included\n"
    "  rejected              files the index refused, with the reason\n"
    "  file REF              the path behind \"<file REF>\" in a log line or alert (the daemon\n"
    "                        logs paths without the patient; unknown REF: exit 1)\n"
    "  info                  data time, source and counts\n"
    "\n"
    "  --as-of DATE          judge current medications and ages on DATE (default: today at the\n"
    "                        facility, in $CHARTVAULT_TIMEZONE, Asia/Tokyo unless set)\n"
    "  --recent-days N       list medications that ended in the N days before it, and those\n"
    "                        that start in the N days after it (default 30)\n";

struct query {
    struct cv_index *idx;
    bool json;
    const char *as_of;
    long limit, recent_days;
    struct cv_json j;
    struct cv_buf out;
    int rows;
};

/* Terminal columns of UTF-8 text: East Asian wide characters count two. */
static int text_width(const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    int w = 0;

    while (*p) {
        unsigned cp;
        int len = *p < 0x80 ? 1 : *p < 0xE0 ? 2 : *p < 0xF0 ? 3 : 4;

        if (len == 3 && p[1] && p[2]) {
            cp = (unsigned)(p[0] & 0x0F) << 12 | (unsigned)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
            w += (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                         (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                         (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                         (cp >= 0xFFE0 && cp <= 0xFFE6)
                     ? 2
                     : 1;
        } else {
            w += len == 4 ? 2 : 1;
        }
        for (int i = 0; i < len && *p; i++)
            p++;
    }
    return w;
}

static void cell(const char *s, int width)
{
    const char *t = s ? s : "-";

    fputs(t, stdout);
    for (int pad = width - text_width(t); pad > 0; pad--)
        putchar(' ');
    putchar(' ');
}

static const char *or_dash(const char *s)
{
    return s ? s : "-";
}

/* "family given" into buf. */
static const char *full_name(const char *family, const char *given, char *buf, size_t n)
{
    if (!family && !given)
        return "-";
    snprintf(buf, n, "%s%s%s", family ? family : "", family && given ? " " : "",
             given ? given : "");
    return buf;
}

/* ---- patient ----------------------------------------------------------------------------- */

static void print_list(const char *label, char *const *v, size_t n)
{
    printf("%-12s", label);
    for (size_t i = 0; i < n; i++)
        printf("%s%s", i ? ", " : "", v[i]);
    printf("%s\n", n ? "" : "-");
}

static void print_head(const struct cv_patient *p)
{
    char n1[256], n2[256];

    printf("%s  %s (%s)\n", p->id, full_name(p->name.family, p->name.given, n1, sizeof(n1)),
           full_name(p->kana.family, p->kana.given, n2, sizeof(n2)));
    if (p->demographics_source && strcmp(p->demographics_source, "PID") == 0)
        printf("%-12s%s\n", "unconfirmed",
               "no registration record (ADT-00): name, birth date and sex are from the newest "
               "PID of another message");
    printf("%-12s%s  sex %s  blood ", "born", or_dash(p->birth_date), or_dash(p->sex));
    if (p->blood_type || p->rh)
        printf("%s%s%s%s\n", p->blood_type ? p->blood_type : "(ABO not recorded)",
               p->rh ? " Rh" : "", p->rh ? p->rh : "", p->rh ? "" : " (Rh not recorded)");
    else
        printf("not recorded\n");
    if (p->postcode || p->address)
        printf("%-12s%s%s %s\n", "address", p->postcode ? "〒" : "", p->postcode ? p->postcode : "",
               or_dash(p->address));
    print_list("phones", p->phones, p->nphones);
    for (size_t i = 0; i < p->ncontacts; i++) {
        printf("%-12s%s (%s) ", i ? "" : "contacts", or_dash(p->contacts[i].name),
               or_dash(p->contacts[i].relationship));
        for (size_t k = 0; k < p->contacts[i].nphones; k++)
            printf("%s%s", k ? ", " : "", p->contacts[i].phones[k]);
        putchar('\n');
    }
}

static void print_diagnoses(const char *label, const struct cv_diagnosis *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct cv_diagnosis *d = &v[i];
        bool odd = d->confirmation && !d->suspected && strcmp(d->confirmation, "0") != 0;

        printf("%-12s%s%s %s  onset %s", i ? "" : label, d->suspected ? "(suspected) " : "",
               or_dash(d->name), or_dash(d->icd10), or_dash(d->onset));
        if (d->start)
            printf("  from %s", d->start);
        if (d->end)
            printf("  to %s", d->end);
        printf("%s", d->main ? "  (main)" : "");
        if (odd)
            printf("  (confirmation '%s')", d->confirmation);
        putchar('\n');
    }
}

static void print_clinical(const struct cv_patient *p)
{
    if (!p->allergies_recorded)
        printf("%-12s%s\n", "allergies", "none recorded (not confirmed)");
    for (size_t i = 0; i < p->nallergies; i++)
        printf("%-12s%s %s%s%s%s%s\n", i ? "" : "allergies", or_dash(p->allergies[i].type),
               or_dash(p->allergies[i].allergen), p->allergies[i].severity ? "  severity " : "",
               p->allergies[i].severity ? p->allergies[i].severity : "",
               p->allergies[i].reaction ? "  " : "",
               p->allergies[i].reaction ? p->allergies[i].reaction : "");
    print_diagnoses("diagnoses", p->diagnoses, p->ndiagnoses);
    if (p->nolder_diagnoses)
        printf("%-12s%s\n", "older",
               "diagnoses found only in older diagnosis files (PPR-01), not in the newest:");
    print_diagnoses("", p->older_diagnoses, p->nolder_diagnoses);
    if (p->location)
        printf("%-12sward %s room %s bed %s since %s, attending %s\n", "location",
               or_dash(p->location->ward), or_dash(p->location->room), or_dash(p->location->bed),
               or_dash(p->location->admitted), or_dash(p->attending));
    else
        printf("%-12snot admitted\n", "location");
}

/* One order per line: what (an injection's components with their amounts), how much, how,
 * when. */
static void print_med(const char *label, const struct cv_medication *m)
{
    const char *how[] = {m->route, m->rate, m->instructions, m->usage};

    printf("%-12s%s %s", label, m->kind, or_dash(m->components ? m->components : m->drug));
    printf("  %s %s", or_dash(m->dose), m->unit ? m->unit : "");
    for (size_t i = 0; i < CV_ARRAY_LEN(how); i++)
        if (how[i])
            printf("  %s", how[i]);
    if (m->order_type)
        printf("  (%s)", m->order_type);
    if (m->start_time || m->end_time)
        printf("  %s to %s", or_dash(m->start_time), or_dash(m->end_time));
    else
        printf("  from %s", or_dash(m->start));
    if (m->days >= 0)
        printf(" for %d days", m->days);
    else if (m->end && !m->end_time)
        printf(" to %s", m->end);
    putchar('\n');
}

static void print_culture(const struct cv_culture *c, bool first)
{
    printf("%-12s%s %s%s%s\n", first ? "cultures" : "", or_dash(c->time), or_dash(c->test),
           c->specimen ? "  specimen " : "", c->specimen ? c->specimen : "");
    for (size_t i = 0; i < c->nresults; i++)
        printf("%-14s%s %s%s%s\n", "", or_dash(c->results[i].name), or_dash(c->results[i].value),
               c->results[i].unit ? " " : "", c->results[i].unit ? c->results[i].unit : "");
    for (size_t i = 0; i < c->norganisms; i++) {
        const struct cv_organism *o = &c->organisms[i];

        printf("%-14s%s) %s", "", o->group, or_dash(o->organism));
        for (size_t k = 0; k < o->ndetails; k++)
            printf("  %s %s", or_dash(o->details[k].name), or_dash(o->details[k].value));
        putchar('\n');
        for (size_t k = 0; k < o->nsusceptibility; k++) {
            const struct cv_result *r = &o->susceptibility[k];

            printf("%-18s%s %s%s%s  %s\n", "", or_dash(r->name ? r->name : r->code),
                   or_dash(r->value), r->unit ? " " : "", r->unit ? r->unit : "", or_dash(r->flag));
        }
    }
    for (size_t i = 0; i < c->nearlier; i++) {
        printf("%-14searlier %s:", "", or_dash(c->earlier[i].time));
        for (size_t k = 0; k < c->earlier[i].norganisms; k++)
            printf(" %s", or_dash(c->earlier[i].organisms[k].organism));
        putchar('\n');
    }
}

static void print_orders(const struct cv_patient *p)
{
    size_t shown = 0;

    if (p->nmedications == 0 && p->nrecent_medications == 0 && p->nupcoming_medications == 0)
        printf("%-12sno orders on record in the last %d days (to %s)\n", "medications",
               p->recent_days, p->as_of);
    else
        printf("%-12s(current on %s)%s\n", "medications", p->as_of, p->nmedications ? "" : " none");
    for (size_t i = 0; i < p->nmedications; i++)
        print_med("", &p->medications[i]);
    if (p->nupcoming_medications)
        printf("%-12s(starting in the next %d days)\n", "upcoming", p->recent_days);
    for (size_t i = 0; i < p->nupcoming_medications; i++)
        print_med("", &p->upcoming_medications[i]);
    if (p->nrecent_medications)
        printf("%-12s(ended in the last %d days)\n", "recent", p->recent_days);
    for (size_t i = 0; i < p->nrecent_medications; i++)
        print_med("", &p->recent_medications[i]);
    for (size_t i = 0; i < p->nmedication_history && shown < 5; i++) { /* before those */
        const struct cv_medication *m = &p->medication_history[i];
        long end, since;

        if (m->current || !m->end || strcmp(m->start ? m->start : "", p->as_of) > 0 ||
            cv_parse_date(m->end, &end) || cv_parse_date(p->as_of, &since) ||
            end >= since - p->recent_days)
            continue;
        print_med(shown++ ? "" : "earlier", m);
    }
    for (size_t i = 0; i < p->nlabs; i++) {
        const struct cv_lab *l = &p->labs[i].results[0];

        printf("%-12s%s %s %s  (%s)%s%s  %s\n", i ? "" : "labs", or_dash(l->name),
               or_dash(l->value), l->unit ? l->unit : "", or_dash(l->range), l->flag ? " " : "",
               l->flag ? l->flag : "", or_dash(l->time));
    }
    for (size_t i = 0; i < p->ncultures; i++)
        print_culture(&p->cultures[i], i == 0);
    for (size_t i = 0; i < p->ndiet; i++)
        printf("%-12s%s  from %s\n", i ? "" : "diet", or_dash(p->diet[i].text),
               or_dash(p->diet[i].start));
    for (size_t i = 0; i < p->nreports; i++)
        printf("%-12s%s %s  %s\n", i ? "" : "reports", or_dash(p->reports[i].time),
               p->reports[i].kind, or_dash(p->reports[i].text));
    for (size_t i = 0; i < p->norders && i < 5; i++)
        printf("%-12s%s %s %s\n", i ? "" : "orders", or_dash(p->orders[i].time), p->orders[i].kind,
               or_dash(p->orders[i].name));
    if (p->pid3_mismatch)
        printf("%-12s%s\n", "note", "some messages carry another patient ID in PID-3");
}

static int query_patient(struct query *q, const char *id)
{
    struct cv_patient *p;
    enum cv_err err = cv_index_patient_recent(q->idx, id, q->as_of, (int)q->recent_days, &p);
    int rc = CLI_EXIT_OK;

    if (err)
        return cli_fail("query", err);
    if (q->json) {
        cv_buf_reset(&q->out);
        cv_json_init(&q->j, &q->out, false);
        cv_patient_to_json(p, &q->j);
        rc = cli_print_json("query", &q->j);
    } else {
        print_head(p);
        print_clinical(p);
        print_orders(p);
    }
    cv_patient_free(p);
    return rc;
}

/* Several patients: one JSON object per line (or one text block each). */
static int query_patients(struct query *q, int n, char **ids)
{
    int rc = CLI_EXIT_OK;

    for (int i = 0; i < n; i++) {
        if (!q->json && i)
            putchar('\n');
        if (query_patient(q, ids[i]) != CLI_EXIT_OK)
            rc = CLI_EXIT_FAIL;
    }
    return rc;
}

/* ---- lists ------------------------------------------------------------------------------- */

static void hit_row(const struct cv_index_hit *h, void *arg)
{
    struct query *q = arg;
    char n1[256], n2[256];

    q->rows++;
    if (q->json) {
        cv_json_object_begin(&q->j);
        cv_json_kv_string(&q->j, "id", h->id);
        cv_json_key(&q->j, "name");
        cv_json_object_begin(&q->j);
        cv_json_kv_string(&q->j, "family", h->family);
        cv_json_kv_string(&q->j, "given", h->given);
        cv_json_object_end(&q->j);
        cv_json_key(&q->j, "kana");
        cv_json_object_begin(&q->j);
        cv_json_kv_string(&q->j, "family", h->kana_family);
        cv_json_kv_string(&q->j, "given", h->kana_given);
        cv_json_object_end(&q->j);
        cv_json_kv_string(&q->j, "birth_date", h->birth_date);
        cv_json_kv_string(&q->j, "sex", h->sex);
        cv_json_object_end(&q->j);
        return;
    }
    cell(h->id, 16);
    cell(full_name(h->family, h->given, n1, sizeof(n1)), 16);
    cell(full_name(h->kana_family, h->kana_given, n2, sizeof(n2)), 20);
    cell(h->birth_date, 10);
    cell(h->sex, 1);
    putchar('\n');
}

static void census_row(const struct cv_census_row *r, void *arg)
{
    struct query *q = arg;
    char n1[256], n2[256];

    if (q->rows == 1) {
        printf("ward room bed  id               name             kana                 "
               "sex age admitted         attending      allergies\n");
    }
    cell(r->ward, 4);
    cell(r->room, 4);
    cell(r->bed, 4);
    cell(r->id, 16);
    cell(full_name(r->family, r->given, n1, sizeof(n1)), 16);
    cell(full_name(r->kana_family, r->kana_given, n2, sizeof(n2)), 20);
    cell(r->sex, 3);
    printf("%-3d ", r->age);
    cell(r->admitted, 16);
    cell(r->attending, 14);
    printf("%s\n", r->allergies_recorded ? "recorded" : "none recorded");
}

/* cv_census_row names are separate; build "family given" before the JSON writer needs it. */
static void census_json_row(const struct cv_census_row *r, void *arg)
{
    char n1[256], n2[256];
    struct cv_census_row copy = *r;

    full_name(r->family, r->given, n1, sizeof(n1));
    full_name(r->kana_family, r->kana_given, n2, sizeof(n2));
    copy.family = r->family || r->given ? n1 : NULL;
    copy.given = NULL;
    copy.kana_family = r->kana_family || r->kana_given ? n2 : NULL;
    copy.kana_given = NULL;
    if (((struct query *)arg)->json) {
        struct query *q = arg;

        cv_json_object_begin(&q->j);
        cv_json_kv_string(&q->j, "ward", r->ward);
        cv_json_kv_string(&q->j, "room", r->room);
        cv_json_kv_string(&q->j, "bed", r->bed);
        cv_json_kv_string(&q->j, "id", r->id);
        cv_json_kv_string(&q->j, "name", copy.family);
        cv_json_kv_string(&q->j, "kana", copy.kana_family);
        cv_json_kv_string(&q->j, "sex", r->sex);
        cv_json_key(&q->j, "age");
        if (r->age < 0)
            cv_json_null(&q->j);
        else
            cv_json_int(&q->j, r->age);
        cv_json_kv_string(&q->j, "admitted", r->admitted);
        cv_json_kv_string(&q->j, "attending", r->attending);
        cv_json_kv_string(&q->j, "allergy_status",
                          r->allergies_recorded ? "recorded" : "none_recorded");
        cv_json_object_end(&q->j);
        return;
    }
    ((struct query *)arg)->rows++;
    census_row(r, arg);
}

static void ward_row(const struct cv_ward *w, void *arg)
{
    struct query *q = arg;

    q->rows++;
    if (q->json) {
        cv_json_object_begin(&q->j);
        cv_json_kv_string(&q->j, "ward", w->ward);
        cv_json_kv_int(&q->j, "beds", w->beds);
        cv_json_kv_int(&q->j, "occupied", w->occupied);
        cv_json_object_end(&q->j);
        return;
    }
    printf("%-6s %4lld beds %4lld occupied\n", w->ward, w->beds, w->occupied);
}

static void bed_row(const struct cv_bed *b, void *arg)
{
    struct query *q = arg;
    const struct cv_census_row *o = b->occupant;
    char n1[256];

    q->rows++;
    if (q->json) {
        cv_json_object_begin(&q->j);
        cv_json_kv_string(&q->j, "room", b->room);
        cv_json_kv_string(&q->j, "bed", b->bed);
        cv_json_kv_string(&q->j, "id", o ? o->id : NULL);
        cv_json_kv_string(
            &q->j, "name",
            o && (o->family || o->given) ? full_name(o->family, o->given, n1, sizeof(n1)) : NULL);
        cv_json_kv_string(&q->j, "sex", o ? o->sex : NULL);
        cv_json_key(&q->j, "age");
        if (o && o->age >= 0)
            cv_json_int(&q->j, o->age);
        else
            cv_json_null(&q->j);
        cv_json_kv_bool(&q->j, "allergies_recorded", o && o->allergies_recorded);
        cv_json_object_end(&q->j);
        return;
    }
    cell(b->room, 5);
    cell(b->bed, 3);
    if (!o) {
        printf("(empty)\n");
        return;
    }
    cell(o->id, 16);
    cell(full_name(o->family, o->given, n1, sizeof(n1)), 16);
    printf("%s %d%s\n", or_dash(o->sex), o->age, o->allergies_recorded ? "  allergy" : "");
}

static void rejected_row(const struct cv_index_file *f, void *arg)
{
    struct query *q = arg;

    q->rows++;
    if (q->json) {
        cv_json_object_begin(&q->j);
        cv_json_kv_string(&q->j, "path", f->path);
        cv_json_kv_string(&q->j, "reason", f->reason);
        cv_json_object_end(&q->j);
        return;
    }
    printf("%s\n    %s\n", f->path, or_dash(f->reason));
}

static void file_ref_row(const char *path, void *arg)
{
    struct query *q = arg;
    struct cv_buf safe = CV_BUF_INIT(8192);

    if (q->json)
        cv_json_string(&q->j, path);
    else
        printf("%s\n", cli_term(&safe, path));
    cv_buf_free(&safe);
}

static int query_file_ref(struct query *q, const char *ref)
{
    size_t found;
    enum cv_err err;

    if (strlen(ref) != CV_REDACT_REF_LEN || strspn(ref, "0123456789abcdefABCDEF") != strlen(ref))
        return cli_usage_error("query",
                               "a file reference is %d hex digits, as in '<file "
                               "0123456789>'",
                               CV_REDACT_REF_LEN);
    if (q->json)
        cv_json_array_begin(&q->j);
    err = cv_index_file_ref(q->idx, ref, file_ref_row, q, &found);
    if (err)
        return cli_fail("query", err);
    if (q->json) {
        cv_json_array_end(&q->j);
        if (cli_print_json("query", &q->j) != CLI_EXIT_OK)
            return CLI_EXIT_FAIL;
    }
    if (found == 0)
        return cli_failf("query", "no indexed file has the reference %s", ref);
    return CLI_EXIT_OK;
}

static int query_info(struct query *q)
{
    struct cv_index_info info;
    enum cv_err err = cv_index_info(q->idx, &info);

    if (err)
        return cli_fail("query", err);
    if (q->json) {
        cv_json_object_begin(&q->j);
        cv_json_kv_string(&q->j, "data_time", info.data_time[0] ? info.data_time : NULL);
        cv_json_kv_string(&q->j, "source", info.source[0] ? info.source : NULL);
        cv_json_kv_int(&q->j, "patients", info.patients);
        cv_json_kv_int(&q->j, "files", info.files);
        cv_json_kv_int(&q->j, "rejected", info.rejected);
        cv_json_kv_int(&q->j, "schema", info.schema_version);
        cv_json_object_end(&q->j);
        return cli_print_json("query", &q->j);
    }
    printf("data time  %s\nsource     %s\npatients   %lld\nfiles      %lld\nrejected   %lld\n",
           info.data_time[0] ? info.data_time : "(never indexed)", info.source, info.patients,
           info.files, info.rejected);
    return CLI_EXIT_OK;
}

/* Run a list query: JSON array or text rows. */
static int list_query(struct query *q, enum cv_err (*begin)(struct query *q))
{
    enum cv_err err;

    if (q->json)
        cv_json_array_begin(&q->j);
    err = begin(q);
    if (err)
        return cli_fail("query", err);
    if (q->json) {
        cv_json_array_end(&q->j);
        return cli_print_json("query", &q->j);
    }
    return CLI_EXIT_OK;
}

static const char *arg1;

static enum cv_err do_search(struct query *q)
{
    return cv_index_search(q->idx, arg1, (size_t)q->limit, hit_row, q);
}

static enum cv_err do_census(struct query *q)
{
    return cv_index_census(q->idx, arg1, q->as_of, census_json_row, q);
}

static enum cv_err do_wards(struct query *q)
{
    return cv_index_wards(q->idx, ward_row, q);
}

static enum cv_err do_beds(struct query *q)
{
    return cv_index_beds(q->idx, arg1, q->as_of, bed_row, q);
}

static enum cv_err do_rejected(struct query *q)
{
    return cv_index_rejected(q->idx, rejected_row, q);
}

static int dispatch(struct query *q, int n, char **args)
{
    const char *what = args[0];

    arg1 = n > 1 ? args[1] : NULL;
    if (strcmp(what, "patient") == 0 && n >= 2)
        return query_patients(q, n - 1, args + 1);
    if (strcmp(what, "search") == 0 && n == 2)
        return list_query(q, do_search);
    if (strcmp(what, "ward") == 0 && n <= 2)
        return list_query(q, do_census);
    if (strcmp(what, "wards") == 0 && n == 1)
        return list_query(q, do_wards);
    if (strcmp(what, "beds") == 0 && n == 2)
        return list_query(q, do_beds);
    if (strcmp(what, "rejected") == 0 && n == 1)
        return list_query(q, do_rejected);
    if (strcmp(what, "file") == 0 && n == 2)
        return query_file_ref(q, args[1]);
    if (strcmp(what, "info") == 0 && n == 1)
        return query_info(q);
    return cli_usage_error("query", "'%s' with %d argument(s) is not a query", what, n - 1);
}

static int run_query(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},
        {"as-of", required_argument, NULL, 'a'},
        {"limit", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {"recent-days", required_argument, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    struct query q = {.limit = 50, .recent_days = CV_RECENT_DAYS_DEFAULT};
    const char *dbpath = NULL;
    long days;
    enum cv_err err;
    int c, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'd')
            dbpath = optarg;
        else if (c == 'j')
            q.json = true;
        else if (c == 'a')
            q.as_of = optarg;
        else if (c == 'l' && cli_parse_long("--limit", optarg, 1, 10000, &q.limit))
            return cli_usage_error("query", "%s", cv_errmsg());
        else if (c == 'r' &&
                 cli_parse_long("--recent-days", optarg, 1, CV_RECENT_DAYS_MAX, &q.recent_days))
            return cli_usage_error("query", "%s", cv_errmsg());
        else if (c == 'h')
            return fputs(usage, stdout), CLI_EXIT_OK;
        else if (c != 'l' && c != 'r')
            return cli_usage_error("query", "unknown option");
    }
    if (!dbpath)
        return cli_usage_error("query", "--db is required");
    if (optind >= argc)
        return cli_usage_error("query", "say what to query (patient, search, ward, ...)");
    if (q.as_of && cv_parse_date(q.as_of, &days))
        return cli_usage_error("query", "%s", cv_errmsg());
    err = cv_index_open(dbpath, CV_INDEX_READONLY, &q.idx);
    if (err)
        return cli_fail("query", err);
    cv_buf_init(&q.out, (size_t)1 << 30);
    cv_json_init(&q.j, &q.out, false);
    rc = dispatch(&q, argc - optind, argv + optind);
    cv_buf_free(&q.out);
    cv_index_close(q.idx);
    return rc;
}

const struct cli_command cli_cmd_query = {
    .name = "query",
    .section = CLI_DATA,
    .summary = "look up patients, wards and rejected files in the reference index",
    .run = run_query,
};
