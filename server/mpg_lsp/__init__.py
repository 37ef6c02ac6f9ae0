"""mpg-lsp: catch what breaks behind Fly.io Managed Postgres (PgBouncer) while you type."""

__version__ = "0.1.0"

# The project's public home (repository, issues), once it has one: every link the product
# shows to it derives from this. None until then; the rule pages ship inside the package and
# are linked where they are installed (rules.base.Rule.url).
HOME: str | None = None
