// Drives code-server (VS Code in a browser) with Debian's Chromium, as a user would:
// open files, read the Problems panel, apply a quick fix, hover, run commands.
//
// Usage: node e2e.mjs <scenario>, where scenario is "server" (the extension finds mpg-lsp),
// "missing" (no Python on PATH, then mpgLsp.python points the bundled server at one) or
// "multiroot" (two projects in one .code-workspace).
// Env: CS_URL, WORKSPACE (the copied sample project, or the .code-workspace file), OUT_DIR (screenshots), SETTINGS_FILE (the
//      user settings.json), LOGS_DIR (the editor's log folder), MPG_LSP_PYTHON (for "missing"),
//      CHROMIUM (default /usr/bin/chromium).
// Prints one "PASS <check>" or "FAIL <check>: <why>" line per check; exits 1 if any failed.

import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const scenario = process.argv[2];
const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`missing environment variable ${name}`);
  return value;
};
const CS_URL = env("CS_URL");
const WORKSPACE = env("WORKSPACE");
const OUT_DIR = env("OUT_DIR");
const CHROMIUM = env("CHROMIUM", "/usr/bin/chromium");
const SETTINGS_FILE = env("SETTINGS_FILE");
const LOGS_DIR = env("LOGS_DIR");

// How long one check may wait for the editor; the server's first start (Python imports) is the slow part.
const STEP_MS = 45_000;

mkdirSync(OUT_DIR, { recursive: true });
const results = [];
let page;
let shotNumber = 0;

