"""Vault errors, in the domain hierarchy. Messages never carry financial values or key bytes.

LedgerlineError
 ├── PermissionDenied
 │    ├── PurposeNotAllowed    (domain) a read whose purpose the person's consent does not cover
 │    └── ConsentRequired      (domain) a write the person's consent does not cover
 ├── VaultKeyError             the master key is missing, malformed or not the one in use
 └── RecordUnreadable          a ciphertext failed authentication (tampered or moved)
"""

from __future__ import annotations

from ledgerline.domain.errors import LedgerlineError, PurposeNotAllowed

__all__ = ["PurposeNotAllowed", "RecordUnreadable", "VaultKeyError"]


class VaultKeyError(LedgerlineError):
    code = 1
    http_status = 500
    error_type = "VaultError"
    default_message = "The vault's master key is not usable"


class RecordUnreadable(LedgerlineError):
    code = 1
    http_status = 500
    error_type = "VaultError"
    default_message = "A vault record failed authentication"
