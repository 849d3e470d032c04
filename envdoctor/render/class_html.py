"""The class report as one self-contained HTML page (inline CSS and SVG, no scripts, nothing
fetched): a pure function of :meth:`envdoctor.classreport.ClassReport.to_dict`'s data."""

from __future__ import annotations

from typing import Any, Dict, Sequence, Tuple

from envdoctor.render.class_text import checked_against, short_list
from envdoctor.render.html import esc

__all__ = ["render_class_html"]


_GREEN, _RED, _AMBER, _GREY, _BLUE = "#1a7f37", "#cf222e", "#bf8700", "#8c959f", "#0969da"
_STATUS_COLOURS = {"healthy": _GREEN, "broken": _RED, "unreadable": _GREY}
_SEV_COLOURS = {"error": _RED, "warning": _AMBER, "info": _BLUE}

_CSS = """
*{box-sizing:border-box}
body{margin:0;background:#f3f5f7;color:#1f2328;font:14px/1.5 -apple-system,BlinkMacSystemFont,
 "Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
.wrap{max-width:1200px;margin:0 auto;padding:28px 32px 40px}
header h1{font-size:26px;margin:0 0 2px}
.sub{color:#57606a;font-size:13px}
.tiles{display:grid;grid-template-columns:repeat(4,1fr);gap:14px;margin:22px 0 16px}
.tile{background:#fff;border:1px solid #d0d7de;border-radius:10px;padding:12px 18px 14px;
 border-top-width:5px}
.tile .n{font-size:36px;font-weight:700;line-height:1.15}
.tile .l{color:#57606a;font-size:12px;text-transform:uppercase;letter-spacing:.06em;
 font-weight:600}
.tile .p{color:#57606a;font-size:12.5px}
.card{background:#fff;border:1px solid #d0d7de;border-radius:10px;padding:16px 20px;
 margin:16px 0}
.card h2{font-size:17px;margin:0 0 10px}
.grid2{display:grid;grid-template-columns:330px 1fr;gap:16px}
.grid2 .card{margin:0}
table{width:100%;border-collapse:collapse;font-size:13.5px}
th{text-align:left;color:#57606a;font-weight:600;font-size:12px;text-transform:uppercase;
 letter-spacing:.04em;border-bottom:1px solid #d0d7de;padding:6px 8px}
td{border-bottom:1px solid #eaeef2;padding:8px;vertical-align:top}
tr:last-child td{border-bottom:0}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code{font:12.5px SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;
 background:#eff1f3;padding:1px 5px;border-radius:4px;overflow-wrap:anywhere}
.badge{display:inline-block;color:#fff;font-size:11px;font-weight:600;border-radius:10px;
 padding:1px 8px;text-transform:uppercase;letter-spacing:.04em;white-space:nowrap}
.code{font:600 12.5px SFMono-Regular,Menlo,Consolas,monospace;margin-right:4px}
.muted{color:#57606a}
.small{font-size:12px}
.f{margin:1px 0}
.bar{height:8px;border-radius:4px;background:#eaeef2;overflow:hidden;min-width:90px}
.bar span{display:block;height:8px}
.empty{color:#57606a;font-style:italic}
footer{color:#57606a;font-size:12px;margin-top:18px}
.legend{text-align:center;margin-top:10px;font-size:13px}
.lg{display:inline-block;margin:0 7px;white-space:nowrap}
.callout{margin-top:14px;padding:10px 14px;background:#f6f8fa;border:1px solid #d0d7de;
 border-left:4px solid #1a7f37;border-radius:6px}
.callout .l{color:#57606a;font-size:12px;text-transform:uppercase;letter-spacing:.06em;
 font-weight:600;margin-bottom:4px}
"""


def _e(value: Any) -> str:
    return esc(value)


def _badge(text: str, colour: str) -> str:
    return '<span class="badge" style="background:%s">%s</span>' % (colour, _e(text))


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "\u2026"


def _pct(n: int, total: int) -> str:
    return "%d%%" % round(100.0 * n / total) if total else "\u2013"


