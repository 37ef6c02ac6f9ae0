-- What a Neovim 0.11+ user writes (README, "Neovim 0.11 and later").
-- MPG_CLIENT_DIR stands in for the user's path to clients/neovim. With
-- MPG_LSP_CMD set, run.sh exercises the optional command override;
-- without it the server is found on PATH.
vim.opt.runtimepath:append(os.getenv("MPG_CLIENT_DIR"))
if os.getenv("MPG_LSP_CMD") then
  vim.lsp.config("mpg_lsp", { cmd = { os.getenv("MPG_LSP_CMD"), "--stdio" } })
end
vim.lsp.enable("mpg_lsp")
