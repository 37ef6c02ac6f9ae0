; mix.lock is one Elixir map literal: "name": {:hex, :name, "version", ...}
; Captures the package name and, for hex packages, the locked version string.
(pair
  key: (quoted_keyword (quoted_content) @name)
  value: (tuple . (atom) @source . (atom) . (string (quoted_content) @version)))
