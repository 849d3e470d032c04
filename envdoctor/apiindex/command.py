"""``envdoctor matrix api-index``: download, read, and write the index (for maintainers)."""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

__all__ = ["add_arguments", "run_command", "plan_versions", "resolve_proxies", "DEFAULT_PROXIES"]

DEFAULT_MAX_DEPTH = 4  # keep in step with reader.DEFAULT_MAX_DEPTH (not imported: --help stays fast)
BIG_WHEEL = 100 * 1024 * 1024  # downloaded wheels above this are deleted after indexing
# The release whose names a lazy proxy module is resolved with: mindnlp 0.5's
# mindnlp.transformers is transformers itself (>=4.55 declared, no upper bound); 4.56.2 is
# the transformers of the verified gpt-imdb lock (recipes/locks/gpt-imdb-py3.11-*.txt).
DEFAULT_PROXIES = ("transformers==4.56.2",)


def add_arguments(parser: Any) -> None:
    """The flags of ``envdoctor matrix api-index``."""
    parser.add_argument("--packages", default="mindspore,mindnlp", metavar="A,B",
                        help="packages to index (default: mindspore,mindnlp)")
    parser.add_argument("--versions", metavar="V,...",
                        help="versions to (re)index: '2.0.0,2.7.0', 'mindnlp==0.1.1', a "
                             "differently named build such as "
                             "'mindspore-cuda11-dev==2.0.0.dev20221108', or 'all' (every "
                             "version pip sees); default: the versions on the index that the "
                             "file does not have yet")
    parser.add_argument("--source", metavar="PATH",
                        help="index a wheel file, a source folder or a git repository instead "
                             "of downloading (with one package in --packages)")
    parser.add_argument("--ref", metavar="REF", help="with a git --source: the tag or commit")
    parser.add_argument("--label", metavar="TEXT",
                        help="with --source: the version label (default '0.1.1 (git tag "
                             "v0.1.1)' for a git tag)")
    parser.add_argument("--url", metavar="URL",
                        help="with a git --source: the public repository, for install commands")
    parser.add_argument("--find-links", action="append", default=[], metavar="DIR",
                        help="folders with wheels to use before downloading (repeatable)")
    parser.add_argument("--cache", metavar="DIR",
                        help="where downloaded wheels go (default $ENVDOCTOR_WHEEL_CACHE or "
                             "~/.cache/envdoctor/wheels)")
    parser.add_argument("--python-version", action="append", default=[], metavar="X.Y",
                        help="Python whose wheel to download (repeatable; default: try "
                             "3.11, 3.10, 3.9, 3.12, 3.8, 3.7)")
    parser.add_argument("--platform", action="append", default=[], metavar="TAG",
                        help="platform tag for pip download (default: manylinux x86_64 tags)")
    parser.add_argument("--modules", metavar="M,...",
                        help="modules whose names to index (default: the lab modules)")
    parser.add_argument("--max-depth", type=int, default=DEFAULT_MAX_DEPTH, metavar="N",
                        help="list modules of up to N dotted parts (default %d: "
                             "mindnlp.transformers.models.gpt)" % DEFAULT_MAX_DEPTH)
    parser.add_argument("--keep-wheels", action="store_true",
                        help="keep downloaded wheels over 100 MB (default: delete after "
                             "indexing; wheels found via --find-links are never deleted)")
    parser.add_argument("--proxy", action="append", default=[], metavar="DIST==VERSION",
                        help="resolve a lazy proxy module of DIST (mindnlp 0.5's "
                             "mindnlp.transformers is transformers) with the names of this "
                             "release, read from its wheel (repeatable; default %s)"
                             % ", ".join(DEFAULT_PROXIES))
    parser.add_argument("--fresh", action="store_true",
                        help="start a new file instead of updating the existing one")
    parser.add_argument("--dry-run", action="store_true",
                        help="say what would be indexed and stop")
    parser.add_argument("-o", "--output", metavar="PATH",
                        help="index file to write (default: the bundled api_index.json)")


