"""Planning a batch: validate the job, find the inputs, decide every output name.

Nothing here writes to disk (the writability probe creates and removes one
temp file). ``batch.run_batch`` calls ``plan_batch`` first, so every refusal
(missing input, no images, unknown model, missing or read-only output folder,
bad report path) happens before any work. See ``batch`` for the rules.

Naming: ``<stem>_<model><ext>`` in the mirrored output folder. Two inputs that
would share an output name ("a.jpg" and "a.png" with ``--format png``) keep
their full input name as the stem ("a.jpg_srresnet_x4.png"). In a tree shared
by inputs and outputs, a file that is the output of another input is that
output, not a new input. An output that would land on an input is refused.

The model ``auto`` (the CLI's default) is the faithful model for each input's
kind (``input_kind``: restore_x4 for photos, srresnet_x4 for clean sources).
Names and collisions are checked for both twins; an input whose output from
either twin already exists keeps that one (resume). A compressed JPEG or a lossy
WebP is decided here from its header; any other input keeps both twins open
(``BatchItem.undecided``) until the runner has decoded it, and the runner judges
its kind on those pixels and drops the other twin (``decide``): each input is
decoded once.

A size (``sizing.SizeSpec``) other than the model's own factor adds its tag:
``photo_srresnet_x4_x2.png``, ``photo_srresnet_x4_3000w.png``.

Shards (``--shard K/N``): input i of the sorted list (0-based) belongs to shard
``i % N + 1``. Inputs, names and collisions are decided on the whole list, so N
machines running K = 1..N with no coordination write exactly the outputs of
one whole batch, each once; only this shard's inputs are classified or
checked on disk. Each shard writes its own report (``report.shard-K-of-N.json``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from . import formats
from .atomic import TEMP_MARK
from .discover import Found, Note, find_images
from .ensemble import check_passes
from .errors import ImageWriteError, StudioError
from .sizing import SizeSpec, check_target

AUTO = "auto"  # the faithful model for each input's kind


@dataclass
class BatchJob:
    input_dir: Path
    output_dir: Path
    models: list[str] = field(default_factory=list)
    recursive: bool = False
    format: str | None = None
    quality: int = formats.DEFAULT_QUALITY
    overwrite: bool = False
    report: Path | None = None
    workers: int = 2
    device: str = "auto"
    precision: str = "auto"  # see core/runtime/precision.py
    engine: str = "auto"
    tile: int = 0
    threads: int = 0
    keep_metadata: bool = True
    alpha_mode: str = "model"
    max_pixels: int | None = None
    size: SizeSpec = field(default_factory=SizeSpec)
    shard: Shard | None = None
    ensemble: int = 1  # model passes per tile (core/ensemble.py); the report records it for every output

    def settings(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("input_dir", "output_dir", "report"):
            data[key] = None if data[key] is None else str(data[key])
        return data


@dataclass(frozen=True)
class BatchItem:
    index: int
    input: Path
    outputs: dict[str, Path]  # model -> final output path, in job.models order
    todo: tuple[str, ...]  # models whose output must be produced
    format: str  # output format
    errors: tuple[str, ...] = ()  # outputs refused at planning (would overwrite an input...)
    undecided: tuple[str, ...] = ()  # "auto"'s twins while the kind waits for the decoded pixels


@dataclass(frozen=True)
class BatchPlan:
    job: BatchJob
    input_dir: Path
    output_dir: Path
    items: tuple[BatchItem, ...]
    notes: tuple[Note, ...]
    descriptors: dict[str, Any]  # model name -> ModelDescriptor
    create_output_dir: bool
    shard: dict[str, Any] | None = None  # k, n, inputs (whole list), list_sha256: for the report


@dataclass(frozen=True)
class Shard:
    """Slice K of N (1-based) of the sorted input list, dealt round robin."""

    k: int
    n: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        k, sep, n = text.partition("/")
        if not sep or not k.strip().isdigit() or not n.strip().isdigit():
            raise StudioError(f"shard must be K/N with whole numbers, like 2/8, not {text!r}")
        shard = cls(int(k), int(n))
        if not 1 <= shard.k <= shard.n:
            raise StudioError(f"shard {text!r}: K must be between 1 and N")
        return shard

    def includes(self, index: int) -> bool:
        return index % self.n == self.k - 1

    @property
    def label(self) -> str:
        return f"shard-{self.k}-of-{self.n}"


def shard_report_path(report: Path | None, output_dir: Path, shard: Shard) -> Path:
    """Each shard's own report: ``report.json`` -> ``report.shard-2-of-8.json``; default in OUTPUT_DIR."""
    report = Path(report) if report is not None else Path(output_dir) / "report.json"
    return report.with_name(f"{report.stem}.{shard.label}{report.suffix or '.json'}")


