"""`build.py new device|source|event <id>`: a commented starter file (or event) whose placeholders the check refuses until filled in."""

from __future__ import annotations

import hashlib
import re
import sys
import textwrap
import unicodedata
from pathlib import Path

import yaml

ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # always fullmatch: `$` would let a trailing newline through
FOLDERS = {"device": "devices", "source": "sources"}

# Every placeholder is "": the model refuses an empty value with a located error, so a
# starter file cannot reach the site until each one is filled in.
DEVICE = """\
# yaml-language-server: $schema=../../schema/device.schema.json
#
# The device '{id}'; its page will be devices/{id}/. Lines starting with # are comments.
# Fill in every "" below (the check refuses an empty value and points at each one),
# remove the # in front of the optional keys you need, then run `make check`, or
# `make serve` to watch the page as you save. How to: docs/editing.md.

# The name as sold, e.g. Xiaomi 12S Ultra.
name: ""
# Who makes it, e.g. Xiaomi.
maker: ""
# announced (presented by the maker), expected (the maker said it is coming)
# or rumoured (only reported; a name that may never ship).
status: ""
# Leica branding on the device: branded, not-branded, expected or unknown.
leica: ""

# Optional keys.
# The series it belongs to, e.g. Xiaomi 12S series.
# series: ""
# For the German edition: every text key has a German twin, the same key with _de after it,
# e.g. Xiaomi-12S-Serie (see "The German edition" in docs/editing.md).
# series_de: ""
# When it was announced, as precise as known: "2022", "2022-07", "2022-07-04" or "late 2022-03".
# announced: ""
# How that date was found, when no source prints it.
# announced_note: ""
# announced_note_de: ""
# The ids (file names in content/devices/) of the device before and after it.
# predecessor: ""
# successor: ""
# For a rumoured name only: the id of the device it shipped as.
# shipped_as: ""
# Where it is sold, and other names it goes by.
# markets: [Mainland China]
# markets_de: [Festlandchina]
# aka: [Xiaomi 12 S Ultra]
# Two or three sentences for the top of its page.
# summary: ""
# summary_de: ""

# The facts: each a claim in your own words, backed by verbatim passages of the sources.
facts:
  # Unique among all facts and history events, lower-case words joined by hyphens;
  # it becomes the fact's anchor, e.g. {id}-announced-in-china.
  - id: ""
    # The fact in your own words, in English; *emphasis* and [links](https://...) work.
    text: ""
    # The same fact in German, for the German edition.
    # text_de: ""
    # When the claim was made (the article's date if the claim has none), e.g. "2022-07".
    date: ""
    # Optional: how that date was found, when the source does not print it.
    # date_note: ""
    # date_note_de: ""
    # official (the maker or its people said it), report (a news outlet reports it),
    # rumour (leaks, unconfirmed) or opinion (a writer's own view).
    standing: ""
    # Optional: this fact's answer to "will it come to Europe?": "no", "expected", "sold"
    # or "unclear" (keep the quotes: YAML reads a bare no as false).
    # europe: ""
    # Optional: the id of a fact this one disagrees with, or of an earlier one it replaces.
    # contradicts: ""
    # supersedes: ""
    citations:
      # source: the id of a source, a file name in content/sources/.
{sources}
      # quote: the passage copied exactly from the source's text in seeds/, in its language:
      # whole words, at least three of them unless it is a whole sentence.
      # translation: your own faithful English rendering of a quote that is not in English
      # (the site shows it beside the quote, marked as the site's translation);
      # translation_de: the German one, of a quote that is not in German.
      # Add a further '- source: ... quote: ...' pair for each passage that backs the fact.
      - source: ""
        quote: ""
        # translation: ""
        # translation_de: ""
"""

SOURCE = """\
# yaml-language-server: $schema=../../schema/source.schema.json
#
# The source '{id}': one archived article in seeds/; its page will be sources/{id}/.
# Lines starting with # are comments. Fill in every "" below (the check refuses an empty
# value and points at each one), remove the # in front of the optional keys you need,
# then run `make check`, or `make serve` to watch the page as you save. How to: docs/editing.md.

# The headline as printed, in the article's language.
title: ""
# The language the article is written in: a code such as de, en or it.
language: ""
# The archived text: just its file name in seeds/, e.g. 000_d64c0fbc2d16105a.txt.
{seeds}
file: ""
# That file's sha256, as listed above: the build refuses the text if a single byte of it changes.
sha256: ""

# Optional keys.
# The headline in English, when the article is in another language; in German, likewise.
# title_en: ""
# title_de: ""
# A remark on the headline, e.g. that it asks a question the article answers. Every text
# key has a German twin for the German edition, the same key with _de after it.
# title_note: ""
# title_note_de: ""
# Who published it, and how you know when the text does not say.
# publisher: ""
# publisher_note: ""
# publisher_note_de: ""
# When it was published, as precise as known: "2022", "2022-07", "2022-07-04" or "mid 2022".
# published: ""
# How that date was found, when the text does not print it.
# published_note: ""
# published_note_de: ""
# Where the article was originally published (https://...).
# url: ""
# Two or three sentences on what the article says.
# summary: ""
# summary_de: ""
# Whose words the article passes on, and through what.
# relays:
#   - name: Android Authority
#     via: a statement by a Xiaomi spokesperson
#     via_de: eine Aussage eines Xiaomi-Sprechers
"""


