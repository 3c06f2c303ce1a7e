"""What every app uses and none owns: quarters and periods, the typed HTMX request and partial
rendering, template tags, admin base classes, Swedish number formatting.

The bottom layer: it imports no app of the project (import-linter checks this, see
pyproject.toml), so every app may import it.
"""
