"""Customer service for the agent inbox: agents' accounts and sessions, the person's
context (read from the vault with purpose ``customer_service``, masked, audited), metrics.

It sits beside ``ingest`` (above ``chat``): it may use the vault, which ``chat`` may not.
The inbox's state changes themselves are ``chat.handover``/``chat.agent_actions`` actions.
"""
