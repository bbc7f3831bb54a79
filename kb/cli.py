"""The ``kb`` command: a thin click layer over ``kb.knowledge_base``."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import wraps
from pathlib import Path
from typing import Any

import click

from kb import config
from kb.encoder import Encoder, EncoderError
from kb.export import FORMATS
from kb.importer import SOURCE_FORMATS
from kb.search_options import FILTERS, MODES
from kb.store import StoreError
from kb.text import escape_controls
from kb.vocabulary import vocabulary


def index_dir_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--index-dir",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="KB_INDEX_DIR",
        help="Folder of the knowledge base (default: index/; env KB_INDEX_DIR).",
    )(func)


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Known failures become one clear line on stderr and exit code 1, never a traceback."""
    from kb.knowledge_base import NeedsBuild

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (EncoderError, StoreError, NeedsBuild, OSError) as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


@contextmanager
def open_kb(index_dir: Path | None, readonly: bool = False) -> Iterator[Any]:
    from kb.knowledge_base import KnowledgeBase

    folder = config.index_dir(index_dir)
    if readonly and not (folder / config.DB_FILE).exists():
        raise click.ClickException(f"no knowledge base in {folder}: run 'kb build' first")
    kb = KnowledgeBase(folder)
    try:
        yield kb
    finally:
        kb.close()


@click.group()
@click.version_option(package_name="recueil")
def main() -> None:
    """Recueil: a knowledge base of good practices of the social clause."""
    # The library's warnings (a damaged index rebuilt, …) reach the operator as one line each.
    logging.basicConfig(format="%(levelname)s: %(message)s", level=logging.WARNING)


@main.command()
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@index_dir_option
@handle_errors
def build(path: Path | None, index_dir: Path | None) -> None:
    """Import the sheets of PATH (default: practices/) and bring the index up to date."""
    with open_kb(index_dir) as kb:
        report = kb.import_practices(path)
        for error in report.failed:
            click.echo(f"error: {error}", err=True)
        for conflict in report.conflicts:
            click.echo(f"conflict: {conflict}", err=True)
        click.echo(f"sheets: {report.summary()}")
        started = time.perf_counter()
        with click.progressbar(length=1, label="encoding", file=sys.stderr) as bar:

            def progress(done: int, total: int) -> None:
                bar.length = total
                bar.update(done - bar.pos)

            index_report = kb.update_vectors(progress)
        click.echo(
            f"vectors: {index_report.encoded} encoded, {index_report.reused} reused"
            + (
                f", {index_report.dropped_other_model} of another model dropped"
                if index_report.dropped_other_model
                else ""
            )
            + f"; index: {index_report.vectors} vectors ({time.perf_counter() - started:.1f} s)"
        )
        if report.failed:
            sys.exit(1)


def filter_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for name in reversed(FILTERS):
        func = click.option(
            f"--{name.replace('_', '-')}", name, multiple=True, help=f"Filter on {name.replace('_', ' ')}."
        )(func)
    return func


