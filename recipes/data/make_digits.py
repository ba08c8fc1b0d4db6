"""Write digits_train.npz and digits_test.npz from scikit-learn's bundled digits (run once).

The data is the UCI "Optical Recognition of Handwritten Digits" set that scikit-learn ships
(1,797 8x8 images, values 0-16, CC BY 4.0). kcfg does not depend on scikit-learn; this
script only documents how the shipped files were made:

    pip install scikit-learn && python recipes/data/make_digits.py
"""

from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

HERE = Path(__file__).resolve().parent
TEST_FRACTION = 0.2


def main() -> None:
    digits = load_digits()
    images = digits.images.astype("uint8")  # (1797, 8, 8), values 0-16
    labels = digits.target.astype("uint8")
    order = np.random.default_rng(0).permutation(len(images))
    cut = int(len(images) * (1 - TEST_FRACTION))
    for name, index in (("train", order[:cut]), ("test", order[cut:])):
        np.savez_compressed(HERE / f"digits_{name}.npz", x=images[index], y=labels[index])
        print(f"digits_{name}.npz: {len(index)} images")


if __name__ == "__main__":
    main()
