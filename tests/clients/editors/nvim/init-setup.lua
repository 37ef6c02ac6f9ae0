-- What a Neovim 0.7-0.10 user writes (README, "Neovim 0.7 to 0.10").
-- MPG_CLIENT_DIR and MPG_LSP_CMD stand in for the user's own paths.
vim.opt.runtimepath:append(os.getenv("MPG_CLIENT_DIR"))
require("mpg_lsp").setup({ cmd = { os.getenv("MPG_LSP_CMD"), "--stdio" } })