def _key(path: Path) -> str:
    # Case-folded so a case-insensitive disk cannot slip an input past the guard.
    return os.path.normcase(str(path)).casefold()


def is_within(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False


def _probe_writable(folder: Path) -> str | None:
    """Why ``folder`` cannot take new files, or None. Creating a file is the only reliable test."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=TEMP_MARK + "probe-", dir=folder)
    except OSError as exc:
        return exc.strerror or str(exc)
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(tmp)
    return None


def _check_output_dir(output_dir: Path) -> bool:
    """Validate OUTPUT_DIR; return True when it must be created."""
    exists = output_dir.exists()
    if exists and not output_dir.is_dir():
        raise ImageWriteError("output folder is not a folder", output_dir)
    if not exists and not output_dir.parent.is_dir():
        raise ImageWriteError("output folder does not exist, nor does its parent", output_dir)
    reason = _probe_writable(output_dir if exists else output_dir.parent)
    if reason:
        problem = "is not writable" if exists else "does not exist and cannot be created"
        raise ImageWriteError(f"output folder {problem} ({reason})", output_dir)
    return not exists


def _is_batch_report(path: Path) -> bool:
    """An earlier run's report, which a resumed run replaces; any other file is the user's."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(data, dict) and str(data.get("tool", "")).startswith("srgan-studio")


def _check_report(report: Path, input_dir: Path, output_dir: Path, protected: set[str]) -> None:
    parent = report.parent
    if _key(report) in protected:
        raise ImageWriteError("the report would overwrite an input", report)
    if is_within(report, input_dir) and not is_within(report, output_dir):
        raise ImageWriteError("the report may not be written inside the input folder", report)
    if report.is_dir():
        raise ImageWriteError("the report path is a folder", report)
    if report.is_file() and not _is_batch_report(report):
        raise ImageWriteError("exists and is not a batch report; refusing to overwrite it", report)
    if not parent.is_dir():
        if parent == output_dir:
            return  # created with the output folder
        raise ImageWriteError("the report's folder does not exist", report)
    reason = _probe_writable(parent)
    if reason:
        raise ImageWriteError(f"the report's folder is not writable ({reason})", report)


def plan_batch(job: BatchJob) -> BatchPlan:
    """Validate the job and decide every output. Reads the disk, writes nothing."""
    from .registry import default_registry

    if not job.models:
        raise StudioError("no model given")
    registry = default_registry()
    # Aliases and prefixes become the models' names, which the outputs and the report carry.
    job = replace(job, models=[m if m == AUTO else registry.resolve(m) for m in job.models])
    if len(set(job.models)) != len(job.models):
        raise StudioError(f"a model is listed twice: {', '.join(job.models)}")
    fmt = formats.writable(job.format) if job.format else None
    if not 1 <= int(job.quality) <= 100:
        raise StudioError(f"quality must be between 1 and 100, not {job.quality}")
    if job.workers < 0:
        raise StudioError(f"workers must be 0 or more, not {job.workers}")
    check_passes(job.ensemble)
    twins = _auto_twins(registry) if AUTO in job.models else ()
    descriptors = {name: registry.get(name) for name in _concrete(job.models, twins)}
    if job.size.width is not None and job.size.height is not None:
        check_target(job.size.width, job.size.height, job.max_pixels, "a box of")
    if job.shard is not None:
        job = replace(job, report=shard_report_path(job.report, job.output_dir, job.shard))

    input_dir = Path(job.input_dir).expanduser().absolute()
    output_dir = Path(job.output_dir).expanduser().absolute()
    if not input_dir.exists():
        raise StudioError("input folder does not exist", input_dir)
    if not input_dir.is_dir():
        raise StudioError("input is not a folder", input_dir)
    in_root = input_dir.resolve()
    out_root = output_dir.resolve()
    create = _check_output_dir(output_dir)

    prune = [output_dir] if out_root != in_root and not create else []
    found, notes = find_images(input_dir, recursive=job.recursive, prune=prune)
    if not found:
        extra = f" ({len(notes)} other entries skipped)" if notes else ""
        raise StudioError(f"no images found{extra}", input_dir)

    def out_folder(f: Found) -> Path:
        return out_root / f.rel.parent

    def base_name(f: Found, stem: str, model: str) -> str:
        tag = f"_{job.size.tag(descriptors[model].scale)}" if model and not job.size.is_native else ""
        return formats.output_name(f.path, f"{model}{tag}", formats.output_format(f.format, fmt), stem=stem)

    # In a shared tree, a file that is an output of another input is that output, not an input.
    plain_outputs: dict[str, Path] = {}
    for f in found:
        for model in _concrete(job.models, twins):
            plain_outputs[_key(out_folder(f) / base_name(f, f.path.stem, model))] = f.path
    inputs: list[Found] = []
    for f in found:
        source = plain_outputs.get(_key(in_root / f.rel))
        if source is not None and source != f.path:
            notes.append(Note(f.path, f"an output of this batch (from {source.name}), not an input"))
        else:
            inputs.append(f)
    if not inputs:
        raise StudioError("no images found (only outputs of this batch)", input_dir)
    notes.sort(key=lambda n: str(n.path))
    protected = {_key(in_root / f.rel) for f in inputs}

    # Two inputs whose outputs would share a name ("a.jpg" and "a.png" with --format png)
    # keep their full input name in the stem, so neither overwrites the other.
    by_name: dict[str, list[Found]] = {}
    for f in inputs:
        by_name.setdefault(_key(out_folder(f) / base_name(f, f.path.stem, "")), []).append(f)
    stems = {f.path: (f.path.name if len(group) > 1 else f.path.stem) for group in by_name.values() for f in group}

    if job.report is not None:
        _check_report(Path(job.report).expanduser().absolute().resolve(), in_root, out_root, protected)

    items: list[BatchItem] = []
    claimed: dict[str, Path] = {}
    for index, f in enumerate(inputs):
        out_fmt = formats.output_format(f.format, fmt)
        outputs: dict[str, Path] = {}
        todo: list[str] = []
        errors: list[str] = []
        # Both twins' names are claimed, so a collision does not depend on what "auto" picks.
        for twin in twins:
            claimed.setdefault(_key(out_folder(f) / base_name(f, stems[f.path], twin)), f.path)
        if job.shard is not None and not job.shard.includes(index):
            # Another shard's input: it claims its names exactly as it would here, nothing else.
            for model in _concrete(job.models, twins):
                claimed.setdefault(_key(out_folder(f) / base_name(f, stems[f.path], model)), f.path)
            continue
        names = (out_folder(f) / base_name(f, stems[f.path], twin) for twin in twins)
        models, undecided = _resolve(job, twins, f.path, names)
        for model in models:
            target = out_folder(f) / base_name(f, stems[f.path], model)
            outputs[model] = target
            key = _key(target)
            if key in protected:
                errors.append(f"{model}: output {target.name} would overwrite an input, not written")
            elif claimed.get(key, f.path) != f.path:
                errors.append(f"{model}: output {target.name} is also the output of {claimed[key].name}, not written")
            elif target.is_dir():
                errors.append(f"{model}: output {target} is a folder, not written")
            elif job.overwrite or not is_complete(target):
                todo.append(model)
            claimed.setdefault(key, f.path)
        items.append(BatchItem(len(items), f.path, outputs, tuple(todo), out_fmt, tuple(errors), undecided))

    shard = None if job.shard is None else _shard_info(job.shard, inputs)
    return BatchPlan(job, input_dir, output_dir, tuple(items), tuple(notes), descriptors, create, shard)


def _shard_info(shard: Shard, inputs: list[Found]) -> dict[str, Any]:
    """What every shard of one batch agrees on: a report shows whether two shards saw the same list."""
    listing = "\n".join(f.rel.as_posix() for f in inputs).encode("utf-8", "surrogateescape")
    return {"k": shard.k, "n": shard.n, "inputs": len(inputs), "list_sha256": hashlib.sha256(listing).hexdigest()}


def _auto_twins(registry) -> tuple[str, ...]:
    """The models ``auto`` can pick: the faithful one per input kind (one name when restore_x4 is missing)."""
    from .input_kind import KINDS, faithful_model

    names = [faithful_model(kind, registry) for kind in KINDS]
    names = [n if n in registry else registry.default_name() for n in names]
    return tuple(dict.fromkeys(names))


def _concrete(models: list[str], twins: tuple[str, ...]) -> list[str]:
    """The job's models with ``auto`` replaced by every model it can pick, each once."""
    out: list[str] = []
    for m in models:
        out.extend(twins if m == AUTO else (m,))
    return list(dict.fromkeys(out))


def _resolve(job: BatchJob, twins: tuple[str, ...], path: Path, twin_outputs) -> tuple[list[str], tuple[str, ...]]:
    """This input's models, ``auto`` replaced by one twin (the one whose output exists, else the one its
    header calls for), or by both while only the pixels can tell; and those undecided twins."""
    from .input_kind import classify_header

    if AUTO not in job.models:
        return list(job.models), ()
    existing = [] if job.overwrite else [t for t, out in zip(twins, twin_outputs) if is_complete(out)]
    if existing:
        chosen = existing[:1]
    elif len(twins) == 1:
        chosen = list(twins)
    else:
        report = classify_header(path)
        chosen = list(twins) if report is None else [twin_for_kind(report.kind, twins)]
    models = [c for m in job.models for c in (chosen if m == AUTO else [m])]
    return list(dict.fromkeys(models)), tuple(chosen) if len(chosen) > 1 else ()


def twin_for_kind(kind: str, twins: tuple[str, ...]) -> str:
    from .input_kind import faithful_model

    chosen = faithful_model(kind, twins)
    return chosen if chosen in twins else twins[0]


def decide(item: BatchItem, kind: str, job: BatchJob) -> BatchItem:
    """``item`` with its undecided twins narrowed to the one ``kind`` picks (a model the job names
    itself stays)."""
    if not item.undecided:
        return item
    keep = twin_for_kind(kind, item.undecided)
    drop = {t for t in item.undecided if t != keep and t not in job.models}
    return replace(
        item,
        outputs={m: p for m, p in item.outputs.items() if m not in drop},
        todo=tuple(m for m in item.todo if m not in drop),
        errors=tuple(e for e in item.errors if not any(e.startswith(f"{m}: ") for m in drop)),
        undecided=(),
    )


def planned_outputs(item: BatchItem, job: BatchJob) -> int:
    """How many outputs ``item`` will produce: one for all its undecided twins together."""
    open_twins = [m for m in item.todo if m in item.undecided and m not in job.models]
    return len(item.todo) - max(0, len(open_twins) - 1)


def is_complete(target: Path) -> bool:
    # Writes are atomic, so a file under the final name is complete; an empty
    # one can only come from elsewhere and is redone.
    try:
        return target.stat().st_size > 0
    except OSError:
        return False
