"""The importer: a saved Keras model -> recipe data (`kcfg import`). Imports Keras."""

from kcfg.importer.adapted import SavedState, comment_adapted
from kcfg.importer.model_config import ImportProblem, import_recipe, read_model_config

__all__ = ["ImportProblem", "SavedState", "comment_adapted", "import_recipe", "read_model_config"]
