"""The recipe stage: YAML in, a validated and planned `LoadedRecipe` out. Imports no TensorFlow."""

from kcfg.recipe.defaults import with_defaults
from kcfg.recipe.errors import KeyPath, Location, PathProblem, Problem, RecipeError, dotted
from kcfg.recipe.expanded import expanded_recipe
from kcfg.recipe.grammar import Y_PRED_LOSS
from kcfg.recipe.load import LoadedRecipe, load_recipe
from kcfg.recipe.plan import GraphPlan, RecipePlan, Reference, Step, output_names, plan_recipe
from kcfg.recipe.schema import Recipe, json_schema, plain
from kcfg.recipe.yaml_io import dump_yaml

__all__ = [
    "GraphPlan", "KeyPath", "LoadedRecipe", "Location", "PathProblem", "Problem", "Recipe", "RecipeError", "RecipePlan",
    "Reference", "Step", "Y_PRED_LOSS", "dotted", "dump_yaml", "expanded_recipe", "json_schema", "load_recipe", "output_names", "plain", "plan_recipe",
    "with_defaults",
]
