"""Errors the fraud engine raises on purpose (bad data, bad model file, bad serve-time input)."""

from __future__ import annotations

from ledgerline.domain.errors import InvalidParameter


class FraudInputError(InvalidParameter):
    """Input the fraud engine cannot use: missing columns, empty or too-short data, bad values."""

    default_message = "Invalid fraud input"


class ModelFileError(FraudInputError):
    """A model file that is missing, unreadable or not a Ledgerline fraud model."""

    default_message = "Invalid fraud model file"
