"""Training recipes: one TOML file per experiment, checked against a strict schema.

Unknown sections or keys are errors, types are checked, and the resolved recipe
(overrides applied, paths made absolute) is written into the run folder so a
run can be resumed or reproduced from that folder alone.

Torch-free, so the app (core/finetune) builds recipes as this typed object and
the trainer reads them with the same code; ``training/recipe.py`` re-exports it.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import re
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .degradation import DegradationConfig, DegradationError, config_from


class RecipeError(ValueError):
    """A recipe that does not match the schema; the message names the file and key."""


@dataclass
class ExperimentSection:
    name: str = "experiment"
    description: str = ""
    seed: int = 0


@dataclass
class ModelSection:
    type: str = "srresnet"
    # Everything else is passed to the architecture builder, which rejects unknown options.
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class DataSection:
    train: str = ""
    val: list[str] = field(default_factory=list)
    patch_size: int = 96
    batch_size: int = 16
    degradation: str = "clean"  # a preset of core.degradation.PRESETS; the [degradation] table overrides its keys
    val_max_images: int = 0  # 0 = all
    detail_sampling: bool = False  # draw patches towards detailed regions (flat sky teaches nothing)


@dataclass
class TrainSection:
    stage: str = "psnr"  # "psnr" (pixel loss only) or "gan"
    steps: int = 1000
    lr: float = 2e-4
    betas: list[float] = field(default_factory=lambda: [0.9, 0.999])
    schedule: str = "cosine"  # "constant", "cosine" or "step"
    milestones: list[int] = field(default_factory=list)  # for "step": lr x 0.1 at each
    warmup_steps: int = 0
    min_lr: float = 1e-7
    ema: float = 0.0  # EMA decay of the generator weights; 0 = off
    grad_clip: float = 0.0  # max grad norm; 0 = off
    pixel_loss: str = "l1"  # "l1", "mse" or "charbonnier"
    init: str = ""  # weights (.safetensors) to start from, e.g. the PSNR model
    checkpoint_minutes: float = 5.0
    checkpoint_keep: int = 2
    val_every: int = 200
    log_every: int = 10
    threads: int = 0  # torch threads; 0 = all cores; -1 = the fastest count, measured during the run
    precision: str = "fp32"  # "fp32", "bf16" (autocast, fp32 master weights) or "auto" (bf16 where the CPU has it)
    channels_last: bool = True
    device: str = "auto"  # "auto" (CUDA when present), "cpu", "cuda" or "cuda:N"; one GPU per rank under torchrun
    keep_best: bool = False  # validate the initial weights first and export the best validated weights


@dataclass
class GanSection:
    discriminator: str = "srgan_discriminator"
    discriminator_options: dict[str, Any] = field(default_factory=dict)
    adversarial: str = "bce"  # "bce" (SRGAN) or "ragan" (ESRGAN)
    adv_weight: float = 1e-3
    pixel_weight: float = 0.0
    lowpass_weight: float = 0.0  # L1 between SR and HR average-pooled by the scale: anchors colours, frees texture
    grid_weight: float = 0.0  # penalty on the scale-periodic (sub-pixel lattice) part of SR - HR: against checkerboards
    d_shift: int = 0  # D sees SR/HR cropped at a per-sample offset in [0, d_shift): against checkerboards
    content_loss: str = "feature_match"  # "vgg22", "vgg54", "feature_match" or "none"
    content_weight: float = 1.0
    vgg_weights: str = ""  # path to ImageNet VGG19 weights (torchvision layout)
    d_lr: float = 1e-4
    d_betas: list[float] = field(default_factory=lambda: [0.9, 0.999])


@dataclass
class Recipe:
    experiment: ExperimentSection = field(default_factory=ExperimentSection)
    model: ModelSection = field(default_factory=ModelSection)
    data: DataSection = field(default_factory=DataSection)
    train: TrainSection = field(default_factory=TrainSection)
    gan: GanSection = field(default_factory=GanSection)
    # Overrides of the data.degradation preset's keys (core.degradation.DegradationConfig), checked there.
    degradation: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    def to_toml(self) -> str:
        out = []
        for sec in dataclasses.fields(self):
            if sec.name == "source":
                continue
            value = getattr(self, sec.name)
            out.append(f"[{sec.name}]")
            if isinstance(value, dict):
                out.extend(f"{k} = {_toml_value(v)}" for k, v in value.items())
                out.append("")
                continue
            for f in dataclasses.fields(value):
                v = getattr(value, f.name)
                if sec.name == "model" and f.name == "options":
                    continue
                out.append(f"{f.name} = {_toml_value(v)}")
            if sec.name == "model":
                out.extend(f"{k} = {_toml_value(v)}" for k, v in self.model.options.items())
            out.append("")
        return "\n".join(out)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {v!r} to TOML")


def _check_type(value: Any, annotation: Any, where: str) -> Any:
    origin = typing.get_origin(annotation)
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise RecipeError(f"{where} must be a number, not {value!r}")
        return float(value)
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise RecipeError(f"{where} must be an integer, not {value!r}")
        return value
    if annotation is bool:
        if not isinstance(value, bool):
            raise RecipeError(f"{where} must be true or false, not {value!r}")
        return value
    if annotation is str:
        if not isinstance(value, str):
            raise RecipeError(f"{where} must be a string, not {value!r}")
        return value
    if origin is list:
        (item,) = typing.get_args(annotation)
        if isinstance(value, str) and item is str:
            value = [value]
        if not isinstance(value, list):
            raise RecipeError(f"{where} must be a list, not {value!r}")
        return [_check_type(v, item, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise RecipeError(f"{where} must be a table, not {value!r}")
        return value
    raise TypeError(annotation)


CHOICES = {
    ("train", "stage"): ("psnr", "gan"),
    ("train", "schedule"): ("constant", "cosine", "step"),
    ("train", "pixel_loss"): ("l1", "mse", "charbonnier"),
    ("train", "precision"): ("fp32", "bf16", "auto"),
    ("gan", "adversarial"): ("bce", "ragan"),
    ("gan", "content_loss"): ("vgg22", "vgg54", "feature_match", "none"),
}


def recipe_from_dict(data: dict[str, Any], source: str = "<recipe>") -> Recipe:
    recipe = Recipe(source=source)
    hints = typing.get_type_hints(Recipe)
    for sec_name, sec_value in data.items():
        if sec_name not in hints or sec_name == "source":
            sections = sorted(set(hints) - {"source"})
            close = _close_match(sec_name, sections)
            hint = f"; did you mean [{close}]?" if close else ""
            raise RecipeError(f"{source}: unknown section [{sec_name}]{hint} (sections: {', '.join(sections)})")
        if not isinstance(sec_value, dict):
            raise RecipeError(f"{source}: [{sec_name}] must be a table")
        section = getattr(recipe, sec_name)
        if isinstance(section, dict):  # [degradation]: free keys, checked as a whole in _check_ranges
            section.update(sec_value)
            continue
        sec_hints = typing.get_type_hints(type(section))
        for key, value in sec_value.items():
            where = f"{source}: {sec_name}.{key}"
            if sec_name == "model" and key not in sec_hints:
                section.options[key] = value  # validated by the architecture builder
                continue
            if key not in sec_hints:
                close = _close_match(key, sorted(sec_hints))
                hint = f"; did you mean {sec_name}.{close}?" if close else f" (known: {', '.join(sorted(sec_hints))})"
                raise RecipeError(f"{where} is not a known key{hint}")
            value = _check_type(value, sec_hints[key], where)
            allowed = CHOICES.get((sec_name, key))
            if allowed and value not in allowed:
                raise RecipeError(f"{where} must be one of {allowed}, not {value!r}")
            setattr(section, key, value)
    _check_ranges(recipe, source)
    return recipe


def _close_match(word: str, known: list[str]) -> str | None:
    close = difflib.get_close_matches(word, known, n=1)
    return close[0] if close else None


def _check_ranges(r: Recipe, source: str) -> None:
    def need(cond: bool, msg: str) -> None:
        if not cond:
            raise RecipeError(f"{source}: {msg}")

    need(r.train.steps > 0, "train.steps must be positive")
    need(r.train.lr > 0, "train.lr must be positive")
    need(0 <= r.train.ema < 1, "train.ema must be in [0, 1)")
    need(
        len(r.train.betas) == 2 and all(0 <= b < 1 for b in r.train.betas), "train.betas must be two numbers in [0, 1)"
    )
    need(r.data.patch_size >= 8, "data.patch_size must be at least 8")
    need(r.data.batch_size >= 1, "data.batch_size must be at least 1")
    need(0 <= r.gan.d_shift <= r.data.patch_size // 4, "gan.d_shift must be in [0, data.patch_size / 4]")
    need(r.train.checkpoint_minutes > 0, "train.checkpoint_minutes must be positive")
    need(
        re.fullmatch(r"auto|cpu|cuda(:\d+)?", r.train.device) is not None,
        f"train.device must be auto, cpu, cuda or cuda:N, not {r.train.device!r}",
    )
    need(not r.train.keep_best or bool(r.data.val), "train.keep_best needs validation photos (data.val)")
    try:
        degradation_config(r)
    except DegradationError as exc:
        raise RecipeError(f"{source}: {exc}") from None


def degradation_config(r: Recipe) -> DegradationConfig:
    """The data.degradation preset with the recipe's [degradation] overrides, checked."""
    return config_from(r.data.degradation, r.degradation)