def _split(text: Optional[str]) -> List[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def plan_versions(packages: Sequence[str], versions: Optional[str], existing: Any,
                  lister: Optional[Callable[[str], List[str]]] = None
                  ) -> List[Tuple[str, str, str]]:
    """(family, dist, version) to index, from --packages / --versions; ``lister`` gives the
    versions on the index (default ``pip index versions``)."""
    from envdoctor.apiindex.fetch import index_versions
    from envdoctor.snapshot import canonical_name

    lister = lister or index_versions

    items = _split(versions)
    plan: List[Tuple[str, str, str]] = []
    for family in packages:
        wanted: List[Tuple[str, str]] = []
        if not items:
            have = set(e.label for e in existing.packages[family].versions) \
                if family in existing.packages else set()
            wanted = [(family, v) for v in lister(family) if v not in have]
        for item in items:
            if item == "all":
                wanted += [(family, v) for v in lister(family)]
            elif "==" in item:
                dist, _, version = item.partition("==")
                dkey = canonical_name(dist.strip())
                owner = [p for p in packages if dkey == canonical_name(p)] or \
                        [p for p in packages if dkey.startswith(canonical_name(p) + "-")]
                if owner and owner[0] == family:
                    wanted.append((dist.strip(), version.strip()))
            else:
                wanted.append((family, item))
        for dist, version in wanted:
            if (family, dist, version) not in plan:
                plan.append((family, dist, version))
    return plan


def run_command(args: Any) -> int:
    """``envdoctor matrix api-index``: download, read, and write the index."""
    from envdoctor.apiindex.fetch import (PLATFORM_TRIES, PYTHON_TRIES, default_cache_dir,
                                          download_wheel, find_wheel)
    from envdoctor.apiindex.model import ApiIndex, dump_api_index, load_api_index
    from envdoctor.apiindex.reader import index_source, index_wheel
    from envdoctor.errors import EXIT_OK, UsageError
    from envdoctor.resources import api_index_path

    def log(text: str) -> None:
        sys.stderr.write("envdoctor: %s\n" % text)
        sys.stderr.flush()

    output = args.output or api_index_path()
    packages = _split(args.packages)
    if not packages:
        raise UsageError("--packages names no package")
    modules = _split(args.modules) or None
    if os.path.exists(output) and not args.fresh:
        index = load_api_index(output)
    else:
        index = ApiIndex(output, {})
    index = ApiIndex(output, index.packages, index.generated)

    def save(current: Any) -> None:
        text = dump_api_index(current)
        folder = os.path.dirname(os.path.abspath(output))
        os.makedirs(folder, exist_ok=True)
        tmp = output + ".tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, output)

    if args.source:
        if len(packages) != 1:
            raise UsageError("--source indexes one package: give --packages NAME")
        if args.dry_run:
            sys.stdout.write("would index %s from %s%s\n" % (
                packages[0], args.source, " at " + args.ref if args.ref else ""))
            return EXIT_OK
        entry, info = index_source(args.source, packages[0], args.ref, args.label, args.url,
                                   modules, args.max_depth)
        index = index.with_version(packages[0], entry, info)
        save(index)
        log("indexed %s %s: %d modules" % (packages[0], entry.label, len(info.modules)))
        _summary(index, output)
        return EXIT_OK
    if args.ref or args.label or args.url:
        raise UsageError("--ref, --label and --url go with --source")

    plan = plan_versions(packages, args.versions, index)
    if args.dry_run or not plan:
        for family, dist, version in plan:
            sys.stdout.write("would index %s: %s==%s\n" % (family, dist, version))
        if not plan:
            sys.stdout.write("%s: nothing to index (every version on the index is in it; "
                             "use --versions)\n" % output)
            _summary(index, output)
        return EXIT_OK
    cache = args.cache or default_cache_dir()
    folders = [cache] + list(args.find_links)
    pythons = args.python_version or list(PYTHON_TRIES)
    platforms = args.platform or list(PLATFORM_TRIES)
    for family, dist, version in plan:
        path = find_wheel(dist, version, folders)
        downloaded = False
        if path is None:
            path = download_wheel(dist, version, cache, args.find_links, pythons, platforms,
                                  log=log)
            downloaded = True
        log("reading %s" % path)
        entry, info = index_wheel(path, family, modules, args.max_depth)
        info = resolve_proxies(info, args.proxy or list(DEFAULT_PROXIES), folders, cache,
                               args.find_links, log)
        index = index.with_version(family, entry, info)
        save(index)
        log("indexed %s %s: %d modules, %d lab modules" % (family, entry.label,
                                                            len(info.modules),
                                                            len(info.exports)))
        size = os.path.getsize(path)
        if downloaded and not args.keep_wheels and size > BIG_WHEEL:
            os.remove(path)
            log("deleted %s (%d MB; --keep-wheels keeps it)" % (path, size // (1 << 20)))
    _summary(index, output)
    return EXIT_OK


def resolve_proxies(info: Any, pins: Sequence[str], folders: Sequence[str], cache: str,
                    find_links: Sequence[str], log: Callable[[str], None]) -> Any:
    """Replace each lazy proxy module's unknown names (``dynamic`` + ``open``) by the names of
    the pinned release of the package it stands for, recorded under ``proxies``."""
    import dataclasses

    from envdoctor.apiindex.fetch import PLATFORM_TRIES, PYTHON_TRIES, download_wheel, find_wheel
    from envdoctor.apiindex.reader import lazy_exports, proxied_distributions
    from envdoctor.snapshot import canonical_name

    wanted: Dict[str, str] = {}
    for pin in pins:
        dist, _, version = pin.partition("==")
        if dist.strip() and version.strip():
            wanted[canonical_name(dist.strip())] = version.strip()
    exports, open_ = dict(info.exports), dict(info.open)
    dynamic, proxies = set(info.dynamic), dict(info.proxies)
    for module, target in proxied_distributions(info).items():
        version = wanted.get(canonical_name(target))
        if version is None:
            continue
        path = find_wheel(target, version, folders) or download_wheel(
            target, version, cache, find_links, list(PYTHON_TRIES), list(PLATFORM_TRIES), log=log)
        exports[module] = lazy_exports(path, target.replace("-", "_"))
        open_.pop(module, None)
        dynamic.discard(module)
        proxies[module] = "%s==%s" % (target, version)
        log("resolved %s as %s==%s: %d names" % (module, target, version, len(exports[module])))
    return dataclasses.replace(info, exports=exports, open=open_, dynamic=frozenset(dynamic),
                               proxies=proxies)


def _summary(index: Any, output: str) -> None:
    size = os.path.getsize(output) if os.path.exists(output) else 0
    parts = ["%s %d versions" % (name, len(pkg.versions))
             for name, pkg in sorted(index.packages.items())]
    sys.stdout.write("%s: %s (%d KB)\n" % (output, ", ".join(parts), (size + 1023) // 1024))
    for name, pkg in sorted(index.packages.items()):  # what a static check can answer for
        sys.stdout.write("  %s: %s\n" % (name, ", ".join(v.label for v in pkg.versions)))
