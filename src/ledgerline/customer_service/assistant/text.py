"""Folding what people type into one comparable form: ``domain.folding`` (shared with
the typed answers to fraud alerts), here where the assistant's modules look for it."""

from __future__ import annotations

from ledgerline.domain.folding import fold

__all__ = ["fold"]
