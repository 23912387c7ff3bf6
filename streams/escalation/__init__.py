"""Escalation worker: ``escalations`` -> GPT-5 (budgeted) or the local reasoner -> a bounded update on
``control``."""
