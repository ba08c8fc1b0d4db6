"""`${...}` interpolation."""

from __future__ import annotations

import pytest

from kcfg.recipe import RecipeError, load_recipe

MODEL = "model:\n  inputs: {x: [4]}\n  layers:\n    out: {type: Dense, units: 1}\n"


def test_paths_env_name_and_placeholders(write, monkeypatch) -> None:
    monkeypatch.setenv("KCFG_TEST_EPOCHS", "7")
    recipe = write(
        "exp.yaml",
        MODEL
        + "fit: {epochs: '${env:KCFG_TEST_EPOCHS}', batch_size: 16}\n"
        + "evaluate: {batch_size: '${fit.batch_size}'}\n"
        + "description: 'run ${name} with ${env:KCFG_TEST_UNSET_VAR,default-text} and $${literal}'\n"
        + "callbacks:\n  - {type: ModelCheckpoint, filepath: '${run_dir}/ck/{epoch:02d}-{val_loss:.2f}.keras'}\n",
    )
    loaded = load_recipe(recipe)
    assert loaded.recipe.fit.epochs == 7  # a whole-string reference keeps the type
    assert loaded.recipe.evaluate.batch_size == 16
    assert loaded.recipe.description == "run exp with default-text and ${literal}"
    assert loaded.data["callbacks"][0]["filepath"] == "${run_dir}/ck/{epoch:02d}-{val_loss:.2f}.keras"


def test_run_variables_fill_in_when_given(write) -> None:
    recipe = write("exp.yaml", MODEL + "runtime: {run_dir: 'runs/${name}/${timestamp}'}\ncallbacks:\n  - {type: CSVLogger, filename: '${run_dir}/log.csv'}\n")
    loaded = load_recipe(recipe)
    assert loaded.recipe.runtime.run_dir == "runs/exp/${timestamp}"
    ran = loaded.with_run("runs/exp/1", "1")
    assert ran.recipe.runtime.run_dir == "runs/exp/1"
    assert ran.data["callbacks"][0]["filename"] == "runs/exp/1/log.csv"


def test_run_variables_keep_escapes_and_references_as_the_first_pass_did(write) -> None:
    recipe = write("exp.yaml", "name: exp\ndescription: '$${run_dir} is ${name}'\n" + MODEL + "callbacks:\n  - {type: CSVLogger, filename: '${run_dir}/${description}.csv'}\n")
    ran = load_recipe(recipe).with_run("out", "1")
    assert ran.recipe.description == "${run_dir} is exp"
    assert ran.data["callbacks"][0]["filename"] == "out/${run_dir} is exp.csv"


def test_name_from_recipe(write) -> None:
    loaded = load_recipe(write("file.yaml", "name: custom\ndescription: '${name}'\n" + MODEL))
    assert loaded.recipe.description == "custom"
    assert loaded.name == "custom"


def test_env_default_parsed_as_yaml_scalar(write) -> None:
    loaded = load_recipe(write("r.yaml", MODEL + "fit: {epochs: '${env:KCFG_TEST_UNSET_VAR,3}'}\n"))
    assert loaded.recipe.fit.epochs == 3


def test_reference_through_a_list(write) -> None:
    loaded = load_recipe(write("r.yaml", MODEL + "callbacks:\n  - {type: EarlyStopping, monitor: loss, patience: 4}\nfit: {epochs: '${callbacks.0.patience}'}\n"))
    assert loaded.recipe.fit.epochs == 4


def test_all_interpolation_problems_reported(write) -> None:
    recipe = write("r.yaml", MODEL + "fit: {epochs: '${fit.nope}', batch_size: '${env:KCFG_TEST_UNSET_VAR}'}\n")
    with pytest.raises(RecipeError) as caught:
        load_recipe(recipe)
    assert len(caught.value.problems) == 2
