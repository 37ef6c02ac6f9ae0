"""The prod view: what a production release of a Phoenix project would be configured with."""
