"""Training recipes: the schema lives in ``srgan_studio.core.recipe_schema`` (torch-free, so the
app builds recipes as the same typed object); this module keeps the trainer's import path."""

from __future__ import annotations

from ..core.recipe_schema import (
    CHOICES,
    DataSection,
    ExperimentSection,
    GanSection,
    ModelSection,
    Recipe,
    RecipeError,
    TrainSection,
    degradation_config,
    load_recipe,
    recipe_from_dict,
    set_override,
)

__all__ = [
    "CHOICES",
    "DataSection",
    "ExperimentSection",
    "GanSection",
    "ModelSection",
    "Recipe",
    "RecipeError",
    "TrainSection",
    "degradation_config",
    "load_recipe",
    "recipe_from_dict",
    "set_override",
]
