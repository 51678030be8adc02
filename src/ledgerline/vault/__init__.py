"""The financial-data vault: envelope-encrypted, purpose-limited, audited records.

Build one :class:`Vault` at the composition root::

    master_key = load_or_create_master_key(settings.resolved_master_key_file(), env_master_key)
    vault = Vault(master_key, consent_lookup, clock,
                  refusal_recorder=database_refusal_recorder(db))

and hand it to the capability packages, which see it as ``domain.records.VaultPort`` (only
``bootstrap`` and ``cli`` import this package). Inside an action::

    access = vault.access(uow, page_id=page_id, user_id=user_id)
    access.reading(Purpose.NOTIFY, actor=NOTIFIER).get_many(record_ids)
"""

from ledgerline.vault.access import PersonAccess, PersonCipher, Reading
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
    "ErasureResult",
    "MasterKey",
    "NewRecord",
    "PersonAccess",
    "PersonCipher",
    "PurgeResult",
    "PurposeNotAllowed",
    "PutResult",
    "Reading",
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
