"""The card-number detector on its labelled corpus: prints recall and false-positive rates
as JSON (the figures in docs/security.md). ``--per-range`` PANs per issuer range and
length (each in every layout), ``--negatives`` samples of each negative kind."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.pan_corpus import measure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--per-range", type=int, default=20)
    parser.add_argument("--negatives", type=int, default=10_000)
    args = parser.parse_args()
    figures = measure(seed=args.seed, per_range=args.per_range, negatives_each=args.negatives)
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