@main.command()
@click.argument("query")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(0, 1000))
@click.option("--mode", type=click.Choice(MODES), default="hybrid", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@filter_options
@index_dir_option
@handle_errors
def search(
    query: str, limit: int, mode: str, as_json: bool, index_dir: Path | None, **filters: tuple[str, ...]
) -> None:
    """Search the sheets. QUERY '-' reads one query a line from stdin and prints JSON lines."""
    active = {k: list(v) for k, v in filters.items() if v}
    with open_kb(index_dir, readonly=True) as kb:
        if query == "-":
            for line in sys.stdin:
                results = kb.search(line.rstrip("\n"), active, limit, mode=mode)  # type: ignore[arg-type]
                click.echo(escape_controls(json.dumps(results.to_json(), ensure_ascii=False)))
            return
        results = kb.search(query, active, limit, mode=mode)  # type: ignore[arg-type]
        if as_json:
            click.echo(escape_controls(json.dumps(results.to_json(), ensure_ascii=False, indent=2)))
            return
        if not results.hits:
            click.echo("No sheet matches.")
            return
        strong = "" if results.strong is None else f", {results.strong} strong"
        click.echo(f"{results.total} sheet(s){strong}, query language: {results.language}")
        if results.corrected_from:
            said = f"no strong match for {results.corrected_from!r}: results for {results.query!r}"
            click.echo(escape_controls(said))
        elif results.suggestion:
            click.echo(escape_controls(f"did you mean: {results.suggestion}"))
        for rank, hit in enumerate(results.hits, 1):
            from kb.sheet import PART_LABELS

            match = f"  {hit.match}" if hit.match else ""
            title = click.style(escape_controls(hit.sheet.title), bold=True)
            click.echo(f"\n{rank}. {title}  [{hit.sheet.id}]  score {hit.score:.3f}{match}")
            click.echo(escape_controls(f"   {', '.join(hit.sheet.organisations)} · {hit.sheet.region or '—'}"))
            if hit.section:
                snippet = "".join(
                    click.style(escape_controls(t), bold=True, underline=True) if m else escape_controls(t)
                    for t, m in hit.snippet.segments
                )
                click.echo(f"   {PART_LABELS[hit.section]}: {snippet}")
            for reason in hit.reasons:
                click.echo(escape_controls(f"   ({reason.text})"))


@main.command()
@click.argument("sheet_id")
@click.option("--json", "as_json", is_flag=True)
@index_dir_option
@handle_errors
def show(sheet_id: str, as_json: bool, index_dir: Path | None) -> None:
    """Print one sheet (Markdown, or JSON)."""
    from kb.markdown_io import dump_sheet

    with open_kb(index_dir, readonly=True) as kb:
        sheet = kb.store.get_sheet(sheet_id)
        if sheet is None:
            raise click.ClickException(f"no published sheet with id {sheet_id!r}")
        text = json.dumps(sheet.to_dict(), ensure_ascii=False, indent=2) if as_json else dump_sheet(sheet)
        click.echo(escape_controls(text))


@main.command()
@click.argument("sheet_id")
@click.option("--limit", default=5, show_default=True, type=click.IntRange(1, 100))
@click.option("--json", "as_json", is_flag=True)
@index_dir_option
@handle_errors
def similar(sheet_id: str, limit: int, as_json: bool, index_dir: Path | None) -> None:
    """The sheets nearest to a sheet."""
    with open_kb(index_dir, readonly=True) as kb:
        if kb.store.get_sheet(sheet_id) is None:
            raise click.ClickException(f"no published sheet with id {sheet_id!r}")
        pairs = kb.similar(sheet_id, limit)
        if as_json:
            from kb.search import similar_to_json

            click.echo(escape_controls(json.dumps(similar_to_json(pairs), ensure_ascii=False)))
            return
        for sheet, value in pairs:
            click.echo(escape_controls(f"{value:.3f}  {sheet.title}  [{sheet.id}]"))


@main.command()
@index_dir_option
@handle_errors
def stats(index_dir: Path | None) -> None:
    """Counts, model and schema of the knowledge base."""
    with open_kb(index_dir, readonly=True) as kb:
        data = kb.stats()
        vocab = vocabulary()
        counts = kb.store.facet_counts(kb.store.sheet_ids())
        for key, value in data.items():
            click.echo(f"{key}: {value}")
        for facet in ("region", "themes", "publics", "market_types"):
            if counts[facet]:
                labels = ", ".join(f"{vocab.label(facet, k)} ({n})" for k, n in counts[facet].items())
                click.echo(f"{facet}: {labels}")


@main.command()
@click.argument("count", type=click.IntRange(1, 1_000_000))
@click.option("--seed", default=7, show_default=True)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=config.home() / "benchmarks" / "cache",
    show_default=True,
    help="Where the encoded sentence pool is cached.",
)
@index_dir_option
@handle_errors
def synth(count: int, seed: int, cache_dir: Path, index_dir: Path | None) -> None:
    """Fill a separate knowledge base with COUNT synthetic sheets (for benchmarks)."""
    from kb import synthetic

    folder = config.index_dir(index_dir)
    if folder.resolve() == config.index_dir(None).resolve() and not index_dir:
        raise click.ClickException("give a separate --index-dir: synthetic sheets never mix with practices/")
    with open_kb(folder) as kb:
        if kb.store.sheet_ids(origin="practices", status=None):
            raise click.ClickException(f"{folder} holds sheets from practices/: use an empty folder")
        started = time.perf_counter()
        vectors = synthetic.pool_vectors(kb.encoder.encode_passages, kb.encoder.model_id, cache_dir, seed)
        encoded = time.perf_counter() - started
        kb.store.drop_other_models(kb.encoder.model_id)
        with click.progressbar(length=count, label="synthetic sheets", file=sys.stderr) as bar:
            synthetic.populate(kb.store, kb.encoder.model_id, vectors, count, seed, bar.update)
        report = kb.update_vectors()
        click.echo(
            f"{count} synthetic sheets, {report.vectors} vectors in {time.perf_counter() - started:.1f} s "
            f"(sentence pool: {encoded:.1f} s, cached in {cache_dir})"
        )


