"""The ``ledgerline`` command line (``main.py`` assembles it): one module per command group."""
