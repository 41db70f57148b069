"""`centralita recorder ...`: transcribe and archive recordings offline, manage Vosk models."""
from __future__ import annotations

import json
from pathlib import Path

import typer

app = typer.Typer(help="Recordings: transcription (Vosk, offline), analytics, Opus archive.", no_args_is_help=True)
models_app = typer.Typer(help="Vosk models: show the configured one, download others.", no_args_is_help=True)
app.add_typer(models_app, name="models")


def _fail(exc: Exception, code: int = 2) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(code)


@app.command("transcribe")
def transcribe(
    file: Path = typer.Argument(..., help="Stereo WAV (left caller, right agent), or the caller leg (mono)."),
    agent: Path | None = typer.Argument(None, help="The agent leg (mono WAV) when FILE is the caller's."),
    json_out: bool = typer.Option(False, "--json", help="Print the JSON document only."),
    language: str = typer.Option("", help="Language of the call for analytics (default: CENTRALITA_RECORDER_LANGUAGE)."),
    phrases: str = typer.Option("", help="Restrict recognition to these words (comma list), e.g. known prompts."),
) -> None:
    """Transcribe both legs, then analyse (PII redacted): words with times and confidence per speaker."""
    from centralita.settings import get_settings
    from recorder import analytics
    from recorder.transcribe import Transcriber
    from recorder.vosk_models import ModelError

    settings = get_settings()
    try:
        transcript = Transcriber(settings).transcribe(file, agent, [p.strip() for p in phrases.split(",") if p.strip()])
        transcript, analysis = analytics.analyse(transcript, language or settings.recorder_language)
    except (ValueError, ModelError) as exc:  # AudioError is a ValueError; so is an unknown language
        _fail(exc)
    doc = {"transcript": transcript.to_dict(), "analysis": analysis}
    if json_out:
        typer.echo(json.dumps(doc, ensure_ascii=False))
        return
    for seg in doc["transcript"]["segments"]:
        typer.echo(f"{seg['start']:7.2f}-{seg['end']:7.2f} {seg['speaker']:>6}: {seg['text']}")
    typer.echo(json.dumps({k: v for k, v in analysis.items() if k != "redactions"}, ensure_ascii=False, indent=2))


@app.command("archive")
def archive_cmd(
    file: Path = typer.Argument(..., help="Stereo call WAV."),
    dest: Path = typer.Argument(..., help="Archive file to write (.opus/.ogg)."),
    kbps: int = typer.Option(0, help="Total bitrate (default: CENTRALITA_RECORDER_OPUS_KBPS)."),
) -> None:
    """Encode the Opus archive copy (legs kept apart), verify both legs survived, print its sha256."""
    from centralita.settings import get_settings
    from recorder import archive
    from recorder.audio import AudioError

    try:
        copy = archive.encode(file, dest, kbps or get_settings().recorder_opus_kbps)
        legs = archive.verify(file, copy.path, copy.sha256)
    except AudioError as exc:
        _fail(exc)  # bad input: 2
    except archive.ArchiveError as exc:
        _fail(exc, 1)  # the encoder or the archive failed us: 1
    typer.echo(json.dumps({"path": str(copy.path), "sha256": copy.sha256, "bytes": copy.bytes,
                           "ratio": round(copy.ratio, 2), "legs": legs}))


@models_app.command("show")
def models_show() -> None:
    """The configured model, its sample rate, and the models `download` knows."""
    from centralita.settings import get_settings
    from recorder import vosk_models

    settings = get_settings()
    try:
        path = vosk_models.model_path(settings)
        current = {"path": str(path), "sample_rate": vosk_models.model_rate(path)}
    except vosk_models.ModelError as exc:
        current = {"error": str(exc)}
    typer.echo(json.dumps({"current": current, "downloadable": {k: v[0] for k, v in vosk_models.CATALOG.items()}}))


@models_app.command("download")
def models_download(
    name: str = typer.Argument(..., help="es-small | es | en-small"),
    dest: Path | None = typer.Option(None, help="Directory for models (default: <data dir>/models)."),
    sha256: str = typer.Option("", help="Expected sha256 of the zip (from a copy you trust)."),
) -> None:
    """Download and unpack a Vosk model (needs internet); prints the path to set as the model path."""
    import sys

    from centralita.settings import get_settings
    from recorder import vosk_models

    def progress(got: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\r{got / 1e6:8.1f} / {total / 1e6:.1f} MB", end="", file=sys.stderr)

    try:
        done = vosk_models.download(name, get_settings(), dest, progress, sha256)
    except vosk_models.ModelError as exc:
        _fail(exc, 1)
    finally:
        if sys.stderr.isatty():
            print(file=sys.stderr)  # end the progress line
    typer.echo(json.dumps({"model": done.name, "path": str(done.path), "bytes": done.bytes,
                           "set": f"CENTRALITA_RECORDER_MODEL_PATH={done.path}"}))
