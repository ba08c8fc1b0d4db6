"""Blocks, `op:` entries and composition in the recipe stage: the plan, where problems land, extends."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kcfg.recipe import LoadedRecipe, RecipeError, Reference, load_recipe
from kcfg.recipe.plugin_scan import scan_plugins

Write = Callable[[str, str], Path]

DOWN = """\
blocks:
  down:
    params: {filters: 8, activation: relu}
    layers:
      conv: {type: Conv2D, filters: "${params.filters}", kernel_size: 3, activation: "${params.activation}", padding: same}
      pool: {type: MaxPooling2D, pool_size: 2}
      skip: {type: Conv2D, filters: "${params.filters}", kernel_size: 1, strides: 2, input: x}
      out: {type: Add, input: [pool, skip]}
"""


def problems(write: Write, text: str) -> list[str]:
    """Each problem as `LINE:COL: key: message` (file name left out)."""
    path = write("r.yaml", text)
    with pytest.raises(RecipeError) as caught:
        load_recipe(path)
    return [str(p).removeprefix(f"{path}:") for p in caught.value.problems if p.severity == "error"]


def loaded(write: Write, text: str) -> LoadedRecipe:
    return load_recipe(write("r.yaml", text))


def test_expansion_names_rules_and_origins(write) -> None:
    plan = loaded(write, DOWN + """\
model:
  inputs: {image: [16, 16, 3]}
  layers:
    d1: {block: down}
    d2: {block: down, filters: 16, activation: gelu}
    flat: {type: GlobalAveragePooling2D}
""").plan.model
    assert list(plan.steps) == [f"d{i}_{layer}" for i in (1, 2) for layer in ("conv", "pool", "skip", "out")] + ["flat"]
    conv = plan.steps["d2_conv"]
    assert conv.spec.arguments["filters"] == 16 and conv.spec.arguments["activation"] == "gelu"
    assert [str(ref) for ref in conv.inputs] == ["d1_out"] and conv.rule == "block input"
    assert [str(ref) for ref in plan.steps["d2_skip"].inputs] == ["d1_out"]
    assert [str(ref) for ref in plan.steps["flat"].inputs] == ["d2_out"] and plan.steps["flat"].rule == "previous entry"
    assert conv.origin is not None and conv.origin.written == ("blocks", "down", "layers", "conv")
    assert [use.name for use in conv.origin.uses] == ["d2"]
    assert conv.origin.sources == {("filters",): ("model", "layers", "d2", "filters"), ("activation",): ("model", "layers", "d2", "activation")}
    assert plan.steps["d1_conv"].origin.sources[("filters",)] == ("blocks", "down", "params", "filters")  # type: ignore[union-attr]
    assert plan.uses == {"d1": [Reference("d1_out")], "d2": [Reference("d2_out")]}


def test_a_problem_in_a_block_is_on_its_line_once_however_often_it_is_used(write) -> None:
    found = problems(write, DOWN.replace("kernel_size: 3,", "kernal_size: 3,") + """\
model:
  inputs: {image: [16, 16, 3]}
  layers:
    d1: {block: down}
    d2: {block: down}
""")
    assert found == ["5:58: model.layers.d1_conv: Conv2D has no argument 'kernal_size' (did you mean 'kernel_size'?)"]


def test_a_value_a_use_gives_is_judged_on_the_use(write) -> None:
    found = problems(write, DOWN + """\
model:
  inputs: {image: [16, 16, 3]}
  layers:
    d1: {block: down, activation: rleu}
    d2: {block: down, filters: (3, 3)}
""")
    assert found == [
        "12:23: model.layers.d1_conv.activation: unknown activation 'rleu' (did you mean 'relu'?)",
        "13:23: model.layers.d2_conv.filters: '(3' is the start of a Python tuple that YAML's {...} cut at its comma: write a list, [3, ...]",
    ]


def test_unused_blocks_and_unused_expanded_layers_are_warnings(write) -> None:
    recipe = loaded(write, DOWN + """\
  spare:
    layers:
      d: {type: Dense, units: 2}
