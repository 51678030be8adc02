"""Writes the shipped intent classifier from the shipped utterances (scikit-learn needed).

    python -m ledgerline.customer_service.assistant.build [--version intents-v2] [--out PATH] [--check]

Trains on every utterance of the version and writes ``data/<version>.model.json.gz``
(``nlu.model_file``) or ``--out``; ``--check`` writes nothing and exits 1 when that file is
not what training gives now (``IntentModel.differences``: its parameters to 1e-9). Run it
after changing the utterances, the features or the pipeline.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ledgerline.customer_service.assistant.model import IntentModel
from ledgerline.customer_service.assistant.nlu import DATA_VERSION, model_file
from ledgerline.customer_service.assistant.training import train_model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--version", default=DATA_VERSION)
    parser.add_argument("--out", type=Path, help="default: the shipped file of the version")
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    args = parser.parse_args(argv)
    path: Path = args.out or model_file(args.version)
    trained = train_model(args.version)
    if args.check:
        differs = trained.differences(IntentModel.load(path)) if path.is_file() else ["file"]
        verdict = f"differs from training: {', '.join(differs)}" if differs else "up to date"
        sys.stdout.write(f"{path}: {verdict}\n")
        return 1 if differs else 0
    built = trained.to_bytes()
    path.write_bytes(built)
    sys.stdout.write(f"{path}: {len(built):,} bytes\n")
    return 0


if __name__ == "__main__":  # pragma: no cover - the command line
    raise SystemExit(main())
