"""mpg-lsp: catch what breaks behind Fly.io Managed Postgres (PgBouncer) while you type."""

__version__ = "0.1.0"
