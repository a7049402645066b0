"""The `leafgen` command. Heavy modules are imported inside commands, so --help is instant."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, TypeVar

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="leafgen")
@click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=".",
              show_default=True, help="Folder holding leaflets/ authorities/ templates/ translations/.")
@click.pass_context
def main(ctx: click.Context, project: Path) -> None:
    """Accessible multilingual leaflets from one source."""
    ctx.obj = project.resolve()


@main.command()
@click.argument("folder", metavar="DIR", type=click.Path(path_type=Path))
def new(folder: Path) -> None:
    """Make a new project in DIR (a new or empty folder) that builds as it is: the shared
    leaflet, an example council, leafgen.yaml, a README and a CI workflow."""
    from leafgen.new import NewError, create
    try:
        create(folder, click.echo)
    except NewError as e:
        raise click.ClickException(str(e)) from None


STRICT_HELP = ("Make a missing or out-of-date translation an error (as `translations: strict` "
               "in leafgen.yaml) instead of showing the English, marked.")


@main.command()
@click.option("--strict", is_flag=True, help=STRICT_HELP)
@click.pass_obj
def validate(project: Path, strict: bool) -> None:
    """Load and check all content; print every problem; exit 1 if any. Texts with no
    current translation are warnings: they are shown in English, marked, until translated."""
    from leafgen.coverage import warnings
    from leafgen.pipeline import Project
    opened = Project(project)
    docs = opened.documents(strict=strict)
    for line in [*map(str, opened.warnings), *warnings(opened.gaps, opened.problems)]:
        click.echo(line, err=True)
    click.echo(f"ok: {len(docs)} documents "
               f"({len({d.authority_id for d in docs})} authorities, "
               f"{len({d.leaflet_id for d in docs})} leaflets, "
               f"{len({d.lang for d in docs})} languages), no errors"
               + (f"; {len(opened.warnings)} translation warnings" if opened.warnings else "")
               + (f"; {len(opened.gaps)} texts shown in English until translated"
                  if opened.gaps else "") + (" (above)" if opened.warnings or opened.gaps else ""))


@main.command()
@click.option("--compare", multiple=True, type=click.Path(dir_okay=False, exists=True, path_type=Path),
              metavar="FILE", help="A leaflet as plain text (e.g. tests/seeds/*.txt) to compare "
              "the reading figures with.")
@click.pass_obj
def check(project: Path, compare: tuple[Path, ...]) -> None:
    """Plain-English checks of the English text: long sentences, reading age, jargon
    (warnings at file:line), then reading figures per leaflet and council."""
    from leafgen import plain
    from leafgen.pipeline import Project, Selection
    texts = plain.written_texts(Project(project).documents(Selection(langs=("en",))))
    findings = plain.findings(texts)
    for finding in findings:
        click.echo(str(finding))
    by_file: dict[str, list[str]] = {}
    for where, text in texts.items():
        by_file.setdefault(plain.place(where)[0], []).append(text)
    click.echo(f"{len(findings)} warning{'s' if len(findings) != 1 else ''}; reading figures "
               f"(aim: at most {plain.SENTENCE_LIMIT} words a sentence, reading age "
               f"{plain.READING_AGE_TARGET} or under):")
    for path, own in by_file.items():
        click.echo("  " + plain.figures(own).row(path))
    for other in compare:
        click.echo("  " + plain.figures(plain.seed_texts(other)).row(str(other)))


@main.command()
@click.option("--authority", required=True, metavar="ID", help="The council whose leaflet to show.")
@click.option("--leaflet", metavar="ID", default=None, help="The leaflet (default: the first).")
@click.option("--lang", default="en", show_default=True, metavar="CODE",
              help="The language shown first (the page switches between them).")
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@click.pass_obj
def preview(project: Path, authority: str, leaflet: str | None, lang: str, port: int) -> None:
    """A page on this computer showing a council's leaflet as you edit: it updates itself
    when a file is saved, shows a broken file's problems at file:line, each language's
    share translated, and (in English) the plain-English warnings. Ctrl-C stops it."""
    from leafgen.preview import run
    run(project, authority, leaflet, lang, port)


@main.command()
@click.pass_obj
def extract(project: Path) -> None:
    """Write translations/leafgen.pot and update every translations/<lang>.po from it."""
    from leafgen.translate import extract as run
    changed = run(project)
    for path in changed:
        click.echo(f"updated {path.relative_to(project)}")
    click.echo(f"{len(changed)} file{'s' if len(changed) != 1 else ''} changed")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output for CI.")
@click.pass_obj
def status(project: Path, as_json: bool) -> None:
    """Translation status per language, and which formats each language can have; then,
    per council and leaflet, how much of each language is translated."""
    import json
    from leafgen.translate import status_report
    report = status_report(project)
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    keys = ["reviewed", "draft", "machine", "stale", "missing"]
    click.echo(f"{'lang':<5}{'language':<10}" + "".join(f"{k:>9}" for k in keys)
               + f"{'coverage':>10}  formats")
    for r in report["languages"]:
        formats = " ".join(n for n, why in r["formats"].items() if why == "ok")
        cover = "source" if r["lang"] == "en" else f"{r['coverage']:.0%}"
        click.echo(f"{r['lang']:<5}{r['name']:<10}" + "".join(f"{r[k]:>9}" for k in keys)
                   + f"{cover:>10}  {formats}")
    docs = report["documents"]
    langs = list(dict.fromkeys(d["lang"] for d in docs))
    if langs:
        click.echo("\ntranslated, per council and leaflet (the rest is shown in English, marked):")
        names = {(d["authority"], d["leaflet"]): f"{d['authority']}/{d['leaflet']}" for d in docs}
        width = max(len(n) for n in names.values()) + 2
        click.echo(f"{'council/leaflet':<{width}}" + "".join(f"{lang:>6}" for lang in langs))
        percent = {(d["authority"], d["leaflet"], d["lang"]): d["percent"] for d in docs}
        for (a, lf), name in names.items():
            click.echo(f"{name:<{width}}" + "".join(
                f"{str(percent[(a, lf, lang)]) + '%' if (a, lf, lang) in percent else '-':>6}"
                for lang in langs))


@main.command()
@click.option("--lang", required=True, metavar="CODE", help="Language to fill, e.g. ur.")
@click.pass_obj
def translate(project: Path, lang: str) -> None:
    """Fill missing and stale translations with Argos machine translation (status: machine)."""
    from leafgen.languages import LANGUAGES, SOURCE_LANGUAGE
    from leafgen.mt import MtError
    from leafgen.translate import machine_translate
    if lang not in LANGUAGES or lang == SOURCE_LANGUAGE:
        raise click.ClickException(f"unknown language '{lang}'; choose from: "
                                   + ", ".join(c for c in LANGUAGES if c != SOURCE_LANGUAGE))
    try:
        filled, failed = machine_translate(project, lang)
    except MtError as e:
        raise click.ClickException(str(e)) from None
    for line in failed:
        click.echo(line, err=True)
    click.echo(f"{filled} entries machine-translated into {lang} (status: machine), "
               f"{len(failed)} failed")
    if failed:
        sys.exit(1)


@main.command(name="translation-request")
@click.option("--lang", required=True, metavar="CODE", help="The language wanted, e.g. ur.")
@click.option("--authority", metavar="ID", default=None, help="Only what this council's leaflets need.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The file to send: FILE.po (PO) or FILE.xlf (XLIFF).")
@click.pass_obj
def translation_request(project: Path, lang: str, authority: str | None, output: Path) -> None:
    """Write the texts a language needs (missing or stale), each with its context, for a
    translator or agency (PO or XLIFF)."""
    from leafgen.agency import kind_of, requests, write_request
    kind = kind_of(output)
    items = requests(project, lang, authority)
    write_request(items, lang, output)
    click.echo(f"wrote {output} ({kind}): {len(items)} text{'s' if len(items) != 1 else ''} "
               f"to translate into {lang}")


@main.command(name="translation-import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--translator", required=True, metavar="NAME", help="Who translated it (recorded).")
@click.option("--reviewed", is_flag=True,
              help="The translator is qualified and checked it: status reviewed (else draft).")
@click.pass_obj
def translation_import(project: Path, file: Path, translator: str, reviewed: bool) -> None:
    """Merge a translated PO or XLIFF file into translations/<lang>.po; refuse it all if
    any entry's placeholders, numbers or contact details differ from the English."""
    from leafgen.agency import import_answers
    lang, count = import_answers(project, file, translator, reviewed)
    click.echo(f"imported {count} translation{'s' if count != 1 else ''} into "
               f"translations/{lang}.po (status: {'reviewed' if reviewed else 'draft'})")