model:
  inputs: {image: [16, 16, 3]}
  layers:
    d1: {block: down}
    side: {type: Dense, units: 2, input: d1_conv}
    out: {type: GlobalAveragePooling2D, input: d1}
""")
    assert [str(w).split(": ", 1)[1] for w in recipe.warnings] == [
        "blocks.spare: warning: block 'spare' is not used: no layer entry says `block: spare`",
        "model.layers.side: warning: nothing reads layer 'side': it is not on a path to an output",
    ]


def test_interpolation_leaves_block_parameters_to_the_uses(write) -> None:
    recipe = loaded(write, """\
blocks:
  dense:
    params: {units: 2}
    layers:
      d: {type: Dense, units: "${params.units}"}
model:
  inputs: {x: [4]}
  layers:
    a: {block: dense, units: "${model.inputs.x.0}"}
""")
    assert recipe.plan.model.steps["a_d"].spec.arguments["units"] == 4  # a whole-string reference keeps its type
    assert recipe.data["blocks"]["dense"]["layers"]["d"]["units"] == "${params.units}"


def test_op_entries_take_numbers_and_plugin_functions(write) -> None:
    write("ops_plugin.py", "def halve(x):\n    return x / 2\n\ncontrastive = halve\n")
    plan = loaded(write, """\
plugins: [ops_plugin]
model:
  inputs: {a: [4], b: [4]}
  layers:
    total: {op: keras.ops.add, input: [a, b]}
    scaled: {op: keras.ops.multiply, input: [total, 0.5]}
    half: {op: ops_plugin.contrastive}
    joined: {op: keras.ops.concatenate, input: [[half, b]], arguments: {axis: -1}}
""").plan.model
    assert [str(r) for r in plan.steps["scaled"].inputs] == ["total"]
    assert [str(r) for r in plan.steps["joined"].inputs] == ["half", "b"]
    assert plan.steps["half"].rule == "previous entry"


def test_plugin_scan_sees_module_level_aliases(tmp_path: Path) -> None:
    (tmp_path / "losses_plugin.py").write_text(
        "def loss(margin=1.0):\n    def contrastive(y_true, y_pred):\n        return y_pred * margin\n    return contrastive\n\n"
        "contrastive_loss = loss(margin=1)\nscaled: float = 2.0\n_private = 3\n"
    )
    names = scan_plugins(["losses_plugin"], tmp_path)
    assert {"loss", "contrastive_loss", "scaled"} <= names.functions and "_private" not in names.functions


BASE = """\
model:
  inputs: {x: [4]}
  layers:
    hidden: {type: Dense, units: 8}
    out: {type: Dense, units: 1}
data:
  train: {source: synthetic, samples: 64, seed: 1}
"""


def test_a_child_that_changes_a_source_or_type_replaces_the_mapping(write) -> None:
    write("base.yaml", BASE)
    write("data.npz", "")
    recipe = loaded(write, """\
extends: base.yaml
model:
  layers:
    hidden: {type: Dropout, rate: 0.5}
data:
  train: {source: npz, path: data.npz}
""")
    assert recipe.data["data"]["train"] == {"source": "npz", "path": "data.npz"}
    assert recipe.data["model"]["layers"]["hidden"] == {"type": "Dropout", "rate": 0.5}


def test_patch_replace_takes_the_mapping_as_written_and_layers_merge_at_the_end_otherwise(write) -> None:
    write("base.yaml", BASE)
    appended = loaded(write, "extends: base.yaml\nmodel:\n  layers:\n    extra: {type: Dense, units: 2}\n")
    assert list(appended.plan.model.steps) == ["hidden", "out", "extra"]  # the base's output is no longer last
    inserted = loaded(write, """\
extends: base.yaml
model:
  layers:
    $patch: replace
    hidden: {type: Dense, units: 8}
    extra: {type: Dense, units: 2}
    out: {type: Dense, units: 1}
""")
    assert list(inserted.plan.model.steps) == ["hidden", "extra", "out"]
    assert "$patch" not in inserted.data["model"]["layers"]
