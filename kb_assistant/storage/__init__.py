"""Relational storage (SQLAlchemy): SQLite by default, PostgreSQL with another URL."""