@main.command(name="list")
@click.pass_obj
def list_(project: Path) -> None:
    """Authorities, leaflets, languages and formats known."""
    from leafgen.formats import FORMATS
    from leafgen.languages import LANGUAGES
    from leafgen.pipeline import Project
    opened = Project(project)
    click.echo("authorities: " + ", ".join(opened.authorities))
    click.echo("leaflets:    " + ", ".join(opened.leaflets))
    ready = opened.languages
    click.echo("languages:")
    for lang in LANGUAGES.values():
        state = "ready" if lang.code in ready else "no translation yet"
        click.echo(f"  {lang.code}  {lang.english_name} ({lang.native_name}): {state}")
    click.echo("formats:")
    config = opened.config
    for fmt in FORMATS.values():
        click.echo(f"  {fmt.name:<17} {fmt.describe(config)}"
                   + (f": {fmt.unavailable_reason()}" if not fmt.available else ""))
        for code in LANGUAGES:
            if fmt.available and fmt.unavailable_reason(code):
                click.echo(f"  {'':<17}   not in {code}: {fmt.unavailable_reason(code)}")
            elif fmt.without_voice and not LANGUAGES[code].voice:
                click.echo(f"  {'':<17}   in {code}: {fmt.describe(config, lang=code)} "
                           f"({LANGUAGES[code].no_voice})")


