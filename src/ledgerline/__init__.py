"""The platform package."""
