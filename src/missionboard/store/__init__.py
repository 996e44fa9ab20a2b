"""Persistence: SQLAlchemy tables, the workspace (engine + transactions), repositories, migrations.

The only package that knows SQL. Services receive a ``Session`` from ``Workspace.transaction()``.
"""
