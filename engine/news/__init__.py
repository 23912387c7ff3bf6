"""News processing core: normalise, deduplicate, link to instruments, score quality and sentiment."""