def _donut(counts: Sequence[Tuple[str, int, str]], total: int) -> str:
    """Healthy / broken / unreadable as a ring, the total in the middle."""
    r, stroke, size = 70.0, 26.0, 200
    circumference = 2 * 3.141592653589793 * r
    parts = ['<svg id="chart-status" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
             'viewBox="0 0 %d %d" role="img" aria-label="environments by status">'
             % (size, size, size, size),
             '<circle cx="100" cy="100" r="%g" fill="none" stroke="#eaeef2" '
             'stroke-width="%g"/>' % (r, stroke)]
    offset = 0.0
    for label, n, colour in counts:
        if not n or not total:
            continue
        length = circumference * n / total
        parts.append('<circle cx="100" cy="100" r="%g" fill="none" stroke="%s" '
                     'stroke-width="%g" stroke-dasharray="%.3f %.3f" stroke-dashoffset="%.3f" '
                     'transform="rotate(-90 100 100)" data-status="%s" data-count="%d">'
                     '<title>%s: %d</title></circle>'
                     % (r, colour, stroke, length, circumference - length, -offset, label, n,
                        label, n))
        offset += length
    parts.append('<text x="100" y="104" text-anchor="middle" font-size="38" font-weight="700" '
                 'fill="#1f2328" font-family="Arial,sans-serif">%d</text>' % total)
    parts.append('<text x="100" y="128" text-anchor="middle" font-size="12" fill="#57606a" '
                 'font-family="Arial,sans-serif">environment%s</text>'
                 % ("" if total == 1 else "s"))
    parts.append("</svg>")
    return "".join(parts)


def _cause_bars(causes: Sequence[Dict[str, Any]], readable: int, limit: int = 8) -> str:
    """The most common causes as horizontal bars (count of environments each)."""
    shown = list(causes[:limit])
    width, label_w, row = 780, 0, 46
    height = max(1, len(shown)) * row + 6
    biggest = max([c["count"] for c in shown] or [1])
    bar_max = width - 70
    parts = ['<svg id="chart-causes" xmlns="http://www.w3.org/2000/svg" width="100%%" '
             'viewBox="0 0 %d %d" role="img" aria-label="causes by number of environments">'
             % (width, height)]
    for i, c in enumerate(shown):
        y = i * row
        colour = _SEV_COLOURS.get(c["severity"], _GREY)
        length = max(4.0, bar_max * c["count"] / float(biggest))
        label = "%s  %s" % (c["code"], _short(c["title"], 96))
        parts.append('<g data-code="%s" data-count="%d"><title>%s %s: %d of %d</title>'
                     % (_e(c["code"]), c["count"], _e(c["code"]), _e(c["title"]), c["count"],
                        readable))
        parts.append('<text x="%d" y="%d" font-size="13" fill="#1f2328" '
                     'font-family="Arial,sans-serif">%s</text>' % (label_w, y + 15, _e(label)))
        parts.append('<rect x="%d" y="%d" width="%d" height="16" rx="4" fill="#eaeef2"/>'
                     % (label_w, y + 22, bar_max))
        parts.append('<rect x="%d" y="%d" width="%.1f" height="16" rx="4" fill="%s"/>'
                     % (label_w, y + 22, length, colour))
        parts.append('<text x="%d" y="%d" font-size="13" font-weight="700" fill="#1f2328" '
                     'font-family="Arial,sans-serif">%d</text>'
                     % (label_w + bar_max + 10, y + 35, c["count"]))
        parts.append("</g>")
    if not shown:
        parts.append('<text x="0" y="18" font-size="13" fill="#57606a" '
                     'font-family="Arial,sans-serif">No errors or warnings in any '
                     'environment.</text>')
    parts.append("</svg>")
    return "".join(parts)


def _environment_cell(env: Dict[str, Any]) -> str:
    if env["status"] == "unreadable":
        return '<span class="muted">&ndash;</span>'
    kind = "conda env" if env["conda"] else "venv" if env["venv"] else "system"
    out = ["Python %s <span class=\"muted\">(%s, %s)</span>" % (
        _e(env["python"] or "?"), _e(kind), _e(env["platform"] or "?"))]
    if env["executable"]:
        out.append('<div class="small"><code>%s</code></div>' % _e(env["executable"]))
    lab = ", ".join("%s %s" % kv for kv in sorted(env["lab_packages"].items()))
    facts = []
    if lab:
        facts.append(_e(lab))
    facts.append("lab recipe %s" % _e(env["recipe"]) if env["recipe"] else "no lab recipe")
    facts.append("from a %s" % ("snapshot" if env["kind"] == "snapshot" else "check JSON"))
    out.append('<div class="small muted">%s</div>' % " &middot; ".join(facts))
    return "".join(out)


