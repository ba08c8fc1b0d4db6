"""keras-io examples written as recipes with blocks, from kcfg's docs alone, against the examples' own Keras code.

Each function below is the example's model code as keras-io has it (custom layers included);
the recipe must build a model with the same parameter count, and must pass `kcfg smoke`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

keras = pytest.importorskip("keras")
from keras import layers, ops  # noqa: E402

from kcfg.builder import build_model  # noqa: E402
from kcfg.recipe import load_recipe  # noqa: E402

from .conftest import REPO  # noqa: E402


def oxford_pets_unet() -> Any:
    """examples/vision/oxford_pets_image_segmentation.py, `get_model((160, 160), 3)`."""
    inputs = keras.Input(shape=(160, 160, 3))
    x = layers.Conv2D(32, 3, strides=2, padding="same")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    previous_block_activation = x
    for filters in [64, 128, 256]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(filters, 1, strides=2, padding="same")(previous_block_activation)
        x = layers.add([x, residual])
        previous_block_activation = x
    for filters in [256, 128, 64, 32]:
        x = layers.Activation("relu")(x)
        x = layers.Conv2DTranspose(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.Conv2DTranspose(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.UpSampling2D(2)(x)
        residual = layers.UpSampling2D(2)(previous_block_activation)
        residual = layers.Conv2D(filters, 1, padding="same")(residual)
        x = layers.add([x, residual])
        previous_block_activation = x
    outputs = layers.Conv2D(3, 3, activation="softmax", padding="same")(x)
    return keras.Model(inputs, outputs)


def image_classification_from_scratch() -> Any:
    """examples/vision/image_classification_from_scratch.py, `make_model((180, 180, 3), 2)`."""
    inputs = keras.Input(shape=(180, 180, 3))
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.Conv2D(32, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.Conv2D(64, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    previous_block_activation = x
    for size in [128, 256, 512, 728]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(size, 1, strides=2, padding="same")(previous_block_activation)
        x = layers.add([x, residual])
        previous_block_activation = x
    x = layers.SeparableConv2D(1024, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs)


def text_classification_with_transformer() -> Any:
    """examples/nlp/text_classification_with_transformer.py, with its two custom layers."""

    class TransformerBlock(layers.Layer):
        def __init__(self, embed_dim: int, num_heads: int, ff_dim: int, rate: float = 0.1) -> None:
            super().__init__()
            self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.ffn = keras.Sequential([layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)])
            self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
            self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
            self.dropout1 = layers.Dropout(rate)
            self.dropout2 = layers.Dropout(rate)

        def call(self, inputs: Any) -> Any:
            attn_output = self.dropout1(self.att(inputs, inputs))
            out1 = self.layernorm1(inputs + attn_output)
            return self.layernorm2(out1 + self.dropout2(self.ffn(out1)))

    class TokenAndPositionEmbedding(layers.Layer):
        def __init__(self, maxlen: int, vocab_size: int, embed_dim: int) -> None:
            super().__init__()
            self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
            self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

        def call(self, x: Any) -> Any:
            positions = self.pos_emb(ops.arange(start=0, stop=ops.shape(x)[-1], step=1))
            return self.token_emb(x) + positions

    inputs = layers.Input(shape=(200,))
    x = TokenAndPositionEmbedding(200, 20000, 32)(inputs)
    x = TransformerBlock(32, 2, 32)(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.1)(x)
    x = layers.Dense(20, activation="relu")(x)
    x = layers.Dropout(0.1)(x)
    return keras.Model(inputs=inputs, outputs=layers.Dense(2, activation="softmax")(x))


def speaker_recognition() -> Any:
    """examples/audio/speaker_recognition_using_cnn.py, `build_model((16000 // 2, 1), 5)`."""

    def residual_block(x: Any, filters: int, conv_num: int = 3, activation: str = "relu") -> Any:
        s = keras.layers.Conv1D(filters, 1, padding="same")(x)
        for _ in range(conv_num - 1):
            x = keras.layers.Conv1D(filters, 3, padding="same")(x)
            x = keras.layers.Activation(activation)(x)
        x = keras.layers.Conv1D(filters, 3, padding="same")(x)
        x = keras.layers.Add()([x, s])
        x = keras.layers.Activation(activation)(x)
        return keras.layers.MaxPool1D(pool_size=2, strides=2)(x)

    inputs = keras.layers.Input(shape=(8000, 1), name="input")
    x = residual_block(inputs, 16, 2)
    x = residual_block(x, 32, 2)
    x = residual_block(x, 64, 3)
    x = residual_block(x, 128, 3)
    x = residual_block(x, 128, 3)
    x = keras.layers.AveragePooling1D(pool_size=3, strides=3)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(256, activation="relu")(x)
    x = keras.layers.Dense(128, activation="relu")(x)
    return keras.models.Model(inputs=inputs, outputs=keras.layers.Dense(5, activation="softmax", name="output")(x))


EXAMPLES: dict[str, tuple[Path, Callable[[], Any]]] = {
    "oxford_pets_unet": (REPO / "recipes" / "unet.yaml", oxford_pets_unet),
    "mini_xception": (REPO / "examples" / "keras_io" / "mini_xception.yaml", image_classification_from_scratch),
    "text_transformer": (REPO / "examples" / "keras_io" / "text_transformer.yaml", text_classification_with_transformer),
    "speaker_recognition": (REPO / "recipes" / "residual_stack.yaml", speaker_recognition),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_recipe_has_the_parameter_count_of_the_keras_io_model(name: str) -> None:
    recipe, original = EXAMPLES[name]
    built = build_model(load_recipe(recipe)).model
    assert built.count_params() == original().count_params()


@pytest.mark.slow
@pytest.mark.parametrize("recipe", sorted((REPO / "examples" / "keras_io").glob("*.yaml")), ids=lambda p: p.stem)
def test_example_recipe_passes_smoke(recipe: Path) -> None:
    from kcfg.run.smoke import smoke

    result = smoke(recipe)
    assert result.passed, result.problems
