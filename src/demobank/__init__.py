"""Demo Bank: a bank that talks to Ledgerline only over its public HTTP API.

It is what a real bank's integration looks like, small enough to read in one sitting:

* ``app``: the bank's web server — its sign-in page for account linking (``/link``), the
  webhook receiver (``/webhook``: handshake, signature check, events), a back office (``/``)
  that shows the linked customers and can send an update on demand;
* ``bot``: what the bank answers in its thread (pure: event in, messages out);
* ``stream``: simulated card transactions, balances, receipts and shipments for linked
  customers, from the fraud simulator's customer and terminal profiles;
* ``platform``: the Ledgerline client (Send API, account-linking lookup, financial data);
* ``signature``, ``customers``, ``state``, ``texts``: the small pieces they share.

Nothing here imports the platform's code (import-linter keeps it so), except the pure
simulator ``ledgerline.fraud.offline.simulate`` for its customer and terminal profiles.
"""
