"""The digits CNN written by hand in Keras: the baseline of bench/train_throughput.py."""

import sys

import keras
import numpy as np
from keras import layers

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from epoch_timer import EpochTimer

data_file, epochs, batch_size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
keras.utils.set_random_seed(42)
with np.load(data_file) as data:
    x, y = data["x"][..., None], data["y"]

image = keras.Input(shape=(8, 8, 1), name="image")
h = layers.Rescaling(0.0625, name="scale")(image)
h = layers.Conv2D(32, 3, activation="relu", padding="same", name="conv1")(h)
h = layers.Conv2D(32, 3, activation="relu", padding="same", name="conv2")(h)
h = layers.MaxPooling2D(2, name="pool")(h)
h = layers.Flatten(name="flatten")(h)
h = layers.Dropout(0.25, name="dropout")(h)
h = layers.Dense(64, activation="relu", name="hidden")(h)
model = keras.Model(image, layers.Dense(10, activation="softmax", name="digit")(h))
model.compile(optimizer=keras.optimizers.Adam(learning_rate=2e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=2, callbacks=[EpochTimer()])
