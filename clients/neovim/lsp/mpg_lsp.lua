-- mpg-lsp configuration for Neovim 0.11+: `vim.lsp.enable("mpg_lsp")`.
-- Override any field with `vim.lsp.config("mpg_lsp", { cmd = { ... } })`.
--
-- filetypes and root_dir come from lua/mpg_lsp/init.lua: it attaches to the
-- files the server reads (config/**/*.exs, mix.exs, mix.lock, fly*.toml,
-- lib/**/*.ex, migrations, Dockerfiles, Makefiles, rel/ and bin/ scripts,
-- workflows...) inside a Mix project, never under deps/, _build/ or
-- node_modules/. Other buffers of those filetypes are not ours.

local mpg_lsp = require("mpg_lsp")

---@type vim.lsp.Config
return {
  cmd = { "mpg-lsp", "--stdio" },
  filetypes = vim.deepcopy(mpg_lsp.filetypes),
  root_dir = function(bufnr, on_dir)
    local root = mpg_lsp.root_dir(bufnr)
    if root then
      on_dir(root)
    end
  end,
}
