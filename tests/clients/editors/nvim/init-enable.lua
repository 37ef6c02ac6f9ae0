-- What a Neovim 0.11+ user writes (README, "Neovim 0.11 and later"); the
-- server is found on PATH, as after `pipx install mpg-lsp`.
vim.opt.runtimepath:append(os.getenv("MPG_CLIENT_DIR"))
vim.lsp.enable("mpg_lsp")