async function check(name, body) {
  const started = Date.now();
  try {
    await body();
    results.push(true);
    console.log(`PASS ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (error) {
    results.push(false);
    console.log(`FAIL ${name}: ${String(error?.message ?? error).split("\n")[0]}`);
    await screenshot(`FAILED-${name}`);
  }
}

async function screenshot(label) {
  shotNumber += 1;
  const file = join(OUT_DIR, `${scenario}-${String(shotNumber).padStart(2, "0")}-${label.replace(/[^a-z0-9]+/gi, "-")}.png`);
  await page.screenshot({ path: file }).catch(() => undefined);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what, predicate, timeout = STEP_MS) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await predicate();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    await sleep(250);
  }
  throw new Error(`timed out after ${timeout / 1000} s waiting for ${what}`);
}

// ---- workbench helpers -------------------------------------------------------------

/** Runs a command from the command palette by its title, as a user types it. */
async function runCommand(title) {
  await page.keyboard.press("Escape");
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: STEP_MS });
  await input.fill(`>${title}`);
  const row = page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first();
  await row.waitFor({ state: "visible", timeout: STEP_MS });
  await page.keyboard.press("Enter");
  await input.waitFor({ state: "hidden", timeout: STEP_MS }).catch(() => undefined);
}

/** Opens a workspace file with Quick Open (Ctrl+P) and waits for its editor tab. */
async function openFile(relativePath) {
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+P");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: STEP_MS });
  await input.fill(relativePath);
  const name = relativePath.split("/").pop();
  await page
    .locator(".quick-input-list .monaco-list-row", { hasText: name })
    .first()
    .waitFor({ state: "visible", timeout: STEP_MS });
  await page.keyboard.press("Enter");
  await page.locator(".tab.active", { hasText: name }).waitFor({ state: "visible", timeout: STEP_MS });
  await page.locator(".monaco-editor .view-lines").first().waitFor({ state: "visible", timeout: STEP_MS });
}

/** Moves the cursor with "Go to Line/Column" (Ctrl+G); line and column are 1-based. */
async function goTo(line, column) {
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+G");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: STEP_MS });
  // The Go to Line box opens with a ":" prefix; keep it, or it turns into file search.
  await input.fill(`:${line}:${column}`);
  await page.keyboard.press("Enter");
  await input.waitFor({ state: "hidden", timeout: STEP_MS }).catch(() => undefined);
}

/** Monaco renders spaces as no-break spaces. */
function visibleText(text) {
  return text.replace(/\u00a0/g, " ");
}

/**
 * Changes user settings as a user does: "Preferences: Open User Settings (JSON)", replace the
 * text, save. The text is pasted, because typed brackets and quotes get auto-closed.
 */
async function editUserSettings(changes) {
  const settings = { ...JSON.parse(readFileSync(SETTINGS_FILE, "utf8")), ...changes };
  const text = JSON.stringify(settings, null, 2);
  await runCommand("Preferences: Open User Settings (JSON)");
  // VS Code 1.139 shows settings.json in a modal editor, not a tab: find the editor by its text.
  const editor = page.locator(".monaco-editor .view-lines", { hasText: "workbench.startupEditor" }).first();
  await editor.waitFor({ state: "visible", timeout: STEP_MS });
  await editor.click();
  await page.evaluate((value) => navigator.clipboard.writeText(value), text);
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Control+V");
  await page.keyboard.press("Control+S");
  await waitFor("settings.json saved with the change", () => {
    const saved = JSON.parse(readFileSync(SETTINGS_FILE, "utf8"));
    return Object.entries(changes).every(([key, value]) => JSON.stringify(saved[key]) === JSON.stringify(value));
  });
  await page.keyboard.press("Control+W");
  // The file on disk is right; if VS Code still thinks the editor is dirty, leave it as it is.
  const dontSave = page.locator(".monaco-dialog-box .monaco-button", { hasText: "Don't Save" });
  if (await dontSave.waitFor({ state: "visible", timeout: 2000 }).then(() => true, () => false)) {
    await dontSave.click();
  }
  await editor.waitFor({ state: "hidden", timeout: STEP_MS }).catch(() => undefined);
}

async function showProblems() {
  const panel = page.locator(".markers-panel");
  if (!(await panel.isVisible().catch(() => false))) {
    await page.keyboard.press("Control+Shift+M");
  }
  await panel.waitFor({ state: "visible", timeout: STEP_MS });
}

/** The text of the first Problems row that mentions `code`, once it appears. */
async function problemRow(code) {
  await showProblems();
  const row = page.locator(".markers-panel .monaco-list-row", { hasText: code }).first();
  await row.waitFor({ state: "visible", timeout: STEP_MS });
  return (await row.innerText()).replace(/\s+/g, " ").trim();
}

async function notificationText(containing) {
  const toast = page.locator(".notification-toast", { hasText: containing }).first();
  await toast.waitFor({ state: "visible", timeout: STEP_MS });
  return (await toast.innerText()).replace(/\s+/g, " ").trim();
}

function lineOf(text, needle) {
  const lines = text.split("\n");
  const index = lines.findIndex((line) => line.includes(needle));
  if (index < 0) throw new Error(`"${needle}" is not in the sample file`);
  return { line: index + 1, column: lines[index].indexOf(needle) + 1 };
}

// ---- scenarios ---------------------------------------------------------------------

async function serverScenario() {
  const runtimePath = join(WORKSPACE, "config/runtime.exs");
  const original = readFileSync(runtimePath, "utf8");
  const repo = lineOf(original, "config :storefront, Storefront.Repo");
  const repoAlias = { line: repo.line, column: repo.column + "config :storefront, ".length };
  const poolSize = lineOf(original, "pool_size:");

  await check("the server that runs is the one bundled in the .vsix, on the system's python3", async () => {
    await openFile("config/runtime.exs");
    await waitFor("the server's start in the log", () => /starting .*mpg_lsp_server\.py/.test(serverLog()));
    const line = serverLog().split("\n").find((l) => /starting .*mpg_lsp_server\.py/.test(l));
    if (!line.includes("bundled server on PATH")) throw new Error(`not the bundled server on PATH: ${line}`);
    if (!line.includes(env("MPG_LSP_PYTHON")) && !line.includes("python3")) throw new Error(`not python3: ${line}`);
  });

  await check("runtime.exs shows MPG101 in the Problems panel", async () => {
    await openFile("config/runtime.exs");
    await screenshot("runtime-exs-open");
    const text = await problemRow("MPG101");
    if (!text.includes("prepare: :unnamed")) throw new Error(`row does not mention prepare: :unnamed: ${text}`);
    if (!text.includes("mpg-lsp")) throw new Error(`row does not name the source mpg-lsp: ${text}`);
    if (!text.includes(`Ln ${repo.line},`)) throw new Error(`expected Ln ${repo.line}: ${text}`);
    await page.locator(".monaco-editor .squiggly-warning, .monaco-editor .squiggly-error, .monaco-editor .squiggly-info").first()
      .waitFor({ state: "visible", timeout: STEP_MS });
    await screenshot("problems-mpg101");
  });

  await check("with only runtime.exs open, the Problems panel lists config.exs's and fly.toml's problems", async () => {
    await problemRow("MPG201");
    await problemRow("MPG301");
    const rows = await page.locator(".markers-panel .monaco-list-row").allInnerTexts();
    for (const name of ["runtime.exs", "config.exs", "fly.toml"]) {
      if (!rows.some((row) => row.includes(name))) throw new Error(`no ${name} in the Problems panel: ${rows.join(" | ")}`);
    }
    const tabs = await page.locator(".tabs-container .tab").allInnerTexts();
    if (tabs.length !== 1) throw new Error(`expected only runtime.exs open, tabs: ${tabs.join(", ")}`);
    await screenshot("problems-whole-project");
  });

  await check("a fix made on disk clears config.exs's MPG201, and putting the file back restores it", async () => {
    const configPath = join(WORKSPACE, "config/config.exs");
    const before = readFileSync(configPath, "utf8");
    const line = "  engine: Oban.Engines.Basic,\n";
    if (!before.includes(line)) throw new Error("the sample's Oban config changed");
    writeFileSync(configPath, before.replace(line, `${line}  notifier: Oban.Notifiers.PG,\n`));
    await waitFor("MPG201 to leave the Problems panel", async () =>
      (await page.locator(".markers-panel .monaco-list-row", { hasText: "MPG201" }).count()) === 0);
    await screenshot("fix-on-disk-cleared");
    writeFileSync(configPath, before);
    await problemRow("MPG201");
  });

  await check("the MPG101 quick fix from the editor writes prepare: :unnamed", async () => {
    await page.locator(".monaco-editor .view-lines").first().click();
    await goTo(repoAlias.line, repoAlias.column + 2);
    const action = page.locator(".action-widget .monaco-list-row", { hasText: "prepare: :unnamed" }).first();
    // Ctrl+. asks the server once; pressed while the editor is still settling (a CI run once
    // showed the lightbulb but no menu), the menu may not open. Ask again until it does, as a
    // user would.
    await waitFor("the quick fix menu with the prepare: :unnamed fix", async () => {
      await page.keyboard.press("Control+.");
      const shown = await action.waitFor({ state: "visible", timeout: 5000 }).then(() => true, () => false);
      if (!shown) await page.keyboard.press("Escape");
      return shown;
    });
    const title = (await action.innerText()).trim();
    if (!title.startsWith("Add")) throw new Error(`unexpected quick fix title: ${title}`);
    await screenshot("quick-fix-menu");
    await action.click();
    await page.keyboard.press("Control+S");
    const expected = original.replace(
      "    socket_options: maybe_ipv6\n",
      "    socket_options: maybe_ipv6,\n    prepare: :unnamed\n",
    );
    if (expected === original) throw new Error("the sample no longer has the line the fix extends");
    await waitFor("the fixed file on disk", () => readFileSync(runtimePath, "utf8") === expected, STEP_MS).catch(() => {
      throw new Error(`file on disk differs from the expected fix:\n${readFileSync(runtimePath, "utf8")}`);
    });
    await waitFor("MPG101 to leave the Problems panel", async () =>
      (await page.locator(".markers-panel .monaco-list-row", { hasText: "MPG101" }).count()) === 0);
    await screenshot("after-quick-fix");
  });

  await check("hover on pool_size: shows its docs", async () => {
    await page.locator(".monaco-editor .view-lines").first().click();
    await goTo(poolSize.line, poolSize.column + 2);
    const hover = page.locator(".monaco-hover:not(.hidden)", { hasText: "pool_size" }).first();
    await waitFor("a hover that mentions pool_size", async () => {
      await page.keyboard.press("Control+K");
      await page.keyboard.press("Control+I");
      return hover.isVisible({ timeout: 2000 }).catch(() => false);
    });
    await screenshot("hover-pool-size");
    await page.keyboard.press("Escape");
  });

  await check("fly.toml shows MPG301", async () => {
    await openFile("fly.toml");
    await problemRow("MPG301");
    await screenshot("fly-toml-mpg301");
  });

  await check("config/config.exs shows MPG201", async () => {
    await openFile("config/config.exs");
    await problemRow("MPG201");
    await screenshot("config-exs-mpg201");
  });

  await check("Restart server brings the diagnostics back; the output channel shows the server log", async () => {
    await runCommand("mpg-lsp: Restart server");
    await runCommand("mpg-lsp: Show server log");
    const output = page.locator(".part.panel .view-lines").first();
    await waitFor("the server's start in the mpg-lsp output channel", async () =>
      /starting .*(mpg-lsp|python)/.test(visibleText(await output.innerText())));
    await waitFor("the restart in the log file", () => serverLog().includes("restarting the server"));
    await problemRow("MPG301");
    await screenshot("after-restart-log");
  });

  await check("the server gets only its own settings (no unknown-setting warnings)", async () => {
    const unknown = serverLog().split("\n").filter((line) => line.includes("unknown setting"));
    if (unknown.length > 0) throw new Error(unknown.join(" | "));
  });

  await check("changing mpgLsp.ignore in settings.json reaches the server", async () => {
    await editUserSettings({ "mpgLsp.ignore": ["MPG301"] });
    await showProblems();
    await waitFor("MPG301 to leave the Problems panel", async () =>
      (await page.locator(".markers-panel .monaco-list-row", { hasText: "MPG301" }).count()) === 0);
    await problemRow("MPG201");
    await screenshot("ignore-setting-applied");
  });
}

/** Fix-all on save, as the extension's README sets it up; run after the other server checks. */
async function fixAllOnSave() {
  await check("fix-all on save (editor.codeActionsOnSave source.fixAll) writes config.exs's fix", async () => {
    const configPath = join(WORKSPACE, "config/config.exs");
    await editUserSettings({ "editor.codeActionsOnSave": { "source.fixAll": "explicit" } });
    // settings.json sometimes stays open as a tab (not the modal editor): close it first
    const settingsTab = page.locator(".tabs-container .tab", { hasText: "settings.json" });
    if ((await settingsTab.count()) > 0) {
      await settingsTab.first().click();
      await page.keyboard.press("Control+W");
      await settingsTab.first().waitFor({ state: "detached", timeout: 5000 }).catch(() => undefined);
    }
    await openFile("config/config.exs");
    await problemRow("MPG201");
    // A user's edit (a new line at the end), then Ctrl+S.
    await page.locator(".monaco-editor .view-lines").first().click();
    await page.keyboard.press("Control+End");
    await page.keyboard.press("Enter");
    await page.keyboard.press("Control+S");
    await waitFor("the fix in config.exs on disk", () => readFileSync(configPath, "utf8").includes("notifier:"))
      .catch(() => {
        throw new Error(`config.exs on disk has no notifier:\n${readFileSync(configPath, "utf8")}`);
      });
    await waitFor("MPG201 to leave the Problems panel", async () =>
      (await page.locator(".markers-panel .monaco-list-row", { hasText: "MPG201" }).count()) === 0);
    execFileSync("elixir", ["-e", "Code.string_to_quoted!(File.read!(hd(System.argv())))", configPath]);
    await screenshot("fix-all-on-save");
  });
}

/** Opens `relativePath` of workspace folder `folder` (multi-root: Quick Open shows the folder
 * in each row, and two files share the name). */
async function openFileIn(folder, relativePath) {
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+P");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: STEP_MS });
  const name = relativePath.split("/").pop();
  await input.fill(name);
  const row = page.locator(".quick-input-list .monaco-list-row", { hasText: name }).filter({ hasText: folder }).first();
  await row.waitFor({ state: "visible", timeout: STEP_MS });
  await row.click();
  await page.locator(".tab.active", { hasText: name }).waitFor({ state: "visible", timeout: STEP_MS });
  await page.locator(".monaco-editor .view-lines").first().waitFor({ state: "visible", timeout: STEP_MS });
}

async function rowCount(code) {
  return page.locator(".markers-panel .monaco-list-row", { hasText: code }).count();
}

/** Two projects in one multi-root workspace (shop-b already has `prepare: :unnamed`). */
async function multirootScenario() {
  const root = WORKSPACE.replace(/\/[^/]*$/, "");
  const starts = () => serverLog().split("\n").filter((l) => /starting .*mpg_lsp_server\.py/.test(l)).length;

  await check("with one file of shop-a open, the Problems panel holds both folders' problems", async () => {
    await openFileIn("shop-a", "config/runtime.exs");
    await problemRow("MPG101");
    await waitFor("config.exs's MPG201 and fly.toml's MPG301 of both folders, MPG101 of shop-a only", async () =>
      (await rowCount("MPG201")) === 2 && (await rowCount("MPG301")) === 2 && (await rowCount("MPG101")) === 1);
    const text = await page.locator(".markers-panel").innerText();
    if (!text.includes("shop-b")) throw new Error(`no shop-b file in the Problems panel: ${text}`);
    await screenshot("multiroot-problems");
  });

  await check("the quick fix in shop-b's config.exs writes shop-b's file only", async () => {
    const mine = join(root, "shop-b/config/config.exs");
    const other = join(root, "shop-a/config/config.exs");
    const before = readFileSync(other, "utf8");
    await openFileIn("shop-b", "config/config.exs");
    const oban = lineOf(readFileSync(mine, "utf8"), "config :storefront, Oban,");
    await page.locator(".monaco-editor .view-lines").first().click();
    await goTo(oban.line, oban.column + "config :storefront, ".length + 1);
    const action = page.locator(".action-widget .monaco-list-row", { hasText: "Oban.Notifiers.PG" }).first();
    await waitFor("the quick fix menu with the Oban.Notifiers.PG fix", async () => {
      await page.keyboard.press("Control+.");
      const shown = await action.waitFor({ state: "visible", timeout: 5000 }).then(() => true, () => false);
      if (!shown) await page.keyboard.press("Escape");
      return shown;
    });
    await action.click();
    await page.keyboard.press("Control+S");
    await waitFor("the fix in shop-b's config.exs on disk", () => readFileSync(mine, "utf8").includes("Oban.Notifiers.PG"));
    await waitFor("one MPG201 left (shop-a's)", async () => (await rowCount("MPG201")) === 1);
    if (readFileSync(other, "utf8") !== before) throw new Error("shop-a's config.exs changed too");
    execFileSync("elixir", ["-e", "Code.string_to_quoted!(File.read!(hd(System.argv())))", mine]);
    await screenshot("multiroot-fix-in-second-folder");
  });

  await check("one server serves both folders", async () => {
    if (starts() !== 1) throw new Error(`expected one server start in the log, found ${starts()}`);
  });
}

/** Everything the extension wrote to its output channel so far (VS Code keeps it in a file). */
function serverLog() {
  const found = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name === "mpg-lsp.log") found.push(readFileSync(path, "utf8"));
    }
  };
  walk(LOGS_DIR);
  return found.join("\n");
}

async function missingScenario() {
  await check("without a Python 3.10 or newer, one clear message says what to install", async () => {
    await openFile("config/runtime.exs");
    const text = await notificationText("Python 3.10");
    for (const part of ["Install Python 3.10 or newer", "How to install", "mpgLsp.python"]) {
      if (!text.includes(part)) throw new Error(`message lacks "${part}": ${text}`);
    }
    if (/\bat .*\(.*:\d+:\d+\)/.test(text)) throw new Error(`message shows a stack trace: ${text}`);
    await screenshot("no-python");
  });

  await check("its How to install button opens the instructions", async () => {
    const toast = page.locator(".notification-toast", { hasText: "Python 3.10" }).first();
    await toast.locator(".monaco-button", { hasText: "How to install" }).click();
    await page.locator(".tab", { hasText: /Preview readme\.md/i }).waitFor({ state: "visible", timeout: STEP_MS });
    // The preview is a webview: an iframe holding the rendered page in another iframe.
    await page
      .frameLocator("iframe.webview.ready")
      .frameLocator("#active-frame")
      .locator("h2", { hasText: "Python for the server" })
      .waitFor({ state: "visible", timeout: STEP_MS });
    await screenshot("install-instructions");
  });

  await check("setting mpgLsp.python to a Python 3.10+ starts the bundled server", async () => {
    await editUserSettings({ "mpgLsp.python": env("MPG_LSP_PYTHON") });
    await problemRow("MPG101");
    await screenshot("python-setting-works");
  });
}

// ---- main --------------------------------------------------------------------------

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
  ],
});
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: CS_URL });
  page = await context.newPage();
  await check("the workbench loads with the sample project", async () => {
    const what = WORKSPACE.endsWith(".code-workspace") ? "workspace" : "folder";
    await page.goto(`${CS_URL}/?${what}=${encodeURIComponent(WORKSPACE)}`);
    await page.locator(".monaco-workbench").waitFor({ state: "visible", timeout: 60_000 });
    await page.locator(".explorer-folders-view .monaco-list-row").first().waitFor({ state: "visible", timeout: 60_000 });
    await screenshot("workbench");
  });
  if (scenario === "server") {
    await serverScenario();
    await fixAllOnSave();
  }
  else if (scenario === "missing") await missingScenario();
  else if (scenario === "multiroot") await multirootScenario();
  else throw new Error(`unknown scenario ${scenario}`);
} finally {
  await browser.close();
}
process.exit(results.every(Boolean) ? 0 : 1);
