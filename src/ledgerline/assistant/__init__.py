"""The built-in assistant."""