SERVE_WORKERS = 2


def worker_threads(workers: int) -> dict[str, str]:
    """The thread settings of each of ``kb serve``'s workers: each encodes queries with OpenMP
    threads, on its share of the cores, or the workers' spinning threads fight over them and
    throughput collapses under load."""
    threads = str(max(1, (os.cpu_count() or 1) // workers))
    return dict.fromkeys(("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"), threads)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=SERVE_WORKERS, show_default=True, type=click.IntRange(1, 64))
@click.option("--debug", is_flag=True, help="Flask's development server, with reloading and debugger.")
@index_dir_option
@handle_errors
def serve(host: str, port: int, workers: int, debug: bool, index_dir: Path | None) -> None:
    """Serve the web app (gunicorn, several workers)."""
    folder = config.index_dir(index_dir)
    if not (folder / config.DB_FILE).exists():
        raise click.ClickException(f"no knowledge base in {folder}: run 'kb build' first")
    os.environ["KB_INDEX_DIR"] = str(folder)
    for name, value in worker_threads(workers).items():
        os.environ.setdefault(name, value)
    Encoder().load()  # a wrong KB_MODEL is said here, before any worker starts
    if debug:  # the app by its import string, as gunicorn below: the library never imports web
        flask = [sys.executable, "-m", "flask", "--app", "web:create_app()", "run", "--debug"]
        os.execv(sys.executable, [*flask, "--host", host, "--port", str(port)])
    click.echo(f"Recueil: http://{host}:{port}/ ({workers} workers)")
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--worker-class",  # slow clients cannot exhaust it (measured: web/serving.py, docs/SECURITY.md)
        "web.serving.Worker",
        "--bind",
        f"{host}:{port}",
        "--timeout",
        "120",
        "--graceful-timeout",
        "10",
        # One request per connection: a gevent worker keeps serving its kept-alive connections
        # while new ones wait in the accept queue (p95 1.4–2.4 s at 16 clients, measured in
        # docs/PERFORMANCE.md); closing after each answer lets the workers take turns fairly.
        "--keep-alive",
        "0",
        "--access-logfile",
        "-",
        "web:create_app()",
    ]
    os.execv(sys.executable, argv)


@main.command(name="import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(("auto", *SOURCE_FORMATS)), default="auto", show_default=True)
@click.option("--publish", is_flag=True, help="Publish new sheets at once (restoring an export) instead of pending.")
@click.option("--force", is_flag=True, help="Add more than 1,000 pending sheets in one import.")
@index_dir_option
@handle_errors
def import_command(path: Path, fmt: str, publish: bool, force: bool, index_dir: Path | None) -> None:
    """Import sheets as pending (survey CSV, meeting report, Markdown files, JSON export)."""
    from kb.import_files import import_batch, read_batch
    from kb.importer import TooManyNewSheets

    batch = read_batch(path, fmt)
    for warning in batch.warnings:
        click.echo(f"warning: {warning}", err=True)
    with open_kb(index_dir) as kb:
        try:
            report = import_batch(kb, batch, publish, force)
        except TooManyNewSheets as exc:
            raise click.ClickException(str(exc)) from None
    for error in report.failed:
        click.echo(escape_controls(f"error: {error}"), err=True)
    for conflict in report.conflicts:
        click.echo(escape_controls(f"conflict: {conflict}"), err=True)
    click.echo(f"{batch.format}: {report.summary()}" + ("" if publish else " (new sheets are pending moderation)"))
    if report.failed:
        sys.exit(1)


@main.command(name="export")
@click.argument("dest", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True)
@index_dir_option
@handle_errors
def export_command(dest: Path, fmt: str, index_dir: Path | None) -> None:
    """Export the published sheets (DEST '-' for standard output, a folder for markdown)."""
    from kb import export

    if fmt == "markdown" and str(dest) == "-":
        raise click.ClickException("the markdown export writes one file per sheet: give a folder")
    with open_kb(index_dir, readonly=True) as kb:
        sheets = kb.store.sheets()
    message = export.export(sheets, fmt, dest)
    click.echo(message, nl=not message.endswith("\n"))


@main.command(name="topics")
@click.option("--json", "as_json", is_flag=True)
@index_dir_option
@handle_errors
def topics_command(as_json: bool, index_dir: Path | None) -> None:
    """Topics of the published sheets (k-means on their embeddings), with their central sheets."""
    from kb.topics import topics

    with open_kb(index_dir, readonly=True) as kb:
        found = topics(kb.store, kb.encoder.model_id)
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "key": t.key,
                        "label": t.label,
                        "words": t.words,
                        "members": t.members,
                        "central": [s.id for s in t.central],
                        "regions": dict(t.regions),
                    }
                    for t in found
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for t in found:
        click.echo(f"{click.style(t.label, bold=True)} ({len(t.members)} sheets){' [named]' if t.named else ''}")
        click.echo(f"   words: {', '.join(t.words)}")
        for sheet in t.central:
            click.echo(f"   - {sheet.title} [{sheet.id}]")


