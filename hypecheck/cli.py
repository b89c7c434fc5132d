"""Edge, command line: thin click commands over the public API and the renderers.

Results go to stdout, progress and warnings to stderr. Exit codes: 0 fine,
1 when ``--fail-above`` is exceeded, 2 for bad usage or unreadable input.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

import click

from hypecheck.errors import HypecheckError
from hypecheck.types import CATEGORIES

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
EXIT_FAIL_ABOVE = 1
EXIT_BAD_INPUT = 2


def _parse_bands(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    try:
        low, high = (int(x) for x in value.split(","))
    except ValueError:
        raise click.BadParameter("expected two integers like 30,70") from None
    if not 0 < low < high <= 100:
        raise click.BadParameter("need 0 < elevated < high <= 100")
    return low, high


def detector_options(func: Callable) -> Callable:
    """Options shared by the commands that build a Detector."""
    options = [
        click.option("--model", "model", type=click.Path(exists=True, file_okay=True, dir_okay=True), default=None,
                     help="Model directory made by 'hypecheck train --out' (default: the bundled model)."),
        click.option("--rules", "extra_rules", multiple=True, type=click.Path(exists=True, dir_okay=False),
                     help="House rule file (YAML, the bundled rules' format); repeatable."),
        click.option("--disable", "disabled", multiple=True, type=click.Choice(CATEGORIES),
                     help="Switch a category off; repeatable."),
        click.option("--bands", callback=_parse_bands, default=None, metavar="ELEVATED,HIGH",
                     help="Risk thresholds of the bands, e.g. 30,70 (default: the model card's)."),
        click.option("--lang", type=click.Choice(["auto", "de", "en"]), default="auto", show_default=True,
                     help="Language of the texts."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _detector(model: str | None, extra_rules: tuple[str, ...], disabled: tuple[str, ...], bands: tuple[int, int] | None):
    from hypecheck.detector import Detector

    return Detector(model, extra_rules=extra_rules, disabled=disabled, bands=bands)


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(package_name="hypecheck")
def cli() -> None:
    """Detect promotional claims and hype in finance articles (German and English).

    \b
    Examples:
      hypecheck score article.txt
      hypecheck score --format json a.txt b.html
      hypecheck scan feeds/*.xml --out results.jsonl
    """


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("files", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "jsonl"]), default="text", show_default=True,
              help="Output format.")
@click.option("--fail-above", type=click.IntRange(0, 100), default=None, metavar="N",
              help="Exit with status 1 when any risk is above N.")
@click.option("--encoding", default=None, help="Text encoding of the files (default: detected).")
@click.option("--include-text", is_flag=True, help="Put the normalised text into JSON output (offsets refer to it).")
@click.option("--color/--no-color", default=None, help="Colour the text output (default: on a terminal).")
@detector_options
def score(files: tuple[str, ...], fmt: str, fail_above: int | None, encoding: str | None, include_text: bool,
          color: bool | None, model: str | None, extra_rules: tuple[str, ...], disabled: tuple[str, ...],
          bands: tuple[int, int] | None, lang: str) -> None:
    """Score text, Markdown or HTML files ('-' for stdin) for promotional risk.

    \b
    Examples:
      hypecheck score article.txt
      hypecheck score --format json --fail-above 69 a.txt b.html
      cat article.txt | hypecheck score -
    """
    from hypecheck import render
    from hypecheck.sources.text import read_document

    try:
        det = _detector(model, extra_rules, disabled, bands)
    except HypecheckError as exc:
        raise click.UsageError(str(exc)) from None
    use_color = sys.stdout.isatty() if color is None else color
    results, failed, exceeded = [], False, False
    for path in files:
        try:
            doc = read_document(path, encoding=encoding)
            assessment = det.score_document(doc, lang=None if lang == "auto" else lang)
        except HypecheckError as exc:
            click.echo(f"Error: {exc}", err=True)
            failed = True
            continue
        if fail_above is not None and assessment.risk > fail_above:
            exceeded = True
        if fmt == "text":
            click.echo(render.to_text(assessment, color=use_color), color=use_color)
            click.echo()
        elif fmt == "jsonl":
            click.echo(render.to_jsonl_line(assessment, include_text))
        else:
            results.append(assessment)
    if fmt == "json" and results:
        click.echo(render.to_json(results, include_text))
    if failed:
        sys.exit(EXIT_BAD_INPUT)
    if exceeded:
        sys.exit(EXIT_FAIL_ABOVE)


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("exports", nargs=-1, required=True)
@click.option("--out", "out", required=True, help="Output file ('-' for stdout).")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]), default=None,
              help="Output format (default: from the --out suffix, else jsonl).")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Worker processes (default: all cores).")
@click.option("--resume", is_flag=True, help="Continue an interrupted scan: keep the rows already in --out.")
@click.option("--summary", "summary_path", default=None, help="Also write the summary as JSON to this file.")
@click.option("--strict", is_flag=True, help="Stop at the first unreadable export or item.")
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr (default: on a terminal).")
@detector_options
def scan(exports: tuple[str, ...], out: str, fmt: str | None, workers: int | None, resume: bool, summary_path: str | None,
         strict: bool, progress: bool | None, model: str | None, extra_rules: tuple[str, ...], disabled: tuple[str, ...],
         bands: tuple[int, int] | None, lang: str) -> None:
    """Score every item of RSS/Atom feeds and CSV exports; every item gets one output row.

    EXPORTS are files, directories or globs (.xml, .rss, .atom, .csv, also .gz).

    \b
    Examples:
      hypecheck scan feeds/ --out results.jsonl
      hypecheck scan 'exports/*.xml.gz' --out results.parquet --workers 2
      hypecheck scan feeds/ --out results.jsonl --resume
    """
    from hypecheck.scan import ScanOptions, run_scan

    options = ScanOptions(
        exports=list(exports), out=out, fmt=fmt, workers=workers, resume=resume, summary_path=summary_path,
        strict=strict, progress=sys.stderr.isatty() if progress is None else progress, model=model,
        extra_rules=list(extra_rules), disabled=list(disabled), bands=bands, lang=None if lang == "auto" else lang,
    )
    try:
        summary = run_scan(options)
    except HypecheckError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        click.echo("Interrupted: rows written so far are kept; run the same command with --resume to continue.", err=True)
        sys.exit(130)
    click.echo(summary.to_text(), err=True)
    if summary.exit_code:
        sys.exit(summary.exit_code)


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.option("--corpus", type=click.Path(exists=True, file_okay=False), default=None,
              help="Corpus directory (default: corpora/ of the source checkout).")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Where to write model.npz and model.json (default: the bundled model inside the package).")
@click.option("--folds", type=click.IntRange(2, 20), default=5, show_default=True, help="Cross-validation folds.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (training is deterministic for a seed).")
def train(corpus: str | None, out: str | None, folds: int, seed: int) -> None:
    """Train the model on the annotated corpus and write it with its model card.

    \b
    Examples:
      hypecheck train
      hypecheck train --corpus corpora --out /tmp/my-model
    """
    from hypecheck import train as training

    corpus_dir = Path(corpus) if corpus else training.DEFAULT_CORPUS
    if not corpus_dir.is_dir():
        raise click.UsageError(f"corpus directory {corpus_dir} not found; pass --corpus DIR")
    try:
        card = training.train(corpus_dir, out, folds=folds, seed=seed, progress=lambda m: click.echo(m, err=True))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    doc = card["metrics"]["document"]["all"]
    click.echo(f"model {card['version']}: {card['documents']['total']} documents; cross-validated ROC-AUC {doc.get('roc_auc')}, "
               f"F1 at high {doc['f1_at_high']}; bands {card['bands']}")
    click.echo(f"written to {out or 'the bundled model directory'}")


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("data", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Report format.")
@click.option("--worst", type=int, default=5, show_default=True, help="How many worst false positives/negatives to list.")
@detector_options
def evaluate(data: tuple[str, ...], fmt: str, worst: int, model: str | None, extra_rules: tuple[str, ...],
             disabled: tuple[str, ...], bands: tuple[int, int] | None, lang: str) -> None:
    """Score a labelled JSONL or CSV file (text, label[, lang, title, key_phrases]) and print quality figures.

    \b
    Examples:
      hypecheck evaluate labelled.jsonl
      hypecheck evaluate labelled.csv --format json
    """
    from hypecheck.evaluate import evaluate_files, format_report

    try:
        det = _detector(model, extra_rules, disabled, bands)
        report = evaluate_files(list(data), det, lang=None if lang == "auto" else lang, worst=worst)
    except HypecheckError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(format_report(report, fmt))


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.option("--lang", type=click.Choice(["de", "en"]), default=None, help="Only this language.")
@click.option("--category", type=click.Choice(CATEGORIES), default=None, help="Only this category.")
@click.option("--rules", "extra_rules", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Also list (and validate) a house rule file.")
def rules(lang: str | None, category: str | None, extra_rules: tuple[str, ...]) -> None:
    """List the red-flag taxonomy and the rules behind each category.

    \b
    Examples:
      hypecheck rules --lang de --category return_promise
      hypecheck rules --rules house.yml
    """
    from hypecheck.rules import load_rules
    from hypecheck.types import CATEGORY_DESCRIPTIONS, REGULATORY_HOOKS

    try:
        sets = {code: load_rules(code, extra_rules) for code in ([lang] if lang else ["de", "en"])}
    except HypecheckError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    for cat in [category] if category else CATEGORIES:
        click.echo(click.style(cat, bold=True) + f": {CATEGORY_DESCRIPTIONS[cat]}")
        click.echo(f"  regulation: {REGULATORY_HOOKS[cat]}")
        for code, ruleset in sets.items():
            for entry in ruleset.rules:
                if entry.category == cat:
                    r = entry.rule
                    click.echo(f"  {r.id} (base {r.base_score:.2f}; {len(r.patterns)} patterns, {len(r.phrases)} phrases)")
                    click.echo(f"      {r.description}")
                    if r.examples.positive:
                        click.echo(f"      e.g. {r.examples.positive[0]}")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="hypecheck")


if __name__ == "__main__":
    main()