EVENT = """
  # The event '{id}', whose anchor on the history page is #{id}. Fill in every "" below
  # (the check refuses an empty value and points at each one), remove the # in front of the
  # optional keys you need, then run `make check`. How to: docs/editing.md.
  - id: {id}
    # When it happened, as precise as known: "2022", "2022-07", "2022-07-04" or "late 2022-03";
    # for a statement with no date of its own, the date of the article that makes it.
    date: ""
    # Optional: how that date was found, when the source does not print it.
    # date_note: ""
    # date_note_de: ""
    # The headline on the timeline, e.g. Xiaomi and Leica announce their partnership.
    title: ""
    # What happened, in your own words, in English; *emphasis* and [links](https://...) work.
    text: ""
    # The headline and the text in German, for the German edition.
    # title_de: ""
    # text_de: ""
    # official (a company or its people said it), report (a news outlet reports it),
    # rumour (leaks, unconfirmed) or opinion (a writer's own view).
    standing: ""
    # Optional: the ids (file names in content/devices/) of the devices it concerns.
    # devices: [xiaomi-12s-ultra]
    # Optional: the camera partnership it is about, named by its companies (the history's timeline
    # draws one bar per name), and whether it dates that partnership's start or a (likely) end.
    # partnership: Xiaomi–Leica
    # partnership_marks: start
    # Optional: its answer to "will it come to Europe?": "no", "expected", "sold" or "unclear".
    # europe: ""
    # Optional: the id of a fact or event this one disagrees with, or of an earlier one it replaces.
    # contradicts: ""
    # supersedes: ""
    citations:
      # source: the id of a source, a file name in content/sources/.
{sources}
      # quote: the passage copied exactly from the source's text in seeds/, in its language.
      - source: ""
        quote: ""
        # translation: ""
        # translation_de: ""
"""


def comment(text: str, indent: str) -> str:
    # Ids hold hyphens: breaking there would split an id across two comment lines.
    return "\n".join(
        textwrap.wrap(
            text, 96, initial_indent=f"{indent}# ", subsequent_indent=f"{indent}#   ", break_on_hyphens=False, break_long_words=False
        )
    )


def known_sources(project: Path) -> str:
    ids = sorted(f.stem for f in (project / "content/sources").glob("*.yaml"))
    return comment(
        f"Known sources: {', '.join(ids)}." if ids else "There is no source yet: add one with `.venv/bin/python build.py new source <id>`.",
        "      ",
    )


def free_seeds(project: Path) -> str:
    """Return a comment listing the archived texts no source describes yet."""
    used = set()
    for file in (project / "content/sources").glob("*.yaml"):
        try:
            used.add(yaml.safe_load(file.read_text(encoding="utf-8")).get("file"))
        except (OSError, UnicodeError, yaml.YAMLError, AttributeError):
            continue  # a broken source file is the check's business, not ours
    free = sorted(f for f in (project / "seeds").glob("*.txt") if f.name not in used)
    if not free:
        return "# Every text in seeds/ has a source already: put the new article's text there first."
    return "\n".join(
        ["# Not yet described by a source, each with the sha256 that pins it:"]
        + [f"#   {f.name}  sha256: {hashlib.sha256(f.read_bytes()).hexdigest()}" for f in free]
    )


def suggest_id(text: str) -> str:
    """Return the kebab-case id `text` probably means: `Xiaomi 12S Ultra` -> `xiaomi-12s-ultra`, `bêta` -> `beta`."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join(re.findall(r"[a-z0-9]+", plain.lower()))[:80].rstrip("-")


def new_file(project: Path, kind: str, id: str) -> int:
    """Write the starter file content/<kind>s/<id>.yaml (or append an event); refuse a bad id or an existing file. Return the exit status."""
    if not ID.fullmatch(id) or len(id) > 80:
        suggestion = suggest_id(id)
        hint = f" (did you mean '{suggestion}'?)" if suggestion and suggestion != id else ""
        print(
            f"error: '{id}' is not an id{hint}; an id is lower-case words and digits joined by single hyphens "
            f"(kebab-case, at most 80 characters), like 'xiaomi-12s-ultra'",
            file=sys.stderr,
        )
        return 1
    if kind == "event":
        return new_event(project, id)
    relative = f"content/{FOLDERS[kind]}/{id}.yaml"
    text = DEVICE.format(id=id, sources=known_sources(project)) if kind == "device" else SOURCE.format(id=id, seeds=free_seeds(project))
    target = project / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with target.open("x", encoding="utf-8") as out:  # "x": never overwrite, even if created a moment ago
            out.write(text)
    except FileExistsError:
        print(f"error: {relative} exists already; edit that file, or pick another id", file=sys.stderr)
        return 1
    print(f'wrote {relative}: fill in every "" (the check points at each one left), then run `make check`')
    return 0


def new_event(project: Path, id: str) -> int:
    """Append a commented event with the id `id` to content/history.yaml; refuse an id it has already. Return the exit status."""
    relative = "content/history.yaml"
    history = project / relative
    try:
        text = history.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as exc:
        print(f"error: cannot read {relative} ({exc}); the site needs it, with a line 'events:'", file=sys.stderr)
        return 1
    if re.search(rf"^\s*(?:- )?id:\s*['\"]?{re.escape(id)}['\"]?\s*$", text, re.MULTILINE):
        print(f"error: an event '{id}' is in {relative} already; edit it there, or pick another id", file=sys.stderr)
        return 1
    event = EVENT.format(id=id, sources=known_sources(project))
    with history.open("a", encoding="utf-8") as out:
        out.write(event if text.endswith("\n") else "\n" + event)
    print(f"wrote an event '{id}' at the end of {relative}: fill in every \"\" (the check points at each one left), then run `make check`")
    return 0
