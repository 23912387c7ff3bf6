"""Risk: pre-submit clamps, kill switch, quarantine, modes and the state that must survive a restart."""
