"""Write a deterministic synthetic project of N devices in our content format, and the same site for Hugo.

    python bench/generate.py N OUT [--english-only]

OUT/ gets content/, seeds/ and templates/ (a project `build.py` can build) and hugo/ (the
same pages as a Hugo site: device pages with their facts and citation links, source pages
with the cited passages marked, an index and a sitemap). Same N, same bytes.

Shape: N devices with 10 facts each, every fact quoting one sentence of a source verbatim;
N/10 sources of about 3 KB of German-like text; a history of N/20 events; a Europe answer
per device. Every text has its German twin (`text_de`, ...) and every quote its renderings, and
the site publishes both editions; --english-only turns the German edition off (the same files
otherwise), to measure what the second language costs. One fact in five has Markdown in it; quotes are written with plain quotes and
dashes while the sources use typographic ones, and a quote may run across a line break.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HUGO_LAYOUTS = Path(__file__).resolve().parent / "peers" / "hugo"
FACTS_PER_DEVICE = 10
SENTENCES_PER_SOURCE = 32

WORDS = (
    "das Smartphone die Kamera der Sensor mit Leica und Xiaomi wird hat neue große kleine "
    "Objektiv Brennweite Bildqualität Farben Hersteller Markt Europa Deutschland China Start "
    "angekündigt bestätigt berichtet vorgestellt erscheint später früher zusätzlich jedoch "
    "außerdem während nach über unter für gegen ohne weil dass sollen können müssen dürfen "
    "Zusammenarbeit Partnerschaft Modell Nachfolger Vorgänger Ausstattung Display Akku Preis "
    "Euro Juli März Mai Oktober Version Software Update Gerät Geräte Händler Verkauf offiziell "
    "Gerücht Bericht Quelle Angabe Zeitraum Nutzer Fotografen Nachtmodus Zoom Weitwinkel "
    "Hauptkamera Bildsensor Zoll Blende Porträt Videos Aufnahmen schärfer heller ruhiger"
).split()
MAKERS = ["Xiaomi", "Redmi", "Poco", "Leica", "Sharp"]
STANDINGS = ["official", "report", "rumour", "opinion"]
EUROPE = ["no", "expected", "sold", "unclear"]


def q(text: str) -> str:
    """Return `text` as a YAML double-quoted scalar (a JSON string is one)."""
    return json.dumps(text, ensure_ascii=False)


def device_id(i: int) -> str:
    return f"phone-{i:05d}"


def source_id(s: int) -> str:
    return f"quelle-{s:05d}"


@dataclass
class SourceText:
    text: str  # as archived: typographic quotes and dashes, wrapped lines
    sentences: list[str]  # each sentence exactly as it appears in `text`


def make_source_text(s: int) -> SourceText:
    """Return about 3 KB of German-like text in paragraphs of four sentences, wrapped at 78 columns."""
    rng = random.Random(f"source-{s}")
    sentences = []
    for k in range(SENTENCES_PER_SOURCE):
        words = [rng.choice(WORDS) for _ in range(rng.randint(10, 16))]
        if k % 3 == 0:
            words[3] = f"„{words[3]}“"
        if k % 4 == 1:
            words.insert(6, "–")
        sentence = " ".join(words)
        sentences.append(f"{sentence[0].upper()}{sentence[1:]} {s}-{k}.")
    paragraphs = [" ".join(sentences[p : p + 4]) for p in range(0, len(sentences), 4)]
    wrapped = [textwrap.fill(p, 78) for p in paragraphs]
    title = f"Bericht {s}: Neue Kamera mit Leica"
    text = title + "\n\n" + "\n\n".join(wrapped) + "\n"
    # the sentences as they sit in the wrapped text (a line break may replace a space)
    found, cursor = [], 0
    flat = text.replace("\n", " ")
    for sentence in sentences:
        at = flat.index(sentence, cursor)
        found.append(text[at : at + len(sentence)])
        cursor = at + len(sentence)
    return SourceText(text, found)


def plain_quote(passage: str) -> str:
    """Return the passage as an editor types it: plain quotes and dashes, one line."""
    return " ".join(passage.replace("„", '"').replace("“", '"').replace("–", "-").split())


@dataclass
class Fact:
    id: str
    device: int
    text: str
    date: str
    standing: str
    source: int
    sentence: int
    europe: str | None = None
    contradicts: str | None = None
    supersedes: str | None = None


def make_facts(i: int, n_sources: int) -> list[Fact]:
    facts = []
    for j in range(FACTS_PER_DEVICE):
        fid = f"{device_id(i)}-f{j}"
        words = random.Random(f"fact-{i}-{j}").sample(
            ["camera", "sensor", "lens", "launch", "price", "market", "zoom", "display", "battery", "software"], 4
        )
        text = f"Phone {i} fact {j}: the {words[0]} and the {words[1]} were reported with the {words[2]} and the {words[3]}."
        if (i + j) % 5 == 0:
            text = f"Phone {i} fact {j}: the *{words[0]}* and the `{words[1]}` were reported with the {words[2]}."
        fact = Fact(
            id=fid,
            device=i,
            text=text,
            date=f"{2016 + (i + j) % 7}-{(i * 3 + j) % 12 + 1:02d}",
            standing=STANDINGS[(i + j) % 4],
            source=(i * FACTS_PER_DEVICE + j) % n_sources,
            sentence=(i * 3 + j * 5) % SENTENCES_PER_SOURCE,
        )
        if j == 9:
            fact.europe = EUROPE[i % 4]
        if j == 8:
            fact.europe = EUROPE[(i + 1) % 4]
            fact.contradicts = f"{device_id(i)}-f7"
        if j == 6:
            fact.supersedes = f"{device_id(i)}-f5"
        facts.append(fact)
    return facts


def fact_yaml(fact: Fact, sources: list[SourceText], indent: str) -> list[str]:
    quote = plain_quote(sources[fact.source].sentences[fact.sentence])
    if fact.sentence % 2:  # half a sentence: quotes need not be whole sentences
        quote = " ".join(quote.split()[: max(4, len(quote.split()) // 2)])
    lines = [
        f"{indent}- id: {fact.id}",
        f"{indent}  text: {q(fact.text)}",
        f"{indent}  text_de: {q(german(fact.text))}",
        f'{indent}  date: "{fact.date}"',
        f"{indent}  standing: {fact.standing}",
    ]
    for key in ("europe", "contradicts", "supersedes"):
        if getattr(fact, key):
            lines.append(f'{indent}  {key}: "{getattr(fact, key)}"')
    lines += [
        f"{indent}  citations:",
        f"{indent}    - source: {source_id(fact.source)}",
        f"{indent}      quote: {q(quote)}",
        f"{indent}      translation: {q(f'Our English rendering of sentence {fact.sentence} of the report')}",
    ]
    return lines


def german(text: str) -> str:
    """Return a stand-in German text as long as `text`, different from it."""
    return "DE: " + text


def quote_of(fact: Fact, sources: list[SourceText]) -> str:
    """Return the cited stretch of the source exactly as archived (what gets highlighted)."""
    passage = sources[fact.source].sentences[fact.sentence]
    if fact.sentence % 2:
        words = plain_quote(passage).split()
        keep = max(4, len(words) // 2)
        # the same number of words of the original, whose whitespace may include a line break
        cut, seen = 0, 0
        while seen < keep:
            while cut < len(passage) and passage[cut].isspace():
                cut += 1
            while cut < len(passage) and not passage[cut].isspace():
                cut += 1
            seen += 1
        passage = passage[:cut]
    return passage


def generate(n: int, out: Path, german_edition: bool = True) -> dict[str, int]:
    """Write the project and its Hugo twin into `out` (emptied first); return counts."""
    if out.exists():
        shutil.rmtree(out)
    n_sources = max(1, n // 10)
    n_events = max(1, n // 20)
    content, seeds = out / "content", out / "seeds"
    for folder in (content / "devices", content / "sources", content / "pages", seeds):
        folder.mkdir(parents=True)
    shutil.copytree(REPO / "templates", out / "templates")

    sources = [make_source_text(s) for s in range(n_sources)]
    (content / "site.yaml").write_text(
        'title: Synthetic fact sheet\ndescription: A generated site for the benchmark.\nlanguage: en\nbase_url: ""\nas_of: "2024-05"\n'
        "title_de: Synthetisches Faktenblatt\ndescription_de: Eine für den Benchmark erzeugte Website.\n"
        + ("translations: [de]\n" if german_edition else ""),
        "utf-8",
    )
    (content / "pages" / "about.md").write_text(
        "---\ntitle: About\ndescription: About the synthetic site.\n---\nThis site is **generated** for the benchmark.\n", "utf-8"
    )
    (content / "pages" / "about.de.md").write_text(
        "---\ntitle: Über\ndescription: Über die synthetische Website.\n---\nDiese Website ist für den Benchmark **erzeugt**.\n", "utf-8"
    )
    for s, source in enumerate(sources):
        (seeds / f"src-{s:05d}.txt").write_text(source.text, "utf-8")
        (content / "sources" / f"{source_id(s)}.yaml").write_text(
            "\n".join(
                [
                    f"title: {q(f'Bericht {s}: Neue Kamera mit Leica')}",
                    f"title_en: {q(f'Report {s}: new camera with Leica')}",
                    f"publisher: {q(f'Technikblog {s % 7}')}",
                    "language: de",
                    f'published: "{2016 + s % 7}-{s % 12 + 1:02d}"',
                    f"file: src-{s:05d}.txt",
                    f"sha256: {hashlib.sha256(source.text.encode('utf-8')).hexdigest()}",
                    f"url: https://example.org/artikel/{s}",
                ]
            )
            + "\n",
            "utf-8",
        )

    all_facts: list[list[Fact]] = []
    for i in range(n):
        facts = make_facts(i, n_sources)
        all_facts.append(facts)
        lines = [
            f"name: {q(f'Phone {i}')}",
            f"maker: {MAKERS[i % len(MAKERS)]}",
            f"series: {q(f'Series {i // 10}')}",
            f"series_de: {q(f'Serie {i // 10}')}",
            "status: announced",
            f'announced: "{2015 + i % 10}-{i % 12 + 1:02d}"',
        ]
        if i % 10:
            lines.append(f"predecessor: {device_id(i - 1)}")
        if (i + 1) % 10 and i + 1 < n:
            lines.append(f"successor: {device_id(i + 1)}")
        lines += [
            f"leica: {['branded', 'not-branded', 'expected', 'unknown'][i % 4]}",
            "markets: [China, Europe]" if i % 2 else "markets: [China]",
            "markets_de: [China, Europa]" if i % 2 else "markets_de: [China]",
            f"summary: {q(f'Phone {i} is a synthetic device of series {i // 10}.')}",
            f"summary_de: {q(f'Phone {i} ist ein synthetisches Gerät der Serie {i // 10}.')}",
            "facts:",
        ]
        for fact in facts:
            lines += fact_yaml(fact, sources, "  ")
        (content / "devices" / f"{device_id(i)}.yaml").write_text("\n".join(lines) + "\n", "utf-8")

    events = []
    for k in range(n_events):
        s = k % n_sources
        event = Fact(
            id=f"event-{k:05d}",
            device=-1,
            text=f"Event {k} of the partnership was reported.",
            date=f"{2016 + k % 7}-{k % 12 + 1:02d}",
            standing=STANDINGS[k % 4],
            source=s,
            sentence=(k * 7) % SENTENCES_PER_SOURCE,
        )
        events.append(event)
    lines = ["events:"]
    for k, event in enumerate(events):
        body = fact_yaml(event, sources, "  ")
        devices = ", ".join(device_id(d) for d in sorted({(k * 20) % n, (k * 20 + 1) % n}))
        lines += body[:1] + [f"    title: {q(f'Event {k}')}", f"    title_de: {q(f'Ereignis {k}')}", f"    devices: [{devices}]"] + body[1:]
    (content / "history.yaml").write_text("\n".join(lines) + "\n", "utf-8")
    lines = ["devices:"]
    for i in range(n):
        lines += [
            f"  - device: {device_id(i)}",
            f"    reasoning: {q(f'The latest dated claim about Phone {i} decides.')}",
            "    reasoning_de: Die neueste Aussage entscheidet.",  # short: europe.yaml must stay under load's 2 MB a file
            f"    claims: [{device_id(i)}-f8, {device_id(i)}-f9]",
        ]
    (content / "europe.yaml").write_text("\n".join(lines) + "\n", "utf-8")

    write_hugo(out / "hugo", n, sources, all_facts)
    return {"devices": n, "sources": n_sources, "events": n_events, "facts": n * FACTS_PER_DEVICE + n_events}


def passage_anchor(fact: Fact) -> str:
    return f"p-{fact.source}-{fact.sentence}"


def write_hugo(site: Path, n: int, sources: list[SourceText], all_facts: list[list[Fact]]) -> None:
    """Write the same devices and sources as a Hugo site; the layouts live in bench/peers/hugo/."""
    shutil.copytree(HUGO_LAYOUTS / "layouts", site / "layouts")
    shutil.copy(HUGO_LAYOUTS / "hugo.toml", site / "hugo.toml")
    pages = site / "content"
    (pages / "devices").mkdir(parents=True)
    (pages / "sources").mkdir(parents=True)
    (pages / "_index.md").write_text("---\ntitle: Synthetic fact sheet\n---\n", "utf-8")
    (pages / "devices" / "_index.md").write_text("---\ntitle: Devices\n---\n", "utf-8")
    (pages / "sources" / "_index.md").write_text("---\ntitle: Sources\n---\n", "utf-8")
    citing: dict[int, dict[int, list[Fact]]] = {}
    for facts in all_facts:
        for fact in facts:
            citing.setdefault(fact.source, {}).setdefault(fact.sentence, []).append(fact)
    for i, facts in enumerate(all_facts):
        page = {
            "title": f"Phone {i}",
            "maker": MAKERS[i % len(MAKERS)],
            "announced": f"{2015 + i % 10}-{i % 12 + 1:02d}",
            "europe": EUROPE[i % 4],
            "facts": [
                {
                    "id": f.id,
                    "text": f.text,
                    "date": f.date,
                    "standing": f.standing,
                    "source": source_id(f.source),
                    "source_title": f"Bericht {f.source}: Neue Kamera mit Leica",
                    "anchor": passage_anchor(f),
                    "quote": plain_quote(quote_of(f, sources)),
                }
                for f in sorted(facts, key=lambda f: f.date)
            ],
        }
        write_front_matter(pages / "devices" / f"{device_id(i)}.md", page)
    for s, source in enumerate(sources):
        passages = []
        for sentence, facts in sorted(citing.get(s, {}).items()):
            # the longest quote of this sentence covers the others (they all start at its start)
            marked = max((quote_of(f, sources) for f in facts), key=len)
            passages.append(
                {
                    "id": f"p-{s}-{sentence}",
                    "text": marked,
                    "facts": [{"device": device_id(f.device), "name": f"Phone {f.device}", "id": f.id, "text": f.text} for f in facts],
                }
            )
        write_front_matter(
            pages / "sources" / f"{source_id(s)}.md",
            {
                "title": f"Bericht {s}: Neue Kamera mit Leica",
                "language": "de",
                "paragraphs": [p for p in source.text.split("\n\n") if p.strip()],
                "passages": passages,
            },
        )


def write_front_matter(file: Path, data: dict) -> None:
    """Write a content page that is all front matter, as JSON: Hugo reads it several times faster than YAML."""
    file.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", "utf-8")


def main(argv: list[str]) -> int:
    english_only = "--english-only" in argv
    argv = [a for a in argv if a != "--english-only"]
    if len(argv) != 2 or not argv[0].isdigit():
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    counts = generate(int(argv[0]), Path(argv[1]), german_edition=not english_only)
    print(", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
