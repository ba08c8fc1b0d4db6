"""A kcfg plugin for a variational autoencoder (keras-io examples/generative/vae.py).

`Sampling` draws the latent vector from (z_mean, z_log_var) and adds the KL divergence to
the model's losses (what the example's custom `train_step` computes by hand);
`reconstruction_loss` sums binary cross-entropy over the image, as the example does.
Sampling is random at inference too: `kcfg smoke` compares weights after reloading.
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kcfg_vae")
class Sampling(keras.layers.Layer):
    """z = z_mean + exp(z_log_var / 2) * epsilon; adds the KL divergence to the model's losses."""

    def __init__(self, seed=1337, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        kl = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
        self.add_loss(ops.mean(ops.sum(kl, axis=1)))
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package="kcfg_vae")
def reconstruction_loss(y_true, y_pred):
    """Binary cross-entropy summed over the image's pixels (mean over the batch)."""
    return ops.sum(keras.losses.binary_crossentropy(y_true, y_pred), axis=(1, 2))
