"""Write reviews.csv: 600 short synthetic film reviews labelled 1 (positive) or 0 (negative).

keras-io's text_classification_from_scratch trains on the IMDB reviews, downloaded at run
time; kcfg's tests run offline, so this script makes a small stand-in with the same two
columns (text, label). The sentences are generated from word lists: a model can learn
them, but they are not real reviews. Run once (NumPy only):

    python recipes/data/make_reviews.py
"""

import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROWS = 600
GOOD = ["wonderful", "moving", "brilliant", "funny", "gripping", "beautiful", "clever", "charming"]
BAD = ["boring", "clumsy", "dull", "awful", "tedious", "silly", "predictable", "bland"]
THINGS = ["film", "plot", "cast", "script", "ending", "soundtrack", "director", "story", "pacing", "dialogue"]
FILLERS = ["the", "a", "really", "quite", "and", "but", "was", "is", "overall", "at times", "<br />"]


def review(rng: np.random.Generator, positive: bool) -> str:
    """A few clauses, mostly of the review's sentiment, with some of the other mixed in."""
    words = []
    for _ in range(int(rng.integers(3, 7))):
        tone = GOOD if (rng.random() < 0.8) == positive else BAD
        words += [str(rng.choice(FILLERS)), str(rng.choice(THINGS)), str(rng.choice(FILLERS)), str(rng.choice(tone))]
    return " ".join(words).capitalize() + "."


def main() -> None:
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 2, ROWS)
    with open(HERE / "reviews.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["review", "positive"])
        writer.writerows((review(rng, bool(label)), int(label)) for label in labels)
    print(f"reviews.csv: {ROWS} reviews, {int(labels.sum())} positive")


if __name__ == "__main__":
    main()
