"""Write heart.csv: 303 synthetic patients in the shape of the Cleveland heart-disease data.

keras-io's structured-data examples read the Cleveland Clinic Foundation's heart.csv
(UCI "Heart Disease", downloaded at run time). kcfg's tests run offline, so this script
makes a stand-in with the same columns, types and value ranges, and a target that depends
on the features the way the real one roughly does. It is not the real data: do not draw
medical conclusions from it. Run once (NumPy only):

    python recipes/data/make_heart.py
"""

import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROWS = 303
COLUMNS = ["age", "sex", "cp", "trestbps", "chol", "fbs", "restecg", "thalach", "exang", "oldpeak", "slope", "ca", "thal", "target"]


def patients(rng: np.random.Generator) -> list[list[object]]:
    age = np.clip(rng.normal(54, 9, ROWS), 29, 77).round().astype(int)
    sex = (rng.random(ROWS) < 0.68).astype(int)
    cp = rng.choice([0, 1, 2, 3, 4], ROWS, p=[0.02, 0.08, 0.16, 0.28, 0.46])
    trestbps = np.clip(rng.normal(131, 17, ROWS), 94, 200).round().astype(int)
    chol = np.clip(rng.normal(246, 52, ROWS), 126, 564).round().astype(int)
    fbs = (rng.random(ROWS) < 0.15).astype(int)
    restecg = rng.choice([0, 1, 2], ROWS, p=[0.5, 0.02, 0.48])
    thalach = np.clip(rng.normal(150 - 0.5 * (age - 54), 22, ROWS), 71, 202).round().astype(int)
    exang = (rng.random(ROWS) < 0.33).astype(int)
    oldpeak = np.clip(rng.gamma(1.0, 1.0, ROWS), 0, 6.2).round(1)
    slope = rng.choice([1, 2, 3], ROWS, p=[0.47, 0.46, 0.07])
    ca = rng.choice([0, 1, 2, 3], ROWS, p=[0.58, 0.22, 0.13, 0.07])
    thal = rng.choice(["normal", "fixed", "reversible", "1", "2"], ROWS, p=[0.55, 0.06, 0.37, 0.01, 0.01])
    risk = 0.04 * (age - 54) + 0.8 * sex + 0.6 * (cp == 4) + 0.9 * exang + 0.7 * oldpeak + 0.8 * ca - 0.03 * (thalach - 150) + 1.2 * (thal == "reversible") - 3.6
    target = (rng.random(ROWS) < 1 / (1 + np.exp(-risk))).astype(int)
    return [list(row) for row in zip(age, sex, cp, trestbps, chol, fbs, restecg, thalach, exang, oldpeak, slope, ca, thal, target)]


def main() -> None:
    rows = patients(np.random.default_rng(1337))
    with open(HERE / "heart.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    print(f"heart.csv: {len(rows)} rows, {sum(int(r[-1]) for r in rows)} with heart disease")


if __name__ == "__main__":
    main()
