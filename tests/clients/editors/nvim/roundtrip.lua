-- Headless Neovim round trip against the real mpg-lsp, run after one of the
-- init-*.lua files has set the client up the way a user would.
--
-- Environment:
--   MPG_PROJECT   temp copy of examples/storefront to work in
--   MPG_ATTACH    "1" to also check which files the client attaches to
--
-- Prints one "PASS <check>" or "FAIL <check>: <why>" line per check, then
-- quits with status 0 when all passed. run.sh compares the saved file.

local project = assert(os.getenv("MPG_PROJECT"), "MPG_PROJECT unset")
local failures = 0

local function say(line)
  io.stdout:write(line .. "\n")
  io.stdout:flush()
end

local function check(name, ok, why)
  if ok then
    say("PASS " .. name)
  else
    failures = failures + 1
    say("FAIL " .. name .. ": " .. tostring(why))
  end
  return ok
end

local function clients_of(bufnr)
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ bufnr = bufnr, name = "mpg_lsp" })
  end
  local list = {}
  for _, client in pairs(vim.lsp.buf_get_clients(bufnr)) do
    if client.name == "mpg_lsp" then
      table.insert(list, client)
    end
  end
  return list
end

local function diagnostic_code(d)
  return d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
end

local function wait_for_diagnostic(bufnr, code)
  local found
  vim.wait(15000, function()
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      if diagnostic_code(d) == code then
        found = d
        return true
      end
    end
    return false
  end, 20)
  return found
end

-- Index (0-based) of the first line of the buffer containing `needle`.
local function find_line(bufnr, needle)
  for i, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    local col = line:find(needle, 1, true)
    if col then
      return i - 1, col - 1, line
    end
  end
end

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then
    return nil
  end
  local text = f:read("*a")
  f:close()
  return text
end

