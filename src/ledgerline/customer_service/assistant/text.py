"""Folding what people type into one comparable form: ``language.folding`` (shared with
the typed answers to fraud alerts), here where the assistant's modules look for it."""

from __future__ import annotations

from ledgerline.language.folding import fold

__all__ = ["fold"]
