"""The command line: build, check, serve, new."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .build_cache import FOLDER, Built, build_options, input_key, read_cache
from .urls import check_base_url
from .problems import ContentError, format_problems, summarize
from .write import WriteError, check_out, write_site


def report_failure(error: ContentError, strict: bool, project: Path) -> int:
    print(format_problems(error.problems, project), file=sys.stderr)
    warnings = len(error.problems) - len(error.errors)
    note = f" (--strict counts the {warnings} warning{'s' * (warnings != 1)} as errors)" if strict and warnings else ""
    print(f"{summarize(error.problems)}{note}; nothing written", file=sys.stderr)
    return 1


def base_url_argument(value: str) -> str:
    """Return the --base-url value if it is a plain http(s) address; argparse reports the ValueError's words."""
    try:
        return check_base_url(value) if value else value
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def main(argv: list[str] | None = None, project: Path | None = None) -> int:
    project = project or Path(__file__).resolve().parents[2]
    parser = argparse.ArgumentParser(prog="build.py", description="Build the Xiaomi × Leica fact sheet.")
    commands = parser.add_subparsers(dest="command")
    build = commands.add_parser("build", help="check the content and write the site (the default)")
    build.add_argument("--out", type=Path, default=project / "_site", help="output folder (default: _site)")
    build.add_argument(
        "--base-url", default="", type=base_url_argument, help="absolute URL the site is published at, e.g. https://owner.github.io/repo/"
    )
    build.add_argument("--strict", action="store_true", help="treat warnings as errors")
    build.add_argument(
        "--no-search",
        dest="search",
        action="store_false",
        help="skip the full-text search index (faster; the search page then finds nothing)",
    )
    build.add_argument(
        "--no-cache",
        dest="cache",
        action="store_false",
        help=f"neither reuse nor keep the last build's output in {FOLDER}/ (it is reused only when nothing it was made from changed)",
    )
    check = commands.add_parser("check", help="run every check, write nothing")
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    serve = commands.add_parser("serve", help="preview the site, rebuilt and reloaded in the browser on every save")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this computer only)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    serve.add_argument("--project", type=Path, default=project, help="project folder to preview (default: this one)")
    commands.add_parser("schema", help="write the JSON Schemas editors use for completion into schema/")
    new = commands.add_parser("new", help="write a commented starter file for a new device or source, or append an event to the history")
    new.add_argument("kind", choices=["device", "source", "event"])
    new.add_argument("id", help="kebab-case id, also the file name and URL: xiaomi-13-ultra")
    args = parser.parse_args(argv if argv is not None else sys.argv[1:] or ["build"])
    # Imported here so that a plain build does not load the web server.
    if args.command == "serve":
        from .serve import serve as serve_site

        return serve_site(args.project, args.host, args.port)
    if args.command == "schema":
        from .schema import write_schemas

        return write_schemas(project)
    if args.command == "new":
        from .scaffold import new_file

        return new_file(project, args.kind, args.id)

    started = time.perf_counter()
    try:
        if args.command == "check":
            from .pipeline import check_project

            checked = check_project(project, args.strict)  # the build's chain up to its plan: render and write left out
            if checked.warnings:
                print(format_problems(checked.warnings, project), file=sys.stderr)
            print(
                f"content OK: {len(checked.verified.content.claims)} facts, {len(checked.verified.matches)} citations verified; {summarize(checked.warnings)}"
            )
            return 0
        cache = project / FOLDER if args.cache else None
        key = input_key(project, build_options(args.strict, args.base_url, args.search)) if cache else ""
        hit = read_cache(cache, key) if cache else None
        if hit is not None:  # before the stages are even imported: that alone takes longer than writing the site again
            check_out(args.out, project)
            write_site(hit.files, args.out)
            built = Built(hit.pages, hit.warnings, True)
        else:
            from .pipeline import build_project

            built = build_project(project, args.out, args.strict, args.base_url, args.search, cache, key)
    except ContentError as error:
        return report_failure(error, args.strict, project)
    except WriteError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if built.warnings:
        print(format_problems(built.warnings, project), file=sys.stderr)
    elapsed = time.perf_counter() - started
    reused = f" (unchanged since the last build: its output reused from {FOLDER}/)" if built.reused else ""
    print(f"built {built.pages} pages into {args.out} in {elapsed:.2f} s{reused}; {summarize(built.warnings)}")
    return 0
