"""Install lines, read with pip's grammar: shell words (``shlex``), pip's options, and each
requirement through ``packaging`` (PEP 508 requirements, wheel file names).

:func:`parse_shell` reads one shell line of a notebook (``!pip install ...``) into the install
lines and environment settings it holds; :func:`parse_requirements_line` reads a line of a
requirements file. Neither runs anything.
"""

import os
import re
import shlex
from typing import List, Optional, Sequence, Tuple

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from envdoctor.lab.model import EnvSetting, InstallItem, InstallLine, LabWarning, Where, WheelFile

__all__ = ["parse_shell", "parse_pip_args", "parse_item", "parse_requirements_line",
           "ShellFacts"]

# pip options that take a value (as their next word, or after '=')
VALUE_OPTIONS = {
    "-i": "index_url", "--index-url": "index_url", "--extra-index-url": "extra_index_urls",
    "--trusted-host": "trusted_hosts", "-f": "find_links", "--find-links": "find_links",
    "-r": "requirement_files", "--requirement": "requirement_files",
    "-c": "constraint_files", "--constraint": "constraint_files",
    "-e": "editable", "--editable": "editable",
}
OTHER_VALUE_OPTIONS = {
    "-t", "--target", "--prefix", "--root", "--platform", "--python-version",
    "--implementation", "--abi", "--only-binary", "--no-binary", "--progress-bar", "--src",
    "--upgrade-strategy", "--cache-dir", "--timeout", "--retries", "--proxy", "--log",
    "--global-option", "--install-option", "--config-settings", "-C", "--report", "-d",
    "--dest", "--exists-action", "--cert", "--client-cert", "--python",
}
_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
_SEPARATORS = ("&&", "||", ";", "|")

ShellFacts = Tuple[List[InstallLine], List[EnvSetting], List[LabWarning]]


def _split_commands(words: Sequence[str]) -> List[List[str]]:
    out: List[List[str]] = [[]]
    for word in words:
        if word in _SEPARATORS:
            out.append([])
        else:
            out[-1].append(word)
    return [c for c in out if c]


def _is_python(word: str) -> bool:
    return re.match(r"^python(\d+(\.\d+)?)?$", os.path.basename(word)) is not None


def _tool(words: List[str]) -> Tuple[Optional[str], List[str]]:
    """('pip', args after pip) for pip / pip3 / path/to/pip / python -m pip; conda too."""
    if not words:
        return None, []
    base = os.path.basename(words[0])
    if re.match(r"^pip(\d+(\.\d+)?)?$", base):
        return "pip", words[1:]
    if _is_python(words[0]) and words[1:3] == ["-m", "pip"]:
        return "pip", words[3:]
    if base in ("conda", "mamba", "micromamba"):
        return "conda", words[1:]
    return None, []


def parse_shell(text: str, where: Where) -> ShellFacts:
    """One shell line (without its leading ``!``): the installs and ``export`` lines in it."""
    installs, env, warnings = [], [], []  # type: Tuple[List[InstallLine], List[EnvSetting], List[LabWarning]]
    try:
        lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|")
        lexer.whitespace_split = True
        lexer.commenters = ""  # '#' starts a comment only at the start of a word (#egg=...)
        words: List[str] = []
        for word in lexer:
            if word.startswith("#"):
                break
            words.append(word)
    except ValueError as exc:
        return [], [], [LabWarning(where, "shell line does not parse (%s): %s" % (exc, text))]
    for command in _split_commands(words):
        if command[0] == "export":
            for assignment in command[1:]:
                name, eq, value = assignment.partition("=")
                if eq:
                    env.append(EnvSetting(where, name, value, "export"))
            continue
        tool, args = _tool(command)
        if tool == "pip":
            line, problems = parse_pip_args(args, where, text)
            installs.append(line)
            warnings.extend(problems)
        elif tool == "conda":
            installs.append(_conda_line(args, where, text))
    return installs, env, warnings


def _conda_line(args: List[str], where: Where, text: str) -> InstallLine:
    action = args[0] if args else ""
    items, channels, index_url = [], [], None
    i = 1
    while i < len(args):
        word = args[i]
        if word in ("-c", "--channel") and i + 1 < len(args):
            channels.append(args[i + 1])
            i += 2
            continue
        if word in ("-n", "--name", "-p", "--prefix") and i + 1 < len(args):
            i += 2
            continue
        if not word.startswith("-"):
            name = re.split(r"[=<>! ]", word, maxsplit=1)[0]
            items.append(InstallItem(text=word, kind="conda", name=name,
                                     specifier=word[len(name):]))
        i += 1
    return InstallLine(where, "conda", action, text, tuple(items),
                       index_url=channels[0] if channels else index_url,
                       extra_index_urls=tuple(channels[1:]))