@main.command(name="coverage")
@index_dir_option
@handle_errors
def coverage_command(index_dir: Path | None) -> None:
    """Themes by region, what each regional workshop covered, and the gaps."""
    from kb.coverage import ELSEWHERE, UNDOCUMENTED, coverage
    from kb.topics import topics

    vocab = vocabulary()
    with open_kb(index_dir, readonly=True) as kb:
        report = coverage(kb.store, topics(kb.store, kb.encoder.model_id))
    width = max(len(vocab.label("themes", t)) for t in report.themes)
    click.echo(" " * width + "  " + "  ".join(f"{r[:12]:>12}" for r in report.regions))
    for theme, counts in report.themes.items():
        cells = "  ".join(f"{counts.get(r, 0):>12}" for r in report.regions)
        click.echo(f"{vocab.label('themes', theme):<{width}}  {cells}")
    click.echo("\nWorkshops:")
    for w in report.workshops:
        themes = ", ".join(vocab.label("themes", t) for t in w.themes)
        click.echo(f"  {w.region} · {w.session_label} « {w.session_title} »: {themes} ({len(w.practices)} sheets)")
    for kind, title in (
        (UNDOCUMENTED, "themes a session of the region treated, no sheet of the region documents"),
        (ELSEWHERE, "themes documented elsewhere, none in the region; regions with sheets"),
    ):
        click.echo(f"\nGaps ({title}):")
        for region in report.regions:
            if kind == UNDOCUMENTED or region not in report.without_sheets:
                labels = ", ".join(vocab.label("themes", t) for t in report.gaps(region, kind))
                click.echo(f"  {region}: {labels or '—'}")


@main.command(name="workshop")
@click.argument("topic")
@click.option("--region", help="Favour this region, then its neighbours.")
@click.option("--speakers", default=3, show_default=True, type=click.IntRange(1, 10))
@click.option("--allow-same-organisation", is_flag=True)
@click.option("--letter", default="A", show_default=True)
@index_dir_option
@handle_errors
def workshop_command(
    topic: str, region: str | None, speakers: int, allow_same_organisation: bool, letter: str, index_dir: Path | None
) -> None:
    """Draft a workshop on TOPIC: practices that fit, why, and the programme block."""
    from kb.planner import plan, workshop_block

    if region and region not in vocabulary().regions:
        raise click.ClickException(f"unknown region {region!r}; one of: {', '.join(vocabulary().regions)}")
    with open_kb(index_dir, readonly=True) as kb:
        proposals = plan(kb, topic, region, speakers, allow_same_organisation)
    if not proposals:
        raise click.ClickException("no published practice fits this topic")
    for n, proposal in enumerate(proposals, 1):
        click.echo(f"{n}. {proposal.hit.sheet.title} [{proposal.hit.sheet.id}]\n   {proposal.reason}")
    click.echo("\n" + workshop_block(topic, proposals, letter), nl=False)


