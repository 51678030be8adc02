"""What operators see of a running platform: Prometheus metrics (``metrics``), keyed hashes
of ids for logs (``ids``). Built by ``bootstrap``; nothing is registered at import."""
