/* page_stub.c: placeholders for the data pages until the index API lands. */
#include "web_internal.h"

#include <microhttpd.h>

void web_page_search(struct web_req *r)
{
    const char *q = web_form_get(&r->query, "q");

    if (!web_audit(r, "search", "ok", NULL, q))
        return;
    html_message_page(r, MHD_HTTP_SERVICE_UNAVAILABLE, M_NO_DATA, NULL);
}

void web_page_patient(struct web_req *r, const char *id, bool print)
{
    if (!web_audit(r, print ? "print" : "view", "ok", id, NULL))
        return;
    html_message_page(r, MHD_HTTP_NOT_FOUND, M_NO_PATIENT, id);
}

void web_page_wards(struct web_req *r)
{
    html_message_page(r, MHD_HTTP_SERVICE_UNAVAILABLE, M_NO_DATA, NULL);
}

void web_page_ward(struct web_req *r, const char *ward, bool beds)
{
    (void)beds;
    html_message_page(r, MHD_HTTP_NOT_FOUND, M_NO_WARD, ward);
}

void web_ward_buttons(struct web_req *r)
{
    html(r, "<p>%s</p>", T(r, M_NO_WARDS));
}
