"""The recipe stage: YAML in, a validated `Recipe` out. Imports no TensorFlow."""

from kcfg.recipe.errors import Location, Problem, RecipeError
from kcfg.recipe.load import LoadedRecipe, load_recipe
from kcfg.recipe.schema import Recipe, json_schema
from kcfg.recipe.yaml_io import dump_yaml

__all__ = ["LoadedRecipe", "Location", "Problem", "Recipe", "RecipeError", "dump_yaml", "json_schema", "load_recipe"]