def parse_pip_args(args: List[str], where: Where, text: str
                   ) -> Tuple[InstallLine, List[LabWarning]]:
    """``install -i URL pkg==1 ...`` -> an :class:`InstallLine` (pip's option grammar)."""
    action = ""
    values: dict = {"index_url": [], "extra_index_urls": [], "trusted_hosts": [], "find_links": [],
              "requirement_files": [], "constraint_files": [], "editable": []}
    options, items, warnings, config = [], [], [], []  # type: ignore
    positional: List[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        option, eq, inline = word.partition("=") if word.startswith("--") else (word, "", "")
        if option in VALUE_OPTIONS or option in OTHER_VALUE_OPTIONS or \
                (len(word) > 2 and word[:2] in ("-i", "-f", "-r", "-c", "-e") and not eq):
            if not eq and option not in VALUE_OPTIONS and option not in OTHER_VALUE_OPTIONS:
                option, inline, eq = word[:2], word[2:], "="  # -ihttps://... (short, glued)
            value = inline if eq else (args[i + 1] if i + 1 < len(args) else None)
            i += 1 if eq else 2
            if value is None:
                warnings.append(LabWarning(where, "pip option %s has no value: %s"
                                           % (option, text)))
                continue
            key = VALUE_OPTIONS.get(option)
            if key:
                values[key].append(value)
            else:
                options.append("%s=%s" % (option, value))
            continue
        if word.startswith("-"):
            options.append(word)
        elif not action:
            action = word
        else:
            positional.append(word)
        i += 1
    if action == "config":
        if len(positional) >= 3 and positional[0] == "set":
            config.append((positional[1], positional[2]))
        elif len(positional) >= 2 and positional[0] == "set":
            key, _, value = positional[1].partition("=")
            config.append((key, value))
    elif action in ("install", "download", "wheel"):
        for word in positional:
            item, problem = parse_item(word)
            if problem:
                warnings.append(LabWarning(where, "%s (in: %s)" % (problem, text)))
            if item is not None:
                items.append(item)
        for word in values["editable"]:
            item, problem = parse_item(word)
            if item is not None:
                items.append(item)
    elif action == "uninstall":
        items = [InstallItem(text=w, kind="name", name=w) for w in positional]
    line = InstallLine(
        where, "pip", action, text, tuple(items),
        index_url=values["index_url"][-1] if values["index_url"] else None,
        extra_index_urls=tuple(values["extra_index_urls"]),
        trusted_hosts=tuple(values["trusted_hosts"]), find_links=tuple(values["find_links"]),
        requirement_files=tuple(values["requirement_files"]),
        constraint_files=tuple(values["constraint_files"]), options=tuple(options),
        config=tuple(config))
    return line, warnings


def _wheel(filename: str) -> Optional[WheelFile]:
    try:
        name, version, _build, tags = parse_wheel_filename(filename)
    except (InvalidWheelFilename, ValueError):
        return None
    return WheelFile(str(name), str(version),
                     tuple(sorted("%s-%s-%s" % (t.interpreter, t.abi, t.platform) for t in tags)))


def _git(word: str) -> InstallItem:
    """``[name @ ]git+https://host/repo.git@ref#egg=name``."""
    url = word
    name = None
    if " @ " in word:
        name, url = [p.strip() for p in word.split(" @ ", 1)]
    base, _, fragment = url.partition("#")
    for part in fragment.split("&"):
        key, _, value = part.partition("=")
        if key == "egg" and value:
            name = name or value
    scheme, _, rest = base.partition("://")
    host_path, at, ref = rest.rpartition("@")
    if not at or "/" in ref:
        host_path, ref = rest, ""
    if name is None:
        repo = host_path.rstrip("/").rsplit("/", 1)[-1]
        name = repo[:-4] if repo.endswith(".git") else repo
    return InstallItem(text=word, kind="git", name=name, url="%s://%s" % (scheme, host_path),
                       ref=ref or None, variables=tuple(_VARIABLE.findall(word)))


def parse_item(word: str) -> Tuple[Optional[InstallItem], Optional[str]]:
    """One positional word of ``pip install``: (item, problem). A word pip's grammar rejects
    is a problem, never an exception."""
    variables = tuple(sorted(set(_VARIABLE.findall(word))))
    spec = word.split(" @ ", 1)[-1]
    if spec.startswith("git+") or re.match(r"^(hg|svn|bzr)\+", spec):
        return _git(word), None
    is_url = "://" in spec
    filename = spec.split("#", 1)[0].split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if filename.endswith(".whl"):
        wheel = None if variables else _wheel(filename)
        if wheel is None and not variables:
            return (InstallItem(text=word, kind="wheel", url=spec if is_url else None),
                    "not a valid wheel file name: %s" % filename)
        return InstallItem(text=word, kind="wheel", name=wheel.name if wheel else None,
                           specifier="==" + wheel.version if wheel else "",
                           url=spec if is_url else None, wheel=wheel,
                           variables=variables), None
    if is_url:
        return InstallItem(text=word, kind="url", url=spec, variables=variables), None
    if word.startswith((".", "/", "~")) or os.sep in word or \
            word.endswith((".tar.gz", ".zip", ".tar.bz2")):
        return InstallItem(text=word, kind="path", variables=variables), None
    try:
        req = Requirement(word)
    except InvalidRequirement as exc:
        first = (str(exc).strip().splitlines() or [""])[0]
        return None, "pip cannot read the requirement %r: %s" % (word, first)
    return InstallItem(text=word, kind="name", name=req.name, specifier=str(req.specifier),
                       extras=tuple(sorted(req.extras)),
                       marker=str(req.marker) if req.marker else "",
                       url=req.url, variables=variables), None


def parse_requirements_line(text: str, where: Where) -> Tuple[Optional[InstallLine],
                                                               List[LabWarning]]:
    """A requirements file line: options (-i, -r, ...) and/or one requirement (which may hold
    spaces: ``name >= 1 ; python_version < "3.9"``)."""
    body = re.split(r"(^|\s)#", text, maxsplit=1)[0].strip()
    if not body:
        return None, []
    if body.startswith("-"):
        try:
            words = shlex.split(body)
        except ValueError as exc:
            return None, [LabWarning(where, "cannot read %r: %s" % (text, exc))]
        line, warnings = parse_pip_args(["install"] + words, where, text.strip())
        return InstallLine(where, "requirements", "install", text.strip(), line.items,
                           line.index_url, line.extra_index_urls, line.trusted_hosts,
                           line.find_links, line.requirement_files, line.constraint_files,
                           line.options), warnings
    item, problem = parse_item(body)
    warnings = [LabWarning(where, problem)] if problem else []
    return (InstallLine(where, "requirements", "install", text.strip(),
                        (item,) if item else ()), warnings)
