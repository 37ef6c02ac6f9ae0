; Node kinds of tree-sitter-elixir that mpg-lsp's config reader relies on.
; The loader (mpg_lsp/syntax/elixir.py) checks at start-up that every kind named here exists
; in the installed grammar, so a grammar upgrade that renames one fails loudly, not silently.
(source) @source
(call target: (_) @call.target (arguments)? @call.arguments (do_block)? @call.do_block)
(dot left: (_) @dot.left right: (_) @dot.right)
(binary_operator left: (_) @binary.left operator: _ @binary.operator right: (_) @binary.right)
(unary_operator operator: _ @unary.operator operand: (_) @unary.operand)
(keywords (pair key: (keyword) @pair.key value: (_) @pair.value))
(pair key: (quoted_keyword) @pair.quoted_key)
(list) @list
(tuple) @tuple
(map (map_content) @map.content) @map
(atom) @atom
(quoted_atom) @quoted_atom
(alias) @alias
(identifier) @identifier
(string (quoted_content) @string.content)
(interpolation) @interpolation
(sigil) @sigil
(integer) @integer
(float) @float
(boolean) @boolean
(nil) @nil
(charlist) @charlist
(do_block) @do_block
(else_block) @else_block
(stab_clause left: (_)? @stab.left right: (_)? @stab.right)
(block) @block
(body) @body
(comment) @comment
(anonymous_function) @anonymous_function
(access_call) @access_call
