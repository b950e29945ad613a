"""Scenario input: located YAML, the precedence chain, the schema, checks, the loaded scenario."""
