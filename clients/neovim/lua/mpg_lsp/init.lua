-- mpg-lsp for Neovim.
--
-- Neovim 0.11 and later: `vim.lsp.enable("mpg_lsp")` picks up lsp/mpg_lsp.lua,
-- which borrows `root_dir` from this module.
-- Neovim 0.7 to 0.10: `require("mpg_lsp").setup(opts)` starts the server itself.
--
-- Both paths attach to the files the server reads (its WATCHED list and
-- lang_for_path in the server package): fly*.toml anywhere, and inside a Mix
-- project config/**/*.exs, mix.exs, mix.lock, deploy/ and fly.io/ TOML,
-- .mpg-lsp.toml, lib/**/*.ex, priv/*/migrations/*.exs, the release's rel/
-- scripts, Dockerfiles, Makefiles, justfiles, bin/* and scripts/*, and GitHub
-- workflows; never anything under deps/, _build/ or node_modules/. Other
-- buffers of those filetypes are left alone, so the server never competes
-- with ElixirLS, Expert or a TOML, YAML or shell server for files it has
-- nothing to say about.

local M = {}

M.name = "mpg_lsp"
M.default_cmd = { "mpg-lsp", "--stdio" }
-- What Neovim calls the files above (`just` from 0.10 on; earlier versions
-- give a justfile no filetype, and mpg-lsp cannot attach to it there).
M.filetypes = {
  "elixir", "eelixir", "toml", "dockerfile", "make", "just", "sh", "bash", "zsh", "yaml",
}

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

-- Deploy files named the same wherever they sit in the project.
local DEPLOY_NAMES = {
  Dockerfile = true,
  Makefile = true,
  makefile = true,
  GNUmakefile = true,
  justfile = true,
  Justfile = true,
}

-- Folders whose files belong to someone else: dependencies, build output.
local FOREIGN = { deps = true, _build = true, node_modules = true }

-- Whether `path` lies in a dependency or build folder: node_modules/
-- anywhere, deps/ or _build/ next to a mix.exs.
local function in_foreign_folder(path)
  local dir = dirname(path)
  while dir ~= "" do
    local name = basename(dir)
    local parent = dirname(dir)
    if FOREIGN[name] and (name == "node_modules" or exists(parent .. "/mix.exs")) then
      return true
    end
    if parent == dir then
      break
    end
    dir = parent
  end
  return false
end

-- Whether the server reads `rel`, a path relative to its Mix project.
local function project_file(rel)
  local name = basename(rel)
  local parent = basename(dirname(rel))
  if rel == "mix.exs" or rel == "mix.lock" or name == ".mpg-lsp.toml" then
    return true
  end
  if rel:match("^config/.*%.exs?$") or rel:match("^lib/.*%.ex$") then
    return true
  end
  if rel:match("^priv/[^/]+/migrations/[^/]+%.exs$") then
    return true
  end
  if (rel:match("^deploy/") or rel:match("^fly%.io/")) and name:match("%.toml$") then
    return true
  end
  if DEPLOY_NAMES[name] or name:match("^Dockerfile%.") or name:match("%.dockerfile$") then
    return true
  end
  if ("/" .. rel):match("/%.github/workflows/[^/]+%.ya?ml$") then
    return true
  end
  if name:match("^%.") then
    return false
  end
  -- bin/*, scripts/* and the release's rel/overlays/bin/*; rel/env.sh.eex
  return parent == "bin" or parent == "scripts" or (rel:match("^rel/env%.sh") ~= nil)
end

--- Whether mpg-lsp has anything to say about `path`, judged from its place
--- in the project whose mix.exs is in `project` (nil when there is none).
---@param path string absolute file name
---@param project string|nil folder of the nearest mix.exs
---@return boolean
function M.is_managed(path, project)
  if in_foreign_folder(path) then
    return false
  end
  if basename(path):match("^fly.*%.toml$") then
    return true
  end
  if not project or path:sub(1, #project + 1) ~= project .. "/" then
    return false
  end
  return project_file(path:sub(#project + 2))
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
