"""Tree-sitter syntax layer: languages, queries, and the incremental Document."""
