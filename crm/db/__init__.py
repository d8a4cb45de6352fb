"""PostgreSQL backend that carries the current tenant into every transaction.

Use it as the database ENGINE (``"crm.db"``); see ``crm.db.base``.
"""