def _findings_cell(env: Dict[str, Any]) -> str:
    if env["status"] == "unreadable":
        return '<span class="muted">%s</span>' % _e(env["error"])
    if not env["findings"]:
        return '<span class="muted">nothing wrong found</span>'
    return "".join('<div class="f">%s<span class="code">%s</span> %s</div>'
                   % ('<span style="color:%s">&#9679;</span> '
                      % _SEV_COLOURS.get(f["severity"], _GREY), _e(f["code"]), _e(f["title"]))
                   for f in env["findings"])


def _names(names: Sequence[str]) -> str:
    return _e(short_list(names))


def render_class_html(data: Dict[str, Any], title: str = "envdoctor class report") -> str:
    """The page for :meth:`ClassReport.to_dict`'s data."""
    total, healthy, broken, unreadable = (data["total"], data["healthy"], data["broken"],
                                          data["unreadable"])
    readable = total - unreadable
    out = ['<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
           '<meta name="viewport" content="width=device-width, initial-scale=1">'
           '<meta name="generator" content="envdoctor %s">' % _e(data.get("envdoctor")),
           "<title>%s</title><style>%s</style></head><body><div class=\"wrap\">"
           % (_e(title), _CSS)]
    out.append('<header><h1>%s</h1><div class="sub">%d environment%s &middot; %s &middot; '
               'generated %s by envdoctor %s</div></header>'
               % (_e(title), total, "" if total == 1 else "s",
                  "snapshots " + _e(checked_against(data)),
                  _e(data.get("generated")), _e(data.get("envdoctor"))))
    if data.get("ignored"):
        out.append('<div class="sub">ignoring %s (--ignore): left out of every environment'
                   '</div>' % _e(", ".join(data["ignored"])))
    out.append('<section class="tiles">')
    for key, label, n, colour, share in (
            ("total", "Environments", total, "#57606a", "%d readable" % readable),
            ("healthy", "Healthy", healthy, _GREEN, _pct(healthy, readable) + " of readable"),
            ("broken", "Broken", broken, _RED, _pct(broken, readable) + " of readable"),
            ("unreadable", "Unreadable files", unreadable, _GREY, "listed below")):
        out.append('<div class="tile" style="border-top-color:%s"><div class="l">%s</div>'
                   '<div class="n" id="count-%s" data-count="%d">%d</div>'
                   '<div class="p">%s</div></div>' % (colour, label, key, n, n, share))
    out.append("</section>")

    causes = data["causes"]
    legend = "".join(
        '<span class="lg"><span style="color:%s">&#9632;</span> %s <strong>%d</strong> '
        '<span class="muted">(%s)</span></span>' % (colour, label, n, _pct(n, total))
        for label, n, colour in (("healthy", healthy, _GREEN), ("broken", broken, _RED),
                                 ("unreadable", unreadable, _GREY)))
    out.append('<section class="grid2"><div class="card"><h2>Status</h2>'
               '<div style="text-align:center">%s</div><div class="legend">%s</div>'
               '</div>' % (_donut([("healthy", healthy, _GREEN), ("broken", broken, _RED),
                                   ("unreadable", unreadable, _GREY)], total), legend))
    out.append('<div class="card"><h2>Most common causes '
               '<span class="muted small">(environments with each error or warning)</span>'
               '</h2>%s' % _cause_bars(causes, readable))
    if len(causes) > 8:
        out.append('<div class="muted small">and %d more below</div>' % (len(causes) - 8))
    if data["fixes"]:
        top = data["fixes"][0]
        out.append('<div class="callout"><div class="l">Most common fix</div><code>%s</code>'
                   '<div class="small muted" style="margin-top:4px">needed in %d of %d broken '
                   'environment%s (%s)</div></div>'
                   % (_e(top["fix"]), top["count"], broken, "" if broken == 1 else "s",
                      _e(", ".join(top["codes"]))))
    out.append("</div></section>")

    out.append('<section class="card"><h2>Causes, ranked</h2>')
    if causes:
        out.append('<table id="causes"><thead><tr><th>#</th><th>Cause</th><th>Severity</th>'
                   '<th style="text-align:right">Environments</th><th></th><th>Who</th>'
                   '</tr></thead><tbody>')
        for i, c in enumerate(causes, 1):
            colour = _SEV_COLOURS.get(c["severity"], _GREY)
            rule = ('<div class="small muted">matrix rule <code>%s</code></div>' % _e(c["rule"])
                    if c["rule"] else "")
            out.append('<tr data-code="%s" data-count="%d"><td class="num">%d</td>'
                       '<td><span class="code">%s</span> %s%s</td><td>%s</td>'
                       '<td class="num"><strong>%d</strong> <span class="muted">(%s)</span></td>'
                       '<td style="width:110px"><div class="bar"><span style="width:%s;'
                       'background:%s"></span></div></td><td class="small">%s</td></tr>'
                       % (_e(c["code"]), c["count"], i, _e(c["code"]), _e(c["title"]), rule,
                          _badge(c["severity"], colour), c["count"], _pct(c["count"], readable),
                          _pct(c["count"], readable) if readable else "0%", colour,
                          _names(c["environments"])))
        out.append("</tbody></table>")
    else:
        out.append('<div class="empty">No errors or warnings in any environment.</div>')
    out.append("</section>")

    out.append('<section class="card"><h2>Most common fixes</h2>')
    if data["fixes"]:
        out.append('<table id="fixes"><thead><tr><th>Fix</th><th>For</th>'
                   '<th style="text-align:right">Environments</th><th>Who</th></tr></thead>'
                   '<tbody>')
        for fx in data["fixes"]:
            out.append('<tr data-count="%d"><td><code>%s</code></td><td class="small">%s</td>'
                       '<td class="num"><strong>%d</strong></td><td class="small">%s</td></tr>'
                       % (fx["count"], _e(fx["fix"]), _e(", ".join(fx["codes"])), fx["count"],
                          _names(fx["environments"])))
        out.append('</tbody></table><div class="small muted" style="margin-top:6px">Run as '
                   '<code>python</code> of each student\'s environment (in a notebook: '
                   '<code>%pip install ...</code>), or <code>envdoctor fix --apply</code> '
                   'there.</div>')
    else:
        out.append('<div class="empty">No fixes needed.</div>')
    out.append("</section>")

    out.append('<section class="card"><h2>Environments</h2><table id="environments"><thead>'
               '<tr><th>File</th><th>Environment</th><th>Verdict</th><th>Findings</th></tr>'
               '</thead><tbody>')
    for env in data["environments"]:
        colour = _STATUS_COLOURS.get(env["status"], _GREY)
        counts = ""
        if env["status"] != "unreadable":
            counts = '<div class="small muted">%d error%s, %d warning%s</div>' % (
                env["errors"], "" if env["errors"] == 1 else "s", env["warnings"],
                "" if env["warnings"] == 1 else "s")
        out.append('<tr data-status="%s"><td><strong>%s</strong>%s</td><td>%s</td>'
                   '<td>%s%s</td><td>%s</td></tr>'
                   % (_e(env["status"]), _e(env["name"]),
                      '<div class="small muted">%s</div>' % _e(env["file"])
                      if env["file"] != env["name"] else "",
                      _environment_cell(env), _badge(env["status"], colour), counts,
                      _findings_cell(env)))
    if not data["environments"]:
        out.append('<tr><td colspan="4" class="empty">No input files.</td></tr>')
    out.append("</tbody></table></section>")
    out.append("<footer>Made by envdoctor %s from %d file%s. Healthy: no errors (warnings "
               "allowed). Snapshots are checked with envdoctor's bundled compatibility matrix; "
               "check JSONs are used as saved.</footer></div></body></html>\n"
               % (_e(data.get("envdoctor")), total, "" if total == 1 else "s"))
    return "".join(out)
