"""Fine-tuning a model on the user's own photos (Qt-free, torch-free orchestration).

The wizard and ``srgan-studio finetune`` both drive this package:

1. ``scan_photos(folder)`` (photos.py) counts the usable photos, lists the bad ones and warns;
2. ``FinetuneRun.create(options, scan)`` (run.py) makes the run folder in
   ``data_dir()/finetune/<name>`` with links to the photos, at least two held out;
   base ``auto`` is the faithful base that scores best on them (base_choice.py);
3. ``run.estimate()`` and ``run.train()`` (training.py) time a dry run, choose batch,
   learning rate and steps for the budget (budget.py) and drive the trainer in a
   child process (process.py), turning its typed records into events (events.py);
4. ``evaluate(run)`` and ``register(run)`` (evaluate.py, register.py) score the result
   on the held-out photos and publish it; a fine-tune that lost to its base is not
   registered unless asked.

Everything a run needs is its typed state (state.py) in ``finetune.json``, so an
interrupted run resumes from its last checkpoint after a restart.
"""

from __future__ import annotations

from .base import (
    DEFAULT_BASE,
    TRAIN_EXTRA_HINT,
    BaseModel,
    Unusable,
    default_base,
    fine_tunable_models,
    read_weights_arch,
    resolve_base,
    survey_bases,
    training_missing,
)
from .base_choice import describe_base
from .budget import effective_ema, estimate_for, expected_seconds, expected_steps, format_eta, format_minutes
from .evaluate import EvalProgress, EvalResult, evaluate, load_evaluation
from .events import (
    CheckpointSaved,
    Estimate,
    Notice,
    PreviewReady,
    StageFinished,
    StageStarted,
    StepProgress,
    TrainOutcome,
    Validation,
)
from .export import export
from .folder import finetune_root, list_runs
from .options import GOALS, MIN_HELDOUT, FinetuneOptions, name_problem, stage_names
from .photos import FolderScan, Photo, ScanProgress, choose_heldout, scan_folder, scan_photos
from .presets import PRESET_TITLES, preset_names
from .register import did_not_beat_base, register
from .run import FinetuneRun
from .state import STATE_FILE, RunStatus, StatusError

__all__ = [
    "DEFAULT_BASE",
    "GOALS",
    "MIN_HELDOUT",
    "PRESET_TITLES",
    "STATE_FILE",
    "TRAIN_EXTRA_HINT",
    "BaseModel",
    "CheckpointSaved",
    "Estimate",
    "EvalProgress",
    "EvalResult",
    "FinetuneOptions",
    "FinetuneRun",
    "FolderScan",
    "Notice",
    "Photo",
    "PreviewReady",
    "RunStatus",
    "ScanProgress",
    "StageFinished",
    "StageStarted",
    "StatusError",
    "StepProgress",
    "TrainOutcome",
    "Unusable",
    "Validation",
    "choose_heldout",
    "default_base",
    "describe_base",
    "did_not_beat_base",
    "effective_ema",
    "estimate_for",
    "evaluate",
    "expected_seconds",
    "expected_steps",
    "export",
    "fine_tunable_models",
    "finetune_root",
    "format_eta",
    "format_minutes",
    "list_runs",
    "load_evaluation",
    "name_problem",
    "preset_names",
    "read_weights_arch",
    "register",
    "resolve_base",
    "scan_folder",
    "scan_photos",
    "stage_names",
    "survey_bases",
    "training_missing",
]
