; The dependency list of mix.exs: `defp deps do [ ... ] end` (or `def deps`).
(call
  target: (identifier) @def (#match? @def "^defp?$")
  (arguments (identifier) @name (#eq? @name "deps"))
  (do_block (list) @deps))

(call
  target: (identifier) @def (#match? @def "^defp?$")
  (arguments (call target: (identifier) @name (#eq? @name "deps")))
  (do_block (list) @deps))
