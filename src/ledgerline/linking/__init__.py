"""Account linking with explicit, scoped, revocable consent (issue 3).

* ``actions``: start, complete, change, unlink, expire (``do_*``), the consent worker's sweep and
  the ``consent_lookup`` adapter for the vault.
* ``hooks``: the ports bootstrap fills (erasure and audit on unlink).
* ``worker``: the periodic expiry/reminder loop.
* ``texts``/``pages``: the consent screen's words (vi, en) and pages.
"""