@main.command()
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
@index_dir_option
@handle_errors
def backup(dest: Path, index_dir: Path | None) -> None:
    """Copy the database to DEST (SQLite online backup; safe while the app serves)."""
    with open_kb(index_dir, readonly=True) as kb:
        kb.store.backup(dest)
        count = kb.store.count(None)
    click.echo(f"backup of {count} sheets written to {dest}")


@main.command()
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace an existing knowledge base.")
@index_dir_option
@handle_errors
def restore(src: Path, force: bool, index_dir: Path | None) -> None:
    """Restore a backup made by 'kb backup' into the index folder (its schema checked object by
    object, then migrated to the current version), then rebuild the index."""
    from kb.restore import RestoreError
    from kb.restore import restore as restore_backup

    try:
        sheets, vectors = restore_backup(src, index_dir, force)
    except RestoreError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"restored {sheets} sheets from {src}; index: {vectors} vectors")


@main.group()
def user() -> None:
    """Moderator accounts."""


def account_command(command: str, change: str, password_help: str, done: str, doc: str) -> None:
    """Add ``kb user COMMAND NAME``: ``kb.contributions.<change>(store, name, password)`` (imported
    when run: the CLI starts without the web's dependencies), then ``done``; a refused change
    (``UserError``) is one clear line."""

    @user.command(command, help=doc)
    @click.argument("name")
    @click.password_option(help=password_help)
    @index_dir_option
    @handle_errors
    def run(name: str, password: str, index_dir: Path | None) -> None:
        from kb import contributions

        with open_kb(index_dir) as kb:
            try:
                getattr(contributions, change)(kb.store, name, password)
            except contributions.UserError as exc:
                raise click.ClickException(str(exc)) from None
        click.echo(done.format(name=name))


account_command(
    "add",
    "add_user",
    "The password (asked twice when not given).",
    "moderator {name!r} created",
    "Create a moderator account (the password is stored as a scrypt hash).",
)
account_command(
    "passwd",
    "change_password",
    "The new password (asked twice when not given).",
    "password of {name!r} changed; their sessions are signed out",
    "Change a moderator's password; every session of this moderator is signed out.",
)


@main.command(name="eval")
@click.argument("queries", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--offtopic",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Off-topic queries (lang<TAB>query): the share with no strong hit.",
)
@click.option(
    "--tags",
    "tag_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Tag queries (lang<TAB>query<TAB>tag): the share whose first hits all carry the tag.",
)
@click.option(
    "--unanswered",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Queries of the field no sheet answers (lang<TAB>query): the share with no strong hit.",
)
@click.option("--k", default=3, show_default=True, type=click.IntRange(1, 100))
@click.option("--modes", default="hybrid,dense,keyword", show_default=True, help="Comma-separated modes to compare.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--verbose", "-v", is_flag=True, help="Show each query's ranking (+ marks a strong hit).")
@index_dir_option
@handle_errors
def eval_command(
    queries: Path | None,
    offtopic: Path | None,
    tag_file: Path | None,
    unanswered: Path | None,
    k: int,
    modes: str,
    as_json: bool,
    verbose: bool,
    index_dir: Path | None,
) -> None:
    """R@1, recall@k, MRR, nDCG@10 and strong-marking of the search, overall and by language;
    with --offtopic, --unanswered and --tags, the share of off-topic and of unanswered queries
    with no strong hit and of tag queries whose first hits carry the tag."""
    from kb import evaluate

    if not (queries or offtopic or tag_file or unanswered):
        raise click.UsageError("give a QUERIES file, --offtopic FILE, --unanswered FILE or --tags FILE")
    try:
        items = evaluate.read_queries(queries) if queries else []
        noise = evaluate.read_offtopic(offtopic) if offtopic else []
        tagged = evaluate.read_tag_queries(tag_file, evaluate.vocabulary_keys()) if tag_file else []
        unanswered_queries = evaluate.read_offtopic(unanswered) if unanswered else []
    except (evaluate.EvalFileError, UnicodeDecodeError) as exc:
        raise click.ClickException(str(exc)) from None
    wanted = [m.strip() for m in modes.split(",") if m.strip()]
    unknown = set(wanted) - set(MODES)
    if unknown:
        raise click.ClickException(f"unknown mode(s): {', '.join(sorted(unknown))}")
    with open_kb(index_dir, readonly=True) as kb:
        evaluation = evaluate.evaluate(kb, items, noise, tagged, wanted, k, unanswered_queries)  # type: ignore[arg-type]
    report = evaluation.as_dict()
    if verbose and not as_json:
        for mode, found in evaluation.modes.items():
            if found.results:
                click.echo(f"-- {mode}")
            for r in found.results:
                top = ", ".join(
                    ("*" if sid in r.relevant else " ") + sid + ("+" if sid in r.strong else "") for sid in r.ranked[:3]
                )
                click.echo(f"  [{r.query.lang}] {r.query.query}: {top}")
            for name, share in found.checks.items():
                if share.failed:
                    click.echo(f"-- {mode} {name}, failed: " + " | ".join(share.failed))
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    if items:
        click.echo(
            f"{'mode':8} {'lang':5} {'n':>3} {'R@1':>6} {'recall@' + str(k):>9} {'MRR':>6} "
            f"{'nDCG@10':>8} {'strong1':>8}"
        )
    for mode, rows in report.items():
        for lang, row in rows.items():
            if "mrr" in row:
                click.echo(
                    f"{mode:8} {lang:5} {row['queries']:>3} {row['r@1']:>6.3f} {row[f'recall@{k}']:>9.3f} "
                    f"{row['mrr']:>6.3f} {row['ndcg@10']:>8.3f} {row['strong_first']:>8.3f}"
                )
    for mode, rows in report.items():
        for name in ("offtopic_no_strong", "unanswered_no_strong", "tags_first"):
            for lang, row in rows.get(name, {}).items():
                click.echo(f"{mode:8} {name:20} {lang:5} {row['queries']:>3} {row['share']:>6.3f}")


