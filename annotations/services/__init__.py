"""Writes for articles, claims and evidence, one module each (import from the module)."""
