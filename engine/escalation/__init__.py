"""The escalation control plane's pure core: triggers on the node's state, the prompt boundary, the
processor (GPT-5 budget, local fallback, validation, bounded proposal) and the nightly post-mortem.
Model servers and Redis are reached through the small protocols in :mod:`.ports`."""
