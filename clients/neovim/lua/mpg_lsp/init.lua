-- mpg-lsp for Neovim.
--
-- Neovim 0.11 and later: `vim.lsp.enable("mpg_lsp")` picks up lsp/mpg_lsp.lua,
-- which borrows `root_dir` from this module.
-- Neovim 0.7 to 0.10: `require("mpg_lsp").setup(opts)` starts the server itself.
--
-- Both paths attach to the same files: Elixir files under the project's
-- config/ folder, mix.exs, mix.lock, and fly*.toml. Other Elixir and TOML
-- buffers are left alone, so the server never competes with ElixirLS, Expert
-- or a TOML server for files it has nothing to say about.

local M = {}

M.name = "mpg_lsp"
M.default_cmd = { "mpg-lsp", "--stdio" }
M.filetypes = { "elixir", "toml" }

local uv = vim.uv or vim.loop

local function exists(path)
  return uv.fs_stat(path) ~= nil
end

local function dirname(path)
  return (path:gsub("/[^/]*$", ""))
end

local function basename(path)
  return path:match("[^/]*$")
end

-- The nearest folder at or above `dir` that holds a mix.exs.
local function nearest_mix_project(dir)
  while dir and dir ~= "" do
    if exists(dir .. "/mix.exs") then
      return dir
    end
    local parent = dirname(dir)
    if parent == dir then
      break
    end
    dir = parent
  end
  return nil
end

-- In an umbrella, apps/<app>/mix.exs sits below the umbrella's own mix.exs;
-- one server per umbrella sees every app's config and the shared fly.toml.
local function umbrella_root(project)
  local apps = dirname(project)
  if basename(apps) == "apps" then
    local top = dirname(apps)
    if top ~= "" and exists(top .. "/mix.exs") then
      return top
    end
  end
  return project
end

--- Whether mpg-lsp has anything to say about `path`, judged from its place
--- in the project whose mix.exs is in `project` (nil when there is none).
---@param path string absolute file name
---@param project string|nil folder of the nearest mix.exs
---@return boolean
function M.is_managed(path, project)
  local name = basename(path)
  if name:match("^fly.*%.toml$") then
    return true
  end
  if not project then
    return false
  end
  if name == "mix.exs" or name == "mix.lock" then
    return dirname(path) == project
  end
  local rel = path:sub(#project + 2)
  return path:sub(1, #project + 1) == project .. "/"
    and rel:match("^config/") ~= nil
    and rel:match("%.exs?$") ~= nil
end

--- The project root for buffer `bufnr`, or nil when the buffer is not one
--- mpg-lsp should attach to.
---@param bufnr integer
---@return string|nil
function M.root_dir(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == "" then
    return nil
  end
  local path = vim.fn.fnamemodify(name, ":p")
  local project = nearest_mix_project(dirname(path))
  if not M.is_managed(path, project) then
    return nil
  end
  if project then
    return umbrella_root(project)
  end
  -- A fly.toml outside any Mix project: its own folder is the best guess.
  return dirname(path)
end

-- Clients started by setup() on Neovim 0.7, keyed by root folder; later
-- versions have vim.lsp.start, which does this bookkeeping itself.
local clients_by_root = {}

local function attach(bufnr, config)
  local root = M.root_dir(bufnr)
  if not root then
    return
  end
  local client_config = vim.tbl_extend("force", config, { root_dir = root })
  if vim.lsp.start then
    vim.lsp.start(client_config, { bufnr = bufnr })
    return
  end
  local id = clients_by_root[root]
  if not (id and vim.lsp.get_client_by_id(id)) then
    id = vim.lsp.start_client(client_config)
    if not id then
      return
    end
    clients_by_root[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
end

--- Start mpg-lsp for matching buffers (Neovim 0.7 to 0.10; works on 0.11
--- too, where `vim.lsp.enable("mpg_lsp")` is the usual way).
---
--- opts.cmd           command list, default { "mpg-lsp", "--stdio" }
--- opts.on_attach     function(client, bufnr)
--- opts.capabilities  client capabilities sent to the server
--- opts.init_options  initializationOptions
--- opts.settings      answered to workspace/configuration
---@param opts table|nil
function M.setup(opts)
  opts = opts or {}
  local config = {
    name = M.name,
    cmd = opts.cmd or M.default_cmd,
    on_attach = opts.on_attach,
    capabilities = opts.capabilities,
    init_options = opts.init_options,
    settings = opts.settings or {},
  }
  local group = vim.api.nvim_create_augroup("mpg_lsp", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = M.filetypes,
    callback = function(args)
      attach(args.buf, config)
    end,
  })
  -- Buffers opened before setup() ran (a session, or files on the command line).
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.tbl_contains(M.filetypes, vim.bo[bufnr].filetype) then
      attach(bufnr, config)
    end
  end
end

return M
