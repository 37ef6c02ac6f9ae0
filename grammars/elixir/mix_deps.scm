; The dependency list of mix.exs, in the shapes projects write it:
;   defp deps do [ ... ] end
;   defp deps, do: [ ... ]
;   def project, do: [..., deps: [ ... ]]
(call
  target: (identifier) @def (#match? @def "^defp?$")
  (arguments [(identifier) (call target: (identifier))] @name (#match? @name "^deps")
    (keywords (pair key: (keyword) @do (#match? @do "^do:") value: (list) @deps))?)
  (do_block (list) @deps)?)

(pair key: (keyword) @key (#match? @key "^deps:") value: (list) @deps)
