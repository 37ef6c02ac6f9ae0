; mix.lock is one Elixir map literal: "name": {:hex, :name, "version", ...} or {:git, "url", ...}
; Every package:
(pair
  key: (quoted_keyword (quoted_content) @name)
  value: (tuple . (atom) @source))

; Hex packages, with the locked version string:
(pair
  key: (quoted_keyword (quoted_content) @name)
  value: (tuple . (atom) @source . (atom) . (string (quoted_content) @version)))
