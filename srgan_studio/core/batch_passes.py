"""How many model passes each output of a batch was made with (``--ensemble``, core/ensemble.py).

Resuming skips the outputs that exist, so a batch resumed with another pass count would leave both counts
in one folder. The report therefore lists each output's count (``passes``, beside ``outputs``; null when
unknown), and the next run reads the counts back from the report it is about to replace, carries them over
for the outputs it keeps, and says in one line when kept outputs were made with another count.

It does not redo them, nor switch to their count: the count asked for is the one used (an output that
exists is complete, and overwrite redoes them). Without an earlier report (a run without ``--report``)
the counts of kept outputs are unknown; a report from before batch honoured the setting means 1 pass.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from .batch_plan import BatchItem, BatchPlan
from .ensemble import PASSES


def _count(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value in PASSES else None


def earlier_passes(report: Path | None) -> dict[str, int]:
    """Output path -> passes, from an earlier run's report at ``report``; empty when there is none."""
    if report is None:
        return {}
    try:
        data = json.loads(Path(report).expanduser().absolute().read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    if not isinstance(data, dict) or not str(data.get("tool", "")).startswith("srgan-studio"):
        return {}
    settings = data.get("settings")
    default = _count(settings.get("ensemble", 1)) if isinstance(settings, dict) else 1
    found: dict[str, int] = {}
    for entry in data.get("files") or ():
        if not isinstance(entry, dict) or not isinstance(entry.get("outputs"), list):
            continue
        outputs = entry["outputs"]
        passes = entry.get("passes")
        if not isinstance(passes, list) or len(passes) != len(outputs):
            passes = [default] * len(outputs)
        for path, n in zip(outputs, passes):
            if _count(n) is not None:
                found[str(path)] = n
    return found


def passes_for(plan: BatchPlan, model: str) -> int:
    """The passes ``model``'s outputs are made with: bicubic is symmetric and always runs once."""
    desc = plan.descriptors.get(model)
    return 1 if desc is not None and desc.kind == "bicubic" else plan.job.ensemble


def kept_outputs(item: BatchItem) -> dict[str, Path]:
    """The outputs of ``item`` that exist and are kept (neither to be made nor refused at planning), by model."""
    refused = {e.split(": ", 1)[0] for e in item.errors}
    return {m: p for m, p in item.outputs.items() if m not in item.todo and m not in refused}


def mixed_note(plan: BatchPlan, earlier: dict[str, int]) -> str | None:
    """One line when outputs this run keeps were made with another pass count than it makes; else None."""
    other = Counter(
        n
        for item in plan.items
        for m, p in kept_outputs(item).items()
        if (n := earlier.get(str(p), passes_for(plan, m))) != passes_for(plan, m)
    )
    if not other:
        return None
    kept = sum(other.values())
    counts = " or ".join(_passes(n) for n in sorted(other))
    outputs = f"{kept} existing output{'s' if kept != 1 else ''}"
    return (
        f"{outputs} kept from an earlier run {'were' if kept != 1 else 'was'} made with {counts} per tile, "
        f"this run makes {_passes(plan.job.ensemble)}: overwrite redoes them, or resume with their count to keep one"
    )


def _passes(n: int) -> str:
    return f"{n} pass{'es' if n != 1 else ''}"