@main.command()
@click.option("--authority", "authorities", multiple=True, metavar="ID")
@click.option("--leaflet", "leaflets", multiple=True, metavar="ID")
@click.option("--lang", "langs", multiple=True, metavar="CODE")
@click.option("--format", "formats", multiple=True, metavar="NAME")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: PROJECT/output).")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None, envvar="LEAFGEN_JOBS",
              help="Worker processes (default: the number of CPUs, one more for MP3 or EPUB; "
                   "env LEAFGEN_JOBS).")
@click.option("--shard", metavar="K/N", default=None,
              help="Build only the K-th of N deterministic parts (for a CI matrix).")
@click.option("--strict", is_flag=True, help=STRICT_HELP)
@click.pass_obj
def build(project: Path, authorities: tuple[str, ...], leaflets: tuple[str, ...],
          langs: tuple[str, ...], formats: tuple[str, ...], out: Path | None,
          jobs: int | None, shard: str | None, strict: bool) -> None:
    """Build the selected artifacts (all by default) into output/."""
    from leafgen.noop import Plan
    out = out or project / "output"
    parts = _parse_shard(shard)
    plan = Plan(project, out, authorities, leaflets, langs, formats, parts)
    reporter = _reporter()
    # told without loading anything (strict: the content must be read to be judged)
    unchanged = None if strict else plan.nothing_to_do(reporter)
    if unchanged is not None:
        click.echo(f"0 written, {len(unchanged)} unchanged, 0 failed; "
                   f"manifest: {out / 'manifest.json'}")
        return
    from leafgen.build import build as run
    from leafgen.pipeline import Selection
    result = run(project, out, Selection(authorities, leaflets, langs, formats),
                 reporter=reporter, jobs=jobs, shard=parts, plan=plan, strict=strict)
    click.echo(f"{len(result.written)} written, {len(result.unchanged)} unchanged, "
               f"{len(result.failed)} failed; manifest: {out / 'manifest.json'}")
    if result.failed:
        sys.exit(1)


def _parse_shard(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        k, n = (int(x) for x in text.split("/"))
    except ValueError:
        k = n = 0
    if not 1 <= k <= n:
        raise click.BadParameter(f"'{text}' is not K/N with 1 <= K <= N, e.g. 2/4",
                                 param_hint="--shard")
    return k, n


Command = TypeVar("Command", bound=Callable[..., Any])


def _family_options(command: Command) -> Command:
    from leafgen.labels import FIELD_LABELS
    for name, label in reversed(FIELD_LABELS.items()):
        command = click.option(f"--{name.replace('_', '-')}", name, metavar="TEXT",
                               help=f"{label} (filled in; never stored).")(command)
    return command


@main.command()
@click.option("--authority", required=True, metavar="ID")
@click.option("--leaflet", required=True, metavar="ID")
@click.option("--lang", "langs", multiple=True, required=True, metavar="CODE")
@click.option("--format", "formats", multiple=True, required=True, metavar="NAME")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The zip to write.")
@click.option("--details", "details", type=click.File("r", encoding="utf-8", errors="strict"),
              default=None, metavar="FILE|-",
              help="The family's details from a YAML or JSON file, or - for standard input "
                   "(field: value, the field names below with _ for -): off the command line.")
@click.option("--ask", is_flag=True,
              help="Ask for each detail not given: typed at the prompt, kept off the command "
                   "line and out of the shell's history.")
@_family_options
@click.pass_obj
def pack(project: Path, /, authority: str, leaflet: str, langs: tuple[str, ...],
         formats: tuple[str, ...], output: Path, details: Any, ask: bool,
         **family: str | None) -> None:
    """One zip for one family: the chosen languages and formats, a README in each language,
    and the family's details filled in where given (rendered in memory, never stored).
    Details given as options are visible to other users of this computer (ps) and kept in
    the shell's history: prefer --ask or --details."""
    from leafgen.labels import FIELD_LABELS
    from leafgen.output import write_atomic
    from leafgen.pack import PackError, details_from, make_pack, request_from
    if details is not None:
        try:
            family.update({k: v for k, v in details_from(details.read()).items() if v})
        except UnicodeDecodeError:
            raise click.ClickException("--details: the file is not UTF-8 text") from None
        except PackError as e:
            raise click.ClickException(f"--details: {e}") from None
    if ask:
        for name, label in FIELD_LABELS.items():
            if not family.get(name):
                family[name] = click.prompt(label, default="", show_default=False) or None
    try:
        req = request_from(project, authority, leaflet, langs, formats, family)
        data = make_pack(project, req)
    except PackError as e:
        raise click.ClickException(str(e)) from None
    write_atomic(output, data)
    count = len(req.langs) * len(req.formats)
    click.echo(f"wrote {output} ({len(data):,} bytes; {count} file{'s' if count != 1 else ''}"
               f"{', with family details' if req.family.values() else ''})")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Keep 127.0.0.1 unless a proxy with TLS and sign-in "
                   "stands in front (see SECURITY.md).")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@click.option("--max-renders", type=click.IntRange(1, 16), default=2, show_default=True,
              help="Packs made at once; more requests are told to try again.")