local function write_file(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

-- How many `code` diagnostics the file at `rel` (in the project) has, in any
-- buffer, loaded or not.
local function file_diagnostics(rel, code)
  local n = 0
  for _, x in ipairs(vim.diagnostic.get()) do
    local name = vim.api.nvim_buf_get_name(x.bufnr)
    if name:sub(-#rel - 1) == "/" .. rel and diagnostic_code(x) == code then
      n = n + 1
    end
  end
  return n
end

local function wait_for_file_diagnostic(rel, code)
  return vim.wait(15000, function()
    return file_diagnostics(rel, code) > 0
  end, 20)
end

-- The titles of the code actions `vim.lsp.buf.code_action()` offers with the
-- cursor at (0-based) line, byte column `col` of the current buffer.
local function offered_at(lnum, col)
  vim.api.nvim_win_set_cursor(0, { lnum + 1, col })
  local titles, done = {}, false
  vim.ui.select = function(items, _, on_choice)
    for _, item in ipairs(items) do
      table.insert(titles, (item.action or item[2]).title)
    end
    done = true
    on_choice(nil, nil)
  end
  local notify = vim.notify
  vim.notify = function(msg, ...)
    if tostring(msg):find("No code actions") then
      done = true
    end
    return notify(msg, ...)
  end
  vim.lsp.buf.code_action()
  vim.wait(10000, function()
    return done
  end, 20)
  vim.notify = notify
  return titles
end

local function open(relpath)
  vim.cmd("edit " .. vim.fn.fnameescape(project .. "/" .. relpath))
  return vim.api.nvim_get_current_buf()
end

local fix_all_on_save -- defined below

local function runtime_exs()
  local buf = open("config/runtime.exs")
  local attached = vim.wait(15000, function()
    local c = clients_of(buf)[1]
    return c ~= nil and c.initialized == true
  end, 20)
  if not check("attaches to config/runtime.exs", attached, "no initialized mpg_lsp client") then
    return
  end
  local client = clients_of(buf)[1]

  local d = wait_for_diagnostic(buf, "MPG101")
  if not check("MPG101 published", d, vim.inspect(vim.diagnostic.get(buf))) then
    return
  end
  local repo_line, repo_col = find_line(buf, "Storefront.Repo,")
  check("MPG101 on the Repo config line", d.lnum == repo_line, ("line %s, expected %s"):format(d.lnum, repo_line))
  local text = vim.api.nvim_buf_get_lines(buf, d.lnum, d.lnum + 1, false)[1]
  check(
    "MPG101 range covers Storefront.Repo",
    d.lnum == d.end_lnum and d.col == repo_col and text:sub(d.col + 1, d.end_col) == "Storefront.Repo",
    ("cols %s-%s: %q"):format(d.col, d.end_col, text:sub(d.col + 1, d.end_col))
  )
  check("MPG101 source and message", d.source == "mpg-lsp" and d.message:find("prepare: :unnamed", 1, true),
    vim.inspect({ d.source, d.message }))

  -- Hover: what `K` asks for, with the cursor on the key.
  local pool_line, pool_col = find_line(buf, "pool_size:")
  vim.api.nvim_win_set_cursor(0, { pool_line + 1, pool_col + 2 })
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  local res = vim.lsp.buf_request_sync(buf, "textDocument/hover", params, 10000) or {}
  local hover = res[client.id] and res[client.id].result
  local contents = hover and hover.contents
  local value = type(contents) == "table" and (contents.value or contents[1]) or contents
  if type(value) == "table" then
    value = value.value
  end
  check("hover on pool_size:", type(value) == "string" and value:find("pool_size", 1, true), vim.inspect(res))

  -- Project-wide: only runtime.exs is open, yet config.exs's and fly.toml's
  -- problems are in vim.diagnostic.get() (every buffer, loaded or not).
  for rel, code in pairs({ ["config/config.exs"] = "MPG201", ["fly.toml"] = "MPG301" }) do
    check(code .. " of unopened " .. rel .. " in vim.diagnostic.get()", wait_for_file_diagnostic(rel, code),
      vim.inspect(vim.tbl_map(function(x) return { vim.api.nvim_buf_get_name(x.bufnr), diagnostic_code(x) } end,
        vim.diagnostic.get())))
  end
  if vim.fn.has("nvim-0.10") == 0 then
    -- Neovim before 0.10 shows no diagnostic code: the server puts it in the message.
    check("MPG101 code shown in the message", d.message:find("^MPG101: ") ~= nil, d.message)
  end

  -- Quick fix: the code action menu, with vim.ui.select standing in for the
  -- user. It is offered with the cursor at column 0, on the diagnostic and at
  -- the end of the line (Neovim sends the cursor as an empty range).
  local line_text = vim.api.nvim_buf_get_lines(buf, d.lnum, d.lnum + 1, false)[1]
  local places = { ["column 0"] = 0, ["the diagnostic"] = d.col, ["end of line"] = #line_text }
  for place, col in pairs(places) do
    local titles = offered_at(d.lnum, col)
    check("quick fix offered from " .. place, titles[1] and titles[1]:find("^Add `prepare: :unnamed`") ~= nil,
      vim.inspect(titles))
  end
  check("nothing offered on a line without diagnostics", #offered_at(0, 0) == 0, "offered")

  local offered = {}
  local picked = false
  vim.ui.select = function(items, opts, on_choice)
    for i, item in ipairs(items) do
      local action = item.action or item[2]
      table.insert(offered, action.title)
      if not picked and action.title:find("^Add `prepare: :unnamed`") then
        picked = true
        on_choice(item, i)
      end
    end
    if not picked then
      on_choice(nil, nil)
    end
  end
  -- Applied from column 0 on the plain sample, from the end of the line on the
  -- one with emoji and CJK text before the edit point.
  local from = project:find("unicode", 1, true) and #line_text or 0
  vim.api.nvim_win_set_cursor(0, { d.lnum + 1, from })
  vim.lsp.buf.code_action()
  vim.wait(10000, function()
    return picked and find_line(buf, "prepare: :unnamed") ~= nil
  end, 20)
  if not check("quick fix offered and applied", picked and find_line(buf, "prepare: :unnamed"), vim.inspect(offered)) then
    return
  end
  vim.cmd("silent write")
  -- The server recomputes after the edit: the warning must go away.
  local cleared = vim.wait(10000, function()
    for _, x in ipairs(vim.diagnostic.get(buf)) do
      if diagnostic_code(x) == "MPG101" then
        return false
      end
    end
    return true
  end, 20)
  check("MPG101 cleared after the fix", cleared, vim.inspect(vim.diagnostic.get(buf)))

  -- A fix made on disk (another editor, `mpg-lsp fix`) clears config.exs's
  -- problem once a file is saved (Neovim on Linux watches no files), and
  -- putting the file back brings it back.
  local config = project .. "/config/config.exs"
  local original = read_file(config)
  write_file(config, (original:gsub("(  engine: Oban.Engines.Basic,\n)", "%1  notifier: Oban.Notifiers.PG,\n")))
  vim.cmd("silent write")
  check("MPG201 cleared by a fix on disk", vim.wait(10000, function()
    return file_diagnostics("config/config.exs", "MPG201") == 0
  end, 20), "still there")
  write_file(config, original)
  vim.cmd("silent write")
  check("MPG201 back when the file on disk is", wait_for_file_diagnostic("config/config.exs", "MPG201"), "not back")

  if vim.fn.has("nvim-0.11") == 1 then
    fix_all_on_save()
  end
end

-- The README's fix-all on save for Neovim 0.11, on config/config.exs (the
-- same code as in clients/neovim/README.md). The request is synchronous: with
-- `vim.lsp.buf.code_action({ ..., apply = true })` the edit arrives after the
-- file was written, and the saved file lacks the fix.
fix_all_on_save = function()
  vim.api.nvim_create_autocmd("BufWritePre", {
    pattern = { "*.ex", "*.exs", "*.toml" },
    callback = function(args)
      local client = vim.lsp.get_clients({ bufnr = args.buf, name = "mpg_lsp" })[1]
      if not client then
        return
      end
      local params = vim.lsp.util.make_range_params(0, client.offset_encoding)
      params.context = { only = { "source.fixAll" }, diagnostics = {} }
      local res = client:request_sync("textDocument/codeAction", params, 3000, args.buf)
      for _, action in ipairs(res and res.result or {}) do
        if action.edit then
          vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
        end
      end
    end,
  })
  local cfg = open("config/config.exs")
  -- its diagnostics arrived before it was open: wait until the client has the buffer
  check("attaches to config/config.exs", vim.wait(5000, function() return #clients_of(cfg) > 0 end, 20),
    "not attached")
  check("MPG201 on config/config.exs", wait_for_diagnostic(cfg, "MPG201"), vim.inspect(vim.diagnostic.get(cfg)))
  vim.cmd("silent write")
  local saved = vim.wait(10000, function()
    return (read_file(project .. "/config/config.exs") or ""):find("notifier:", 1, true) ~= nil
  end, 20)
  check("fix-all on save wrote the notifier to disk", saved,
    vim.inspect(vim.api.nvim_buf_get_lines(cfg, 0, -1, false)))
  local path = project .. "/config/config.exs"
  check("the saved config.exs is the buffer, unmodified after the save",
    not vim.bo[cfg].modified and read_file(path) == table.concat(vim.api.nvim_buf_get_lines(cfg, 0, -1, false), "\n") .. "\n",
    "modified: " .. tostring(vim.bo[cfg].modified))
  local parsed = vim.fn.system({ "elixir", "-e", "Code.string_to_quoted!(File.read!(hd(System.argv())))", path })
  check("the saved config.exs parses as Elixir", vim.v.shell_error == 0, parsed)
  check("MPG201 gone after fix-all on save", vim.wait(10000, function()
    return file_diagnostics("config/config.exs", "MPG201") == 0
  end, 20), vim.inspect(vim.diagnostic.get(cfg)))
  vim.cmd("silent! autocmd! BufWritePre")
end

local function attachment()
  local fly = open("fly.toml")
  check("attaches to fly.toml", vim.wait(5000, function() return #clients_of(fly) > 0 end, 20), "not attached")
  check("MPG301 on fly.toml", wait_for_diagnostic(fly, "MPG301"), vim.inspect(vim.diagnostic.get(fly)))

  local staging = open("fly.staging.toml")
  check("attaches to fly.staging.toml", vim.wait(5000, function() return #clients_of(staging) > 0 end, 20),
    "not attached")

  for _, rel in ipairs({ "mix.exs", "mix.lock" }) do
    local b = open(rel)
    check("attaches to " .. rel, vim.wait(5000, function() return #clients_of(b) > 0 end, 20), "not attached")
  end

  -- The deploy files and the app's code, in their own filetypes.
  local lib = open("lib/storefront/repo.ex")
  check("attaches to lib/storefront/repo.ex",
    vim.wait(5000, function() return #clients_of(lib) > 0 end, 20), "not attached")
  local docker = open("Dockerfile")
  check("Dockerfile has filetype dockerfile", vim.bo[docker].filetype == "dockerfile",
    vim.bo[docker].filetype)
  check("attaches to Dockerfile", vim.wait(5000, function() return #clients_of(docker) > 0 end, 20),
    "not attached")
  check("MPG308 on Dockerfile", wait_for_diagnostic(docker, "MPG308"),
    vim.inspect(vim.diagnostic.get(docker)))

  -- Attachment is decided when the FileType autocommand runs, so a short
  -- wait is enough to see that nothing happened. deps/ecto has a mix.exs of
  -- its own, as fetched dependencies do.
  for _, rel in ipairs({ "other.toml", "deps/ecto/lib/ecto.ex", "deps/ecto/Dockerfile" }) do
    local b = open(rel)
    vim.wait(300)
    check("leaves " .. rel .. " alone", #clients_of(b) == 0, "attached")
  end

  local all = vim.lsp.get_clients and vim.lsp.get_clients({ name = "mpg_lsp" }) or vim.lsp.get_active_clients()
  check("one server for the whole project", #all == 1, #all .. " clients")
end

-- is_managed on the files the server reads, and on others, in the test
-- project (which has a deps/ecto with its own mix.exs).
local function managed_paths()
  local mpg = require("mpg_lsp")
  local function nearest(path)
    local dir = vim.fn.fnamemodify(path, ":h")
    while dir ~= "/" do
      if vim.loop.fs_stat(dir .. "/mix.exs") then
        return dir
      end
      dir = vim.fn.fnamemodify(dir, ":h")
    end
  end
  local function managed(rel)
    local path = project .. "/" .. rel
    return mpg.is_managed(path, nearest(path))
  end
  for _, rel in ipairs({ "Dockerfile", "Dockerfile.prod", "deploy.dockerfile", "Makefile",
    "GNUmakefile", "justfile", "Justfile", "lib/storefront/repo.ex",
    "priv/repo/migrations/20240101000000_create_orders.exs", "rel/env.sh.eex",
    "rel/overlays/bin/server", "rel/overlays/bin/migrate", "bin/deploy", "scripts/release.sh",
    ".github/workflows/ci.yml", ".github/workflows/fly.yaml", "deploy/prod/fly.toml",
    "fly.io/app.toml", ".mpg-lsp.toml", "config/runtime.exs", "mix.exs", "mix.lock", "fly.toml",
    "fly.staging.toml" }) do
    check("is_managed: " .. rel, managed(rel), "not managed")
  end
  for _, rel in ipairs({ "deps/ecto/lib/ecto.ex", "deps/ecto/Dockerfile", "deps/ecto/mix.exs",
    "deps/ecto/config/config.exs", "deps/ecto/fly.toml", "_build/prod/lib/storefront/Makefile",
    "assets/node_modules/phoenix/mix.exs", "assets/node_modules/x/bin/cli", "other.toml",
    "lib/storefront/seeds.exs", "priv/repo/seeds.exs", "rel/vm.args.eex", "bin/.env", "README.md",
    "dockerfile.txt", ".github/ci.yml" }) do
    check("not is_managed: " .. rel, not managed(rel), "managed")
  end
end

local ok, err = pcall(function()
  if os.getenv("MPG_ATTACH") == "1" then
    managed_paths()
  end
  runtime_exs()
  if os.getenv("MPG_ATTACH") == "1" then
    attachment()
  end
end)
if not ok then
  check("no Lua error", false, err)
end

-- Stop the server and wait for it, so nothing outlives the editor.
local ids = {}
for _, c in ipairs(vim.lsp.get_clients and vim.lsp.get_clients() or vim.lsp.get_active_clients()) do
  table.insert(ids, c.id)
end
vim.lsp.stop_client(ids)
vim.wait(5000, function()
  for _, id in ipairs(ids) do
    if vim.lsp.get_client_by_id(id) then
      return false
    end
  end
  return true
end, 20)

vim.cmd(failures == 0 and "qall!" or "cquit 1")