def set_override(data: dict[str, Any], dotted: str, raw: str) -> None:
    """Apply ``section.key=value`` (value parsed as TOML, else taken as a string)."""
    if "." not in dotted:
        raise RecipeError(f"--set {dotted}={raw}: must look like SECTION.KEY=VALUE")
    sec, key = dotted.split(".", 1)
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    data.setdefault(sec, {})[key] = value


def _apply_override(data: dict[str, Any], item: str) -> None:
    if "=" not in item:
        raise RecipeError(f"--set {item}: must look like SECTION.KEY=VALUE")
    k, v = item.split("=", 1)
    set_override(data, k.strip(), v.strip())


def _with_overrides(data: dict[str, Any], overrides: list[str], source: str) -> Recipe:
    """The checked recipe with each ``--set`` applied in turn. An error the file alone does not have is
    reported against the override that brought it in: the user typed that, not the file."""
    merged = copy.deepcopy(data)
    for item in overrides:
        _apply_override(merged, item)
    try:
        return recipe_from_dict(merged, source)
    except RecipeError:
        if overrides:
            _blame_override(data, overrides)
        raise


def _blame_override(data: dict[str, Any], overrides: list[str]) -> None:
    """Raise the error of the last override after which the recipe stopped checking (an earlier break a
    later override mended is not the cause); return if the file alone is already wrong."""
    try:
        recipe_from_dict(data)
    except RecipeError:
        return
    culprit, ok = None, True
    for item in overrides:
        _apply_override(data, item)
        try:
            recipe_from_dict(data, f"--set {item}")
            ok = True
        except RecipeError as exc:
            culprit = exc if ok else culprit
            ok = False
    if culprit is not None:
        raise culprit


def load_recipe(path: str | Path, overrides: list[str] = (), base_dir: Path | None = None) -> Recipe:
    """Load and check a recipe; relative data paths resolve against ``base_dir`` (default: cwd)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RecipeError(f"{path}: recipe file does not exist") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RecipeError(f"{path}: not a valid TOML recipe ({exc})") from None
    recipe = _with_overrides(data, list(overrides), str(path))
    base = Path(base_dir) if base_dir else Path.cwd()

    def absolute(p: str) -> str:
        return str((base / p).resolve()) if p and not Path(p).is_absolute() else p

    recipe.data.train = absolute(recipe.data.train)
    recipe.data.val = [absolute(v) for v in recipe.data.val]
    recipe.train.init = absolute(recipe.train.init)
    recipe.gan.vgg_weights = absolute(recipe.gan.vgg_weights)
    return recipe
