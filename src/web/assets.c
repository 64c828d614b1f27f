/*
 * assets.c: the viewer's stylesheet and script, compiled into the binary so the viewer is
 * one file and the Content-Security-Policy can forbid every inline style and script. Sized
 * for a tablet in a hurry: big type, big touch targets, an allergy box nobody can miss, and
 * an A4 print layout with the print and data times in the footer.
 */
#include "web_internal.h"

#include <string.h>

static const char viewer_css[] =
    ":root{--ink:#1a1a1a;--muted:#555;--line:#c8c8c8;--bg:#fafafa;--accent:#0b5cad;"
    "--alert:#b00020;--alertbg:#fde8ea;--ok:#1b6e2a}\n"
    "*{box-sizing:border-box}\n"
    "html{font-size:18px}\n"
    "body{margin:0;font-family:\"Hiragino Sans\",\"Noto Sans CJK JP\",\"IPAGothic\","
    "\"IPAPGothic\",\"Yu Gothic\",Meiryo,sans-serif;color:var(--ink);background:var(--bg);"
    "line-height:1.5}\n"
    "main{padding:0.8rem 1rem 2rem;max-width:1100px;margin:0 auto}\n"
    "a{color:var(--accent)}\n"
    "h1{font-size:1.5rem;margin:0.6rem 0}h2{font-size:1.2rem;margin:1.2rem 0 0.4rem;"
    "border-bottom:2px solid var(--line);padding-bottom:0.2rem}\n"
    ".top{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;"
    "gap:0.5rem;background:#123;color:#fff;padding:0.4rem 1rem}\n"
    ".top a,.top .link{color:#fff}\n"
    ".brand{font-weight:bold;text-decoration:none;font-size:1.1rem}\n"
    ".top nav{display:flex;flex-wrap:wrap;gap:0.4rem;align-items:center}\n"
    ".navbtn,.button,button{display:inline-flex;align-items:center;justify-content:center;"
    "min-height:48px;min-width:48px;padding:0.4rem 1rem;border-radius:8px;"
    "border:2px solid var(--accent);background:#fff;color:var(--accent);font-size:1rem;"
    "text-decoration:none;cursor:pointer;font-family:inherit}\n"
    ".top .navbtn{background:transparent;border-color:#fff;color:#fff}\n"
    "button.link{border:none;background:none;text-decoration:underline;min-height:48px}\n"
    ".primary{background:var(--accent);color:#fff}\n"
    ".who{opacity:0.85;padding:0 0.4rem}\n"
    "form.inline{display:inline}\n"
    ".fresh{padding:0.5rem 1rem;background:#e6f2e8;color:var(--ok);font-weight:bold;"
    "border-bottom:2px solid var(--ok)}\n"
    ".fresh.stale,.fresh.nodata{background:var(--alertbg);color:var(--alert);"
    "border-bottom-color:var(--alert)}\n"
    ".fresh.stale::after{content:\" \\26A0\"}\n"
    "label{display:block;margin:0.6rem 0;font-weight:bold}\n"
    "input{display:block;width:100%;font-size:1.2rem;padding:0.6rem;min-height:52px;"
    "border:2px solid var(--line);border-radius:8px;margin-top:0.2rem;font-family:inherit}\n"
    ".search .row{display:flex;gap:0.5rem}.search .row input{flex:1;margin:0}\n"
    ".login{max-width:28rem;margin:1rem auto}\n"
    ".login button{width:100%;margin-top:0.8rem;font-size:1.2rem}\n"
    ".error{color:var(--alert);font-weight:bold;background:var(--alertbg);padding:0.6rem;"
    "border-radius:8px}\n"
    ".note{color:var(--muted)}\n"
    "table{border-collapse:collapse;width:100%;margin:0.4rem 0;background:#fff}\n"
    "th,td{border:1px solid var(--line);padding:0.4rem 0.5rem;text-align:left;"
    "vertical-align:top}\n"
    "th{background:#eef2f6;font-weight:bold}\n"
    ".results a,.census a{display:inline-block;min-height:44px;padding:0.5rem 0;"
    "font-size:1.1rem}\n"
    ".wardlist{list-style:none;padding:0;display:grid;"
    "grid-template-columns:repeat(auto-fill,minmax(17rem,1fr));gap:0.6rem}\n"
    ".wardlist li{background:#fff;border:1px solid var(--line);border-radius:10px;"
    "padding:0.6rem}\n"
    ".wardlist .wname{font-size:1.2rem;font-weight:bold;display:block;margin-bottom:0.4rem}\n"
    ".wardlist .button{margin:0.2rem 0.4rem 0.2rem 0}\n"
    ".banner{background:#fff;border:2px solid var(--ink);border-radius:10px;padding:0.6rem 1rem;"
    "display:flex;flex-wrap:wrap;gap:0.4rem 1.6rem;align-items:baseline}\n"
    ".banner .pname{font-size:1.8rem;font-weight:bold}\n"
    ".banner .pkana{font-size:1.1rem;color:var(--muted)}\n"
    ".banner .field{white-space:nowrap}\n"
    ".banner .field b{color:var(--muted);font-weight:normal;margin-right:0.3rem}\n"
    ".allergy{margin:0.8rem 0;border:5px solid var(--alert);background:var(--alertbg);"
    "border-radius:10px;padding:0.6rem 1rem}\n"
    ".allergy h2{color:var(--alert);border:none;margin:0;font-size:1.4rem}\n"
    ".allergy ul{margin:0.3rem 0;padding-left:1.4rem;font-size:1.25rem;font-weight:bold}\n"
    ".allergy.none{border-color:#b26a00;background:#fff4e0}\n"
    ".allergy.none h2{color:#8a5200}\n"
    ".allergy .unconfirmed{font-size:1.3rem;font-weight:bold;color:#8a5200}\n"
    ".flag-H{color:var(--alert);font-weight:bold}.flag-L{color:#0040c0;font-weight:bold}\n"
    ".earlier{color:var(--muted);font-size:0.9rem}\n"
    ".warn{color:var(--alert)}\n"
    ".unconfirmed-id{border:3px solid #b26a00;background:#fff4e0;color:#8a5200;"
    "font-weight:bold;border-radius:8px;padding:0.4rem 0.8rem}\n"
    ".unreg{color:#8a5200;font-weight:bold}\n"
    ".susp{display:inline-block;border:2px solid #b26a00;color:#8a5200;border-radius:6px;"
    "padding:0 0.3rem;font-size:0.9rem;font-weight:bold}\n"
    "h3.older{color:#8a5200}\n"
    ".nomeds{font-weight:bold;color:#8a5200}\n"
    ".culture{border:1px solid var(--line);border-radius:8px;padding:0.2rem 0.8rem;"
    "margin:0.5rem 0;background:#fff}\n"
    ".sus td.sir-R{color:var(--alert);font-weight:bold}\n"
    ".report{white-space:pre-wrap;background:#fff;border:1px solid var(--line);"
    "padding:0.5rem;border-radius:6px}\n"
    ".actions{margin:0.6rem 0;display:flex;gap:0.5rem;flex-wrap:wrap}\n"
    ".bedmap{display:grid;grid-template-columns:repeat(auto-fill,minmax(15rem,1fr));"
    "gap:0.7rem}\n"
    ".room{background:#fff;border:2px solid var(--line);border-radius:10px;padding:0.5rem}\n"
    ".room h3{margin:0 0 0.4rem;font-size:1.1rem}\n"
    ".bed{display:block;border:1px solid var(--line);border-radius:8px;padding:0.4rem;"
    "margin:0.3rem 0;min-height:56px;text-decoration:none;color:var(--ink)}\n"
    ".bed.occupied{background:#eef5ff;border-color:var(--accent)}\n"
    ".bed.empty{color:var(--muted);background:#f3f3f3}\n"
    ".bed .bno{font-weight:bold;margin-right:0.4rem}\n"
    ".bed .occ{font-size:1.1rem;font-weight:bold}\n"
    ".amark{display:inline-block;background:var(--alert);color:#fff;border-radius:6px;"
    "padding:0 0.4rem;font-size:0.9rem;font-weight:bold;margin-left:0.3rem}\n"
    ".amark.unk{background:#b26a00}\n"
    ".foot{background:#eef2f6;border-top:1px solid var(--line);padding:0.2rem 1rem;"
    "font-size:0.8rem;color:var(--muted)}\n"
    ".foot .who{float:right}\n"
    "@media (max-width:600px){html{font-size:17px}.banner .pname{font-size:1.5rem}}\n"
    "@media print{@page{size:A4;margin:12mm 10mm 16mm}\n"
    "html{font-size:10.5pt}body{background:#fff}\n"
    ".top,.fresh,.search,.actions,.noprint,form{display:none!important}\n"
    "main{padding:0;max-width:none}\n"
    "a{color:var(--ink);text-decoration:none}\n"
    ".allergy{border-width:3px;-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
    "table{page-break-inside:auto}tr{page-break-inside:avoid}\n"
    "h2{page-break-after:avoid}\n"
    ".foot{position:fixed;bottom:0;left:0;right:0;background:#fff;color:#000;font-size:8.5pt;"
    "border-top:1px solid #000}\n"
    ".bed,.room{page-break-inside:avoid}}\n";

static const char viewer_js[] =
    "/* chartvault viewer: the print button (no inline script: the CSP forbids it). */\n"
    "'use strict';\n"
    "document.addEventListener('DOMContentLoaded', function () {\n"
    "  document.querySelectorAll('[data-print]').forEach(function (b) {\n"
    "    b.addEventListener('click', function () { window.print(); });\n"
    "  });\n"
    "});\n";

bool web_page_static(struct web_req *r, const char *name)
{
    const char *body = NULL;

    if (strcmp(name, "viewer.css") == 0) {
        body = viewer_css;
        r->content_type = "text/css; charset=utf-8";
    } else if (strcmp(name, "viewer.js") == 0) {
        body = viewer_js;
        r->content_type = "text/javascript; charset=utf-8";
    }
    if (!body)
        return false;
    cv_buf_puts(&r->out, body);
    r->cacheable = true;
    return true;
}
