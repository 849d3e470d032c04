"""The class report as text lines for a terminal: the same data as the HTML page and the JSON
(:meth:`envdoctor.classreport.ClassReport.to_dict`), for a TA working over ssh."""

from typing import Any, Dict, List, Sequence

from envdoctor.render.text import Line

__all__ = ["checked_against", "class_text_lines", "short_list"]

_MARKS = {"error": ("x", "bold red"), "warning": ("!", "bold yellow"), "info": ("i", "cyan")}
_STATUS = {"healthy": ("ok", "bold green"), "broken": ("x", "bold red"),
           "unreadable": ("?", "bold")}


def _share(n: int, total: int) -> str:
    return "%d/%d" % (n, total)


def short_list(names: Sequence[str], limit: int = 6) -> str:
    """``a, b, c and 4 more``: who has a cause or needs a fix (the page shows the same)."""
    shown = ", ".join(names[:limit])
    return shown + (" and %d more" % (len(names) - limit) if len(names) > limit else "")


def _environment(env: Dict[str, Any]) -> str:
    if env["status"] == "unreadable":
        return "unreadable: %s" % env["error"]
    kind = "conda env" if env["conda"] else "venv" if env["venv"] else "system"
    lab = ", ".join("%s %s" % kv for kv in sorted(env["lab_packages"].items()))
    return "Python %s (%s, %s)%s; %d error%s, %d warning%s" % (
        env["python"] or "?", kind, env["platform"] or "?", "; " + lab if lab else "",
        env["errors"], "" if env["errors"] == 1 else "s",
        env["warnings"], "" if env["warnings"] == 1 else "s")


def checked_against(data: Dict[str, Any]) -> str:
    """What the snapshots were held to: ``checked against the lab lab.ipynb``, a recipe, each
    one's default recipe, or nothing."""
    recipe, lab = data.get("recipe"), data.get("lab")
    named = recipe and recipe.lower() != "none"
    if lab:
        return "checked against the lab %s%s" % (lab, " and lab recipe %s" % recipe
                                                 if named else "")
    return ("checked against lab recipe %s" % recipe if named else
            "checked without a lab recipe" if recipe else
            "checked against each one's default lab recipe")


def class_text_lines(data: Dict[str, Any], title: str = "envdoctor class report",
                     verbose: bool = False) -> List[Line]:
    """Counts, causes ranked, the common fixes and one line per environment (with
    ``verbose``, each environment's findings under it)."""
    total, readable = data["total"], data["total"] - data["unreadable"]
    against = checked_against(data)
    lines: List[Line] = [
        [(title, "bold"), (": %d environment%s, %s (%s)" % (
            total, "" if total == 1 else "s", against, data.get("generated")), "")],
        [("  healthy %d" % data["healthy"], "green"), (" | ", "dim"),
         ("broken %d" % data["broken"], "red" if data["broken"] else ""), (" | ", "dim"),
         ("unreadable %d" % data["unreadable"], ""),
         ("  (ignoring %s)" % ", ".join(data["ignored"]) if data.get("ignored") else "",
          "dim")],
        [],
        [("Causes, most environments first", "bold"),
         (" (in how many of the %d readable)" % readable, "dim")],
    ]
    for cause in data["causes"]:
        mark, style = _MARKS.get(cause["severity"], ("?", ""))
        rule = "  (matrix rule %s)" % cause["rule"] if cause["rule"] else ""
        lines.append([("  %s " % mark, style), (cause["code"], "bold"),
                      ("  %-6s" % _share(cause["count"], readable), ""),
                      (cause["title"], ""), (rule, "dim")])
        lines.append([("        ", ""), (short_list(cause["environments"]), "dim")])
    if not data["causes"]:
        lines.append([("  ok ", "bold green"), ("no errors or warnings in any environment", "")])
    lines += [[], [("Fixes, most common first", "bold"),
                   (" (in how many of the %d broken)" % data["broken"], "dim")]]
    for fix in data["fixes"]:
        lines.append([("  %-6s" % _share(fix["count"], data["broken"]), ""),
                      (fix["fix"], "green"), ("  (%s)" % ", ".join(fix["codes"]), "dim")])
    if not data["fixes"]:
        lines.append([("  none needed", "")])
    lines += [[], [("Environments", "bold")]]
    width = max([len(e["name"]) for e in data["environments"]] or [0])
    for env in data["environments"]:
        mark, style = _STATUS.get(env["status"], ("?", ""))
        lines.append([("  %-2s " % mark, style), ("%-*s  " % (width, env["name"]), "bold"),
                      (_environment(env), "")])
        if verbose:
            for f in env["findings"]:
                fmark, fstyle = _MARKS.get(f["severity"], ("?", ""))
                lines.append([("       %s " % fmark, fstyle), (f["code"], "bold"),
                              ("  " + f["title"], "")])
    return lines
