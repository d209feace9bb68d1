"""The bottom layer: record types and facts that every other package shares and that import nothing of ours.

`staged.py` (a record to send to Twenty, its `$ref` grammar and hash), `issues.py` (one rule failing on one row);
the import contract in pyproject.toml keeps this package below store, source, validation, mapping and twenty.
"""
