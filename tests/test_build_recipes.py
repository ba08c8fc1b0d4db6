"""Every shipped recipe builds the same model as the same architecture written by hand in Keras.

The keras-io examples (heart_disease, text_vectorization, siamese_contrastive, vae) are
written here as in their scripts, so their parameter counts are the originals'.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

keras = pytest.importorskip("keras")
from keras import layers, ops  # noqa: E402

from kcfg.builder import build_model  # noqa: E402
from kcfg.recipe import load_recipe  # noqa: E402
from kcfg.run import build_adapted  # noqa: E402

from .conftest import RECIPES, REPO  # noqa: E402
from .keras_structure import structure  # noqa: E402
from .shipped_data import training_columns, training_rows  # noqa: E402
from .test_blocks_build import TWINS  # noqa: E402

HAND_WRITTEN: dict[str, Callable[[], Any]] = dict(TWINS)  # the block recipes' twins are Keras loops


def hand_written(function: Callable[[], Any]) -> Callable[[], Any]:
    HAND_WRITTEN[function.__name__] = function
    return function


@hand_written
def mnist_mlp() -> Any:
    digits = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(digits)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    return keras.Model(digits, layers.Dense(10, activation="softmax", name="predictions")(x), name="mnist_mlp")


@hand_written
def mnist_data_parallel() -> Any:
    """mnist_mlp trained by two processes: the same model."""
    base = mnist_mlp()
    return keras.Model(base.inputs, base.outputs, name="mnist_data_parallel")


@hand_written
def small_resnet() -> Any:
    img = keras.Input(shape=(32, 32, 3), name="img")
    x = layers.Conv2D(32, 3, activation="relu", name="conv1")(img)
    x = layers.Conv2D(64, 3, activation="relu", name="conv2")(x)
    block_1 = layers.MaxPooling2D(3, name="block1_out")(x)
    x = layers.Conv2D(64, 3, activation="relu", padding="same", name="block2_conv1")(block_1)
    x = layers.Conv2D(64, 3, activation="relu", padding="same", name="block2_conv2")(x)
    block_2 = layers.add([x, block_1], name="block2_out")
    x = layers.Conv2D(64, 3, activation="relu", padding="same", name="block3_conv1")(block_2)
    x = layers.Conv2D(64, 3, activation="relu", padding="same", name="block3_conv2")(x)
    block_3 = layers.add([x, block_2], name="block3_out")
    x = layers.Conv2D(64, 3, activation="relu", name="conv3")(block_3)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    x = layers.Dense(256, activation="relu", name="dense")(x)
    x = layers.Dropout(0.5, name="dropout")(x)
    return keras.Model(img, layers.Dense(10, name="predictions")(x), name="small_resnet")


def member(name: str) -> Any:
    x = keras.Input(shape=(128,), name="x")
    hidden = layers.Dense(32, activation="relu", name="hidden")(x)
    return keras.Model(x, layers.Dense(1, activation="sigmoid", name="out")(hidden), name=name)


@hand_written
def ensemble() -> Any:
    x = keras.Input(shape=(128,), name="x")
    outputs = [member(name)(x) for name in ("m1", "m2", "m3")]
    return keras.Model(x, layers.Average(name="ensemble")(outputs), name="ensemble")


@hand_written
def multi_io() -> Any:
    title = keras.Input(shape=(None,), dtype="int32", name="title")
    body = keras.Input(shape=(None,), dtype="int32", name="body")
    tags = keras.Input(shape=(12,), name="tags")
    title_features = layers.Embedding(10000, 64, name="title_features")(title)
    body_features = layers.Embedding(10000, 64, name="body_features")(body)
    title_lstm = layers.LSTM(128, name="title_lstm")(title_features)
    body_lstm = layers.LSTM(32, name="body_lstm")(body_features)
    features = layers.concatenate([title_lstm, body_lstm, tags], name="features")
    priority = layers.Dense(1, name="priority")(features)
    department = layers.Dense(4, name="department")(features)
    return keras.Model([title, body, tags], [priority, department], name="multi_io")


@hand_written
def conv_autoencoder() -> Any:
    def encoder(name: str) -> Any:
        image = keras.Input(shape=(28, 28, 1), name="image")
        x = layers.Conv2D(16, 3, activation="relu", padding="same", name="down16_conv")(image)
        x = layers.MaxPooling2D(2, name="down16_pool")(x)
        x = layers.Conv2D(8, 3, activation="relu", padding="same", name="down8_conv")(x)
        return keras.Model(image, layers.MaxPooling2D(2, name="down8_pool")(x), name=name)

    def decoder(name: str) -> Any:
        code = keras.Input(shape=(7, 7, 8), name="code")
        x = layers.Conv2DTranspose(8, 3, strides=2, activation="relu", padding="same", name="deconv")(code)
        x = layers.Conv2D(16, 3, activation="relu", padding="same", name="conv3")(x)
        x = layers.UpSampling2D(2, name="upsample")(x)
        return keras.Model(code, layers.Conv2D(1, 3, activation="sigmoid", padding="same", name="pixels")(x), name=name)

    image = keras.Input(shape=(28, 28, 1), name="image")
    return keras.Model(image, decoder("reconstruction")(encoder("code")(image)), name="conv_autoencoder")


@hand_written
def siamese() -> Any:
    x = keras.Input(shape=(32,), name="x")
    hidden = layers.Dense(64, activation="relu", name="hidden")(x)
    tower = keras.Model(x, layers.Dense(16, name="embedding")(hidden), name="left_tower")
    left = keras.Input(shape=(32,), name="left")
    right = keras.Input(shape=(32,), name="right")
    difference = layers.subtract([tower(left), tower(right)], name="difference")
    distance = layers.Lambda(ops.abs, name="distance")(difference)
    return keras.Model([left, right], layers.Dense(1, activation="sigmoid", name="same")(distance), name="siamese")


@hand_written
def text_classifier() -> Any:
    tokens = keras.Input(shape=(200,), dtype="int32", name="tokens")
    x = layers.Embedding(20000, 64, name="embedding")(tokens)
    x = layers.Bidirectional(layers.LSTM(32, return_sequences=True), name="lstm")(x)
    x = layers.Bidirectional(layers.GRU(16), name="gru")(x)
    x = layers.Dropout(0.3, name="dropout")(x)
    positive = layers.Dense(1, activation="sigmoid", kernel_regularizer=keras.regularizers.L2(0.001), name="positive")(x)
    return keras.Model(tokens, positive, name="text_classifier")


@hand_written
def yolo_style_loss() -> Any:
    image = keras.Input(shape=(32, 32, 3), name="image")
    boxes = keras.Input(shape=(4,), name="boxes")
    x = layers.Conv2D(16, 3, strides=2, activation="relu", name="conv1")(image)
    x = layers.Conv2D(32, 3, strides=2, activation="relu", name="conv2")(x)
    x = layers.GlobalAveragePooling2D(name="features")(x)
    predicted = layers.Dense(4, name="predicted_boxes")(x)
    error = layers.subtract([predicted, boxes], name="error")
    squared = layers.Lambda(ops.square, name="squared")(error)
    loss = layers.Lambda(ops.sum, arguments={"axis": -1, "keepdims": True}, output_shape=(1,), name="yolo_loss")(squared)
    return keras.Model([image, boxes], loss, name="yolo_style_loss")


@hand_written
def digits_cnn() -> Any:
    image = keras.Input(shape=(8, 8, 1), name="image")
    x = layers.Rescaling(0.0625, name="scale")(image)
    x = layers.Conv2D(32, 3, activation="relu", padding="same", name="conv1")(x)
    x = layers.Conv2D(32, 3, activation="relu", padding="same", name="conv2")(x)
    x = layers.MaxPooling2D(2, name="pool")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(0.25, name="dropout")(x)
    x = layers.Dense(64, activation="relu", name="hidden")(x)
    return keras.Model(image, layers.Dense(10, activation="softmax", name="digit")(x), name="digits_cnn")


@hand_written
def digits_cnn_gpu() -> Any:
    model = digits_cnn()
    return keras.Model(model.inputs, model.outputs, name="digits_cnn_gpu")


@hand_written
def digits_tune() -> Any:
    """digits_cnn as written: the search space changes it trial by trial, not here."""
    model = digits_cnn()
    return keras.Model(model.inputs, model.outputs, name="digits_tune")


@hand_written
def custom_layer() -> Any:
    build_model(load_recipe(REPO / "recipes" / "custom_layer.yaml"))  # imports the plugin
    from kcfg_plugins.antirectifier import Antirectifier

    features = keras.Input(shape=(20,), name="features")
    x = layers.Dense(32, name="dense")(features)
    x = Antirectifier(initializer="glorot_uniform", name="antirectifier")(x)
    x = layers.Dropout(0.1, name="dropout")(x)
    return keras.Model(features, layers.Dense(1, name="target")(x), name="custom_layer")


@hand_written
def heart_disease() -> Any:
    """keras-io structured_data_classification_from_scratch (its TensorFlow form), adapting by hand."""
    columns = training_columns("heart.csv")
    inputs, encoded = [], []
    for name in ["sex", "cp", "fbs", "restecg", "exang", "ca", "thal", "age", "trestbps", "chol", "thalach", "oldpeak", "slope"]:
        if name == "thal":
            feature, layer, values = keras.Input(shape=(1,), name=name, dtype="string"), layers.StringLookup(output_mode="multi_hot", name=f"{name}_encoded"), columns[name]
        elif name in ("age", "trestbps", "chol", "thalach", "oldpeak", "slope"):
            feature, layer, values = keras.Input(shape=(1,), name=name), layers.Normalization(name=f"{name}_encoded"), columns[name].astype("float32")
        else:
            feature, layer, values = keras.Input(shape=(1,), name=name, dtype="int64"), layers.IntegerLookup(output_mode="multi_hot", name=f"{name}_encoded"), columns[name].astype("int64")
        layer.adapt(values)
        inputs.append(feature)
        encoded.append(layer(feature))
    x = layers.Dense(32, activation="relu", name="hidden")(layers.concatenate(encoded, name="all_features"))
    output = layers.Dense(1, activation="sigmoid", name="target")(layers.Dropout(0.5, name="dropout")(x))
    return keras.Model(inputs, output, name="heart_disease")


@hand_written
def text_vectorization() -> Any:
    """keras-io text_classification_from_scratch, its end-to-end model on raw strings."""
    vectorize = layers.TextVectorization(max_tokens=20000, output_mode="int", output_sequence_length=500, name="vectorize")
    vectorize.adapt([row["review"] for row in training_rows("reviews.csv")])
    text = keras.Input(shape=(1,), dtype="string", name="text")
    x = layers.Dropout(0.5, name="dropout1")(layers.Embedding(20000, 128, name="embedding")(vectorize(text)))
    x = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3, name="conv1")(x)
    x = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3, name="conv2")(x)
    x = layers.Dense(128, activation="relu", name="hidden")(layers.GlobalMaxPooling1D(name="pool")(x))
    return keras.Model(text, layers.Dense(1, activation="sigmoid", name="predictions")(layers.Dropout(0.5, name="dropout2")(x)), name="text_vectorization")


@hand_written
def siamese_contrastive() -> Any:
    """keras-io siamese_contrastive: one embedding network for both images, the Euclidean distance of the embeddings."""
    build_model(load_recipe(REPO / "recipes" / "siamese_contrastive.yaml"))  # imports the plugin
    from kcfg_plugins.contrastive import euclidean_distance

    image = keras.Input((28, 28, 1), name="image")
    x = layers.BatchNormalization(name="normalized")(image)
    x = layers.Conv2D(4, (5, 5), activation="tanh", name="conv1")(x)
    x = layers.AveragePooling2D(pool_size=(2, 2), name="pool1")(x)
    x = layers.Conv2D(16, (5, 5), activation="tanh", name="conv2")(x)
    x = layers.AveragePooling2D(pool_size=(2, 2), name="pool2")(x)
    x = layers.BatchNormalization(name="flat_normalized")(layers.Flatten(name="flat")(x))
    embedding_network = keras.Model(image, layers.Dense(10, activation="tanh", name="embedding")(x), name="tower_1")
    first, second = keras.Input((28, 28, 1), name="first"), keras.Input((28, 28, 1), name="second")
    distance = layers.Lambda(euclidean_distance, name="distance")([embedding_network(first), embedding_network(second)])
    output = layers.Dense(1, activation="sigmoid", name="similar")(layers.BatchNormalization(name="distance_normalized")(distance))
    return keras.Model([first, second], output, name="siamese_contrastive")


@hand_written
def vae() -> Any:
    """keras-io generative/vae: the encoder (to z_mean, z_log_var and a sampled z) and the decoder, chained."""
    build_model(load_recipe(REPO / "recipes" / "vae.yaml"))  # imports the plugin
    from kcfg_plugins.vae import Sampling

    image = keras.Input(shape=(28, 28, 1), name="image")
    x = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same", name="conv1")(image)
    x = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same", name="conv2")(x)
    x = layers.Dense(16, activation="relu", name="hidden")(layers.Flatten(name="flat")(x))
    z_mean, z_log_var = layers.Dense(2, name="z_mean")(x), layers.Dense(2, name="z_log_var")(x)
    encoder = keras.Model(image, [z_mean, z_log_var, Sampling(name="z")([z_mean, z_log_var])], name="encoder")
    latent = keras.Input(shape=(2,), name="latent")
    x = layers.Reshape((7, 7, 64), name="grid")(layers.Dense(7 * 7 * 64, activation="relu", name="dense")(latent))
    x = layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same", name="up1")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same", name="up2")(x)
    decoder = keras.Model(latent, layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same", name="pixels")(x), name="reconstruction")
    digit = keras.Input(shape=(28, 28, 1), name="digit")
    return keras.Model(digit, decoder(encoder(digit)[2]), name="vae")


def test_every_shipped_recipe_has_a_hand_written_twin() -> None:
    assert sorted(HAND_WRITTEN) == sorted(p.stem for p in RECIPES)


@pytest.mark.parametrize("recipe", RECIPES, ids=[p.stem for p in RECIPES])
def test_recipe_builds_the_hand_written_model(recipe) -> None:
    expected = structure(HAND_WRITTEN[recipe.stem]())
    built = build_adapted(load_recipe(recipe))  # as training builds it: adapt: layers adapted on their data
    assert structure(built.model) == expected
    assert built.model.name == recipe.stem
