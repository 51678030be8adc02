"""The financial-data vault: envelope-encrypted, purpose-limited, audited records.

Build one :class:`Vault` at the composition root::

    master_key = load_or_create_master_key(settings.data_dir, env_master_key)
    vault = Vault(master_key, consent_lookup, clock,
                  refusal_recorder=database_refusal_recorder(db))

and call it with the connection of the caller's unit of work (``uow.conn``).
"""

from ledgerline.vault.crypto import MasterKey
from ledgerline.vault.errors import PurposeNotAllowed, RecordUnreadable, VaultKeyError
from ledgerline.vault.keys import (
    RotationReport,
    load_or_create_master_key,
    rewrap_data_keys,
    rotate_master_key,
)
from ledgerline.vault.purposes import RecordKind, read_scopes, write_scopes
from ledgerline.vault.recorder import database_refusal_recorder
from ledgerline.vault.transit import TransitCipher
from ledgerline.vault.vault import (
    ConsentLookup,
    DerivedCipher,
    ErasureResult,
    NewRecord,
    PurgeResult,
    PutResult,
    Record,
    RefusalRecorder,
    Vault,
)

__all__ = [
    "ConsentLookup",
    "DerivedCipher",
    "ErasureResult",
    "MasterKey",
    "NewRecord",
    "PurgeResult",
    "PurposeNotAllowed",
    "PutResult",
    "Record",
    "RecordKind",
    "RecordUnreadable",
    "RefusalRecorder",
    "RotationReport",
    "TransitCipher",
    "Vault",
    "VaultKeyError",
    "database_refusal_recorder",
    "load_or_create_master_key",
    "read_scopes",
    "rewrap_data_keys",
    "rotate_master_key",
    "write_scopes",
]
