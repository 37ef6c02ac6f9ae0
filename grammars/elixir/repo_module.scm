; `use Ecto.Repo, otp_app: :app, adapter: Ecto.Adapters.Postgres` inside `defmodule X do`.
(call
  target: (identifier) @defmodule (#eq? @defmodule "defmodule")
  (arguments (alias) @module)
  (do_block
    (call
      target: (identifier) @use (#eq? @use "use")
      (arguments (alias) @behaviour (#match? @behaviour "^(Ecto\\.Repo|AshPostgres\\.Repo)$") (keywords)? @options))))