@click.pass_obj
def serve(project: Path, host: str, port: int, max_renders: int) -> None:
    """A local web app to make family packs in a browser (Flask, served by waitress)."""
    from leafgen.serve import serve as run
    run(project, host, port, max_renders)


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder holding manifest.json (default: PROJECT/output).")
@click.pass_obj
def site(project: Path, out: Path | None) -> None:
    """Rewrite the download site (OUT/site/) from the manifest, e.g. after merge-manifests."""
    from leafgen.output import output_lock
    from leafgen.pipeline import Project
    from leafgen.site import write_site
    out = out or project / "output"
    opened = Project(project)
    opened.problems.raise_if_any()
    with output_lock(out):
        pages = write_site(out, opened.templates, opened.config)
    click.echo(f"wrote {len(pages)} site files in {out / 'site'}")


@main.group()
def cache() -> None:
    """The cache folder (cache_dir in leafgen.yaml): encoded speech and build state."""


@cache.command(name="report")
@click.pass_obj
def cache_report(project: Path) -> None:
    """What the cache holds, and when it was last used."""
    from datetime import datetime

    from leafgen.cache import KINDS, usage
    from leafgen.site import human_size
    folder = _cache_folder(project)
    for u in usage(folder):
        used = " to ".join(datetime.fromtimestamp(t).strftime("%Y-%m-%d") for t in (u.oldest, u.newest)
                           if t is not None) or "-"
        click.echo(f"{u.kind:7} {u.files:>9,} files {human_size(u.size):>10}  last used {used}  ({KINDS[u.kind]})")


@cache.command(name="prune")
@click.option("--older-than", required=True, metavar="AGE",
              help="Remove what no build has used for this long: 30d, 12h, 90m.")
@click.pass_obj
def cache_prune(project: Path, older_than: str) -> None:
    """Remove cache entries not used for a while (they are made again when needed)."""
    from leafgen.cache import parse_age, prune
    from leafgen.site import human_size
    try:
        age = parse_age(older_than)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--older-than") from None
    files, size = prune(_cache_folder(project), age)
    click.echo(f"removed {files:,} files ({human_size(size)}) not used for {older_than}")


def _cache_folder(project: Path) -> Path:
    from leafgen.config import load_config
    from leafgen.errors import Problems
    problems = Problems(project)
    config = load_config(project, problems)
    problems.raise_if_any()
    return Path(config.cache_dir)


@main.command(name="merge-manifests")
@click.argument("manifests", nargs=-1, required=True,
                type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def merge_manifests(manifests: tuple[Path, ...], output: Path) -> None:
    """Join the manifests of sharded builds into one."""
    import json
    from leafgen.output import merge_manifests as merge, write_atomic
    body = merge(list(manifests))
    write_atomic(output, (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode())
    click.echo(f"{len(body['artifacts'])} artifacts from {len(manifests)} manifests in {output}")


class _Lines:
    def start(self, total: int) -> None: pass
    def step(self, line: str) -> None: click.echo(line)
    def note(self, line: str) -> None: click.echo(line)
    def finish(self) -> None: pass


class _Bar:
    def start(self, total: int) -> None:
        self._bar = click.progressbar(length=total, label="building", show_pos=True)
        self._bar.__enter__()

    def step(self, line: str) -> None:
        if "error" in line:
            click.echo("\n" + line, err=True)
        self._bar.update(1)

    def note(self, line: str) -> None:
        click.echo(line)

    def finish(self) -> None:
        self._bar.__exit__(None, None, None)


def _reporter() -> _Lines | _Bar:
    return _Bar() if sys.stdout.isatty() else _Lines()
