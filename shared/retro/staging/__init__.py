"""Staging: the table plan, reading, mapping, derivations, the engine and the checks over staged tables."""
