"""The model manager's details pane: what a model is, how it scores and where it came from, in words (no Qt).

Metrics are a small table (PSNR / SSIM per test set, bicubic beside, two
decimals); provenance becomes sentences. No dict text, no long floats, and no
machine paths: a path is shown by its file name.
"""

from __future__ import annotations

import html
from pathlib import PurePath

STAGES = {"psnr": "a PSNR (pixel-loss) stage", "gan": "a GAN stage"}
DEGRADATIONS = {
    "clean": "clean bicubic downscaling of the training photos",
    "photo": "training photos degraded like real ones (blur, resizing, noise and JPEG, two rounds)",
}


def describe(d) -> str:
    """HTML for the details pane of descriptor ``d``."""
    parts = [f"<h3>{_e(d.title)}</h3>", _summary(d)]
    if d.metrics:
        parts += ["<h4>Scores (Y channel, higher is better)</h4>", metrics_table(d.metrics)]
    words = provenance_sentences(d)
    if words:
        parts += ["<h4>Where it comes from</h4>"] + [f"<p>{_e(s)}</p>" for s in words]
    if d.notes:
        parts.append(f"<p>{_e(d.notes)}</p>")
    return "".join(parts)


def _summary(d) -> str:
    opts = d.provenance.get("arch_options", {}) if isinstance(d.provenance.get("arch_options"), dict) else {}
    arch = d.architecture
    if opts.get("blocks") and opts.get("channels"):
        arch += f" ({opts['blocks']} blocks, {opts['channels']} channels)"
    where = "your model" if d.user else ("built in" if d.kind == "bicubic" else "bundled with the app")
    rows = [
        ("Name", d.name),
        ("Architecture", arch),
        ("Scale", f"x{d.scale}"),
        ("Installed", where),
        ("Receptive field", f"{d.receptive_field} px" if d.receptive_field else "—"),
    ]
    if d.file:
        rows.append(("File", PurePath(d.file).name))
    return _table(None, rows)


def metrics_table(metrics: dict) -> str:
    """Rows per test set: PSNR and SSIM of the model and of bicubic, two decimals."""
    rows = []
    for name, m in metrics.items():
        if not isinstance(m, dict) or "psnr_y" not in m:
            continue
        rows.append(
            (
                name,
                _num(m.get("psnr_y")),
                _num(m.get("ssim_y")),
                _num(m.get("bicubic_psnr_y")),
                _num(m.get("bicubic_ssim_y")),
            )
        )
    if not rows:
        return ""
    return _table(("Test set", "PSNR dB", "SSIM", "Bicubic PSNR dB", "Bicubic SSIM"), rows)


def provenance_sentences(d) -> list[str]:
    p = d.provenance or {}
    out = []
    if "interpolated" in p and isinstance(p["interpolated"], dict):
        i = p["interpolated"]
        out.append(
            f"A blend of {i.get('from')} and {i.get('to')} at {round(100 * float(i.get('alpha', 0)))}% realism "
            "(network interpolation, made by the Realism slider)."
        )
    if p.get("recipe"):
        stage = STAGES.get(p.get("stage"), "training")
        text = f"Trained with the recipe {p['recipe']}: {stage}"
        if p.get("steps"):
            text += f" of {p['steps']} steps"
        if p.get("batch_size") and p.get("patch_size"):
            text += f", batches of {p['batch_size']} patches of {p['patch_size']} px"
        if p.get("base"):
            text += f", starting from {_model_of(p['base'])}"
        out.append(text + ".")
        losses = [f"{p['pixel_loss'].upper()} pixel loss"] if p.get("pixel_loss") else []
        if p.get("content_loss") and not str(p["content_loss"]).startswith("none"):
            losses.append(str(p["content_loss"]).replace("_", " ") + " content loss")
        if p.get("adversarial"):
            losses.append(f"{str(p['adversarial']).upper()} adversarial loss")
        if losses:
            out.append("Losses: " + ", ".join(losses) + ".")
        if p.get("anti_checkerboard"):
            out.append("Trained against checkerboard artefacts (discriminator phase shift and grid penalty).")
    if p.get("degradation"):
        out.append(
            "Training inputs: " + DEGRADATIONS.get(p["degradation"], f"the '{p['degradation']}' degradation") + "."
        )
    if p.get("source_sha256"):  # a community PyTorch file (training/import_model.py)
        out.append(
            f"Imported from {PurePath(str(p.get('imported_from', ''))).name} "
            f"(sha256 {str(p['source_sha256'])[:16]}…) through spandrel. "
            f"Licence: {p.get('licence', 'unknown')}."
        )
    elif p.get("licence"):
        out.append(str(p["licence"])[:1].upper() + str(p["licence"])[1:] + ".")
    if not out and p.get("source"):
        out.append(f"Source: {PurePath(str(p['source'])).name}.")
    return out


def _model_of(path) -> str:
    """``runs/restore_x4/generator.safetensors`` and ``resources/models/srresnet_x4.safetensors`` -> the model's name."""
    p = PurePath(str(path))
    return p.parent.name if p.stem in ("generator", "ema", "model") else p.stem


def _num(v) -> str:
    return f"{float(v):.2f}" if isinstance(v, (int, float)) else "—"


def _e(text) -> str:
    return html.escape(str(text))


def _table(head, rows) -> str:
    out = ["<table cellspacing=0 cellpadding=4 border=1 style='border-collapse:collapse'>"]
    if head:
        out.append("<tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr>")
    for row in rows:
        cells = [f"<td><b>{_e(row[0])}</b></td>"] + [f"<td align=right>{_e(c)}</td>" for c in row[1:]]
        out.append("<tr>" + "".join(cells) + "</tr>")
    return "".join(out) + "</table>"
