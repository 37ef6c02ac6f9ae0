-- What a Neovim 0.7-0.10 user writes (README, "Neovim 0.7 to 0.10").
-- MPG_CLIENT_DIR stands in for the user's path to clients/neovim. With
-- MPG_LSP_CMD set, run.sh exercises opts.cmd; without it the server is
-- found on PATH.
vim.opt.runtimepath:append(os.getenv("MPG_CLIENT_DIR"))
if os.getenv("MPG_LSP_CMD") then
  require("mpg_lsp").setup({ cmd = { os.getenv("MPG_LSP_CMD"), "--stdio" } })
else
  require("mpg_lsp").setup()
end