def query_files_option(flag: str, dest: str, help_text: str, required: bool = False) -> Callable[..., Any]:
    """A repeatable option naming labelled query files (``kb calibrate``)."""
    return click.option(
        flag,
        dest,
        multiple=True,
        required=required,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help=help_text + "; repeatable.",
    )


@main.command()
@click.argument("queries", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@query_files_option("--offtopic", "offtopic_files", "Off-topic queries (lang<TAB>query), the negatives", required=True)
@query_files_option(
    "--tags", "tag_files", "Tag queries (lang<TAB>query<TAB>tag): the sheets carrying the tag are positives"
)
@query_files_option(
    "--unanswered",
    "unanswered_files",
    "Queries of the field no sheet answers (lang<TAB>query): negatives for the sheets only",
)
@click.option("--folds", default=5, show_default=True, type=click.IntRange(2, 20))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Default: kb/data/calibration.json.")
@index_dir_option
@handle_errors
def calibrate(
    queries: tuple[Path, ...],
    offtopic_files: tuple[Path, ...],
    tag_files: tuple[Path, ...],
    unanswered_files: tuple[Path, ...],
    folds: int,
    out: Path | None,
    index_dir: Path | None,
) -> None:
    """Fit the strong/weak model on labelled QUERIES, off-topic, tag and unanswered queries (never
    on held-out sets); print its cross-validated figures and write its coefficients."""
    from kb import calibration, evaluate

    try:
        relevance = [q for path in queries for q in evaluate.read_queries(path)]
        noise = [q for path in offtopic_files for q in evaluate.read_offtopic(path)]
        tagged = [pair for path in tag_files for pair in evaluate.read_tag_queries(path)]
        unanswered = [q for path in unanswered_files for q in evaluate.read_offtopic(path)]
    except (evaluate.EvalFileError, UnicodeDecodeError) as exc:
        raise click.ClickException(str(exc)) from None
    with open_kb(index_dir, readonly=True) as kb:
        examples = calibration.examples(kb, relevance, noise, tagged, unanswered)
        model_id = kb.encoder.model_id
        labels = calibration.packed_labels(*kb.searcher_for_fitting().label_vectors())
    report = calibration.fit(examples, folds, model_id=model_id)
    replace(report.calibration, label_vectors=labels).save(out or calibration.CALIBRATION_FILE)
    click.echo(json.dumps({"cross_validated": report.cross_validated, "fitted_on": report.calibration.fitted_on}))
