-- mpg-lsp configuration for Neovim 0.11+: `vim.lsp.enable("mpg_lsp")`.
-- Override any field with `vim.lsp.config("mpg_lsp", { cmd = { ... } })`.
--
-- root_dir attaches only to config/**/*.exs, mix.exs, mix.lock and fly*.toml
-- (see lua/mpg_lsp/init.lua): other Elixir and TOML buffers are not ours.

---@type vim.lsp.Config
return {
  cmd = { "mpg-lsp", "--stdio" },
  filetypes = { "elixir", "toml" },
  root_dir = function(bufnr, on_dir)
    local root = require("mpg_lsp").root_dir(bufnr)
    if root then
      on_dir(root)
    end
  end,
}
