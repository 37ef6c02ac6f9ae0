; Node kinds of tree-sitter-toml that mpg-lsp relies on. The TOML grammar has no field
; names: a pair is always (key "=" value), a table header is its first child.
(document) @document
(table) @table
(table_array_element) @table_array_element
(pair) @pair
(bare_key) @bare_key
(quoted_key) @quoted_key
(dotted_key) @dotted_key
(string) @string
(integer) @integer
(boolean) @boolean
(array) @array
(inline_table) @inline_table
(comment) @comment
