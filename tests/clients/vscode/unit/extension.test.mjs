// Unit tests of the extension's editor-free parts: finding the server, and reading its log.
// run.sh bundles src/locate.ts and src/serverLog.ts to MPG_LSP_VSCODE_MODULES first:
//   node --test tests/clients/vscode/unit/

import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

const modules = process.env.MPG_LSP_VSCODE_MODULES;
assert.ok(modules, "set MPG_LSP_VSCODE_MODULES to the folder with locate.mjs and serverLog.mjs");
const { locateServer, expandPath, findOnPath, probeVersion } = await import(join(modules, "locate.mjs"));
const { classify } = await import(join(modules, "serverLog.mjs"));

const scratch = mkdtempSync(join(tmpdir(), "mpg-lsp-locate-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A shell script standing in for a server or an interpreter. */
function fakeExecutable(dir, name, body) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

const WORKING_SERVER = 'echo "mpg-lsp 9.9.9"';
const NO_MODULE = 'echo "$0: No module named mpg_lsp" >&2; exit 1';
const input = (overrides) => ({
  path: "",
  python: "",
  fallbackPython: "",
  workspaceFolder: undefined,
  env: { PATH: "" },
  platform: "linux",
  ...overrides,
});

describe("locateServer", () => {
  it("uses mpgLsp.path when it answers --version", async () => {
    const server = fakeExecutable(join(scratch, "explicit"), "mpg-lsp", WORKING_SERVER);
    const result = await locateServer(input({ path: server }));
    assert.equal(result.server.command, server);
    assert.deepEqual(result.server.args, []);
    assert.equal(result.server.origin, "mpgLsp.path");
    assert.equal(result.server.version, "mpg-lsp 9.9.9");
  });

  it("stops at a broken mpgLsp.path instead of quietly using another server", async () => {
    const onPath = fakeExecutable(join(scratch, "elsewhere"), "mpg-lsp", WORKING_SERVER);
    const result = await locateServer(
      input({ path: join(scratch, "nowhere", "mpg-lsp"), env: { PATH: join(onPath, "..") } }),
    );
    assert.equal(result.server, undefined);
    assert.equal(result.explicitPathFailed, true);
    assert.equal(result.attempts.length, 1);
    assert.equal(result.attempts[0].problem, "no such file");
  });

  it("finds mpg-lsp on PATH", async () => {
    const bin = join(scratch, "path-bin");
    const server = fakeExecutable(bin, "mpg-lsp", WORKING_SERVER);
    const result = await locateServer(input({ env: { PATH: `/nonexistent:${bin}` } }));
    assert.equal(result.server.command, server);
    assert.equal(result.server.origin, "PATH");
  });

  it("falls back to mpgLsp.python with -m mpg_lsp", async () => {
    const python = fakeExecutable(join(scratch, "venv", "bin"), "python", 'test "$2" = mpg_lsp && echo "mpg-lsp 1.2.3"');
    const result = await locateServer(input({ python }));
    assert.equal(result.server.command, python);
    assert.deepEqual(result.server.args, ["-m", "mpg_lsp"]);
    assert.equal(result.server.origin, "mpgLsp.python");
    assert.deepEqual(result.attempts.map((attempt) => attempt.origin), ["PATH"]);
  });

  it("tries python.defaultInterpreterPath, but not the Python extension's bare default", async () => {
    const tried = [];
    const probe = async (command) => {
      tried.push(command);
      return { ok: false, detail: "No module named mpg_lsp" };
    };
    await locateServer(input({ fallbackPython: "python" }), probe);
    assert.deepEqual(tried, []);
    await locateServer(input({ fallbackPython: "/opt/py/bin/python3" }), probe);
    assert.deepEqual(tried, ["/opt/py/bin/python3"]);
  });

  it("reports every candidate when nothing works", async () => {
    const bin = join(scratch, "nothing-works");
    fakeExecutable(bin, "python3", NO_MODULE);
    const result = await locateServer(input({ env: { PATH: bin } }));
    assert.equal(result.server, undefined);
    assert.equal(result.explicitPathFailed, false);
    assert.deepEqual(
      result.attempts.map((attempt) => [attempt.origin, attempt.problem.replace(/: .*/, "")]),
      [
        ["PATH", "not found on PATH"],
        ["PATH", "exited with status 1"],
      ],
    );
    assert.match(result.attempts[1].problem, /No module named mpg_lsp/);
  });
});

describe("locateServer with the server bundled in the .vsix", () => {
  const launcher = "/ext/bundled/tool/mpg_lsp_server.py";
  const TOO_OLD = 'echo "Python 3.9.18 is too old for mpg-lsp: it needs Python 3.10 or newer" >&2; exit 3';
  const RUNS = 'test "$3" = /ext/bundled/tool/mpg_lsp_server.py && echo "mpg-lsp 0.1.0"';

  it("runs the bundled server on python3 from PATH, isolated from PYTHONPATH and user site", async () => {
    const bin = join(scratch, "bundled-path");
    const python = fakeExecutable(bin, "python3", RUNS);
    fakeExecutable(bin, "mpg-lsp", WORKING_SERVER); // an installed server is not what runs
    const result = await locateServer(input({ bundled: launcher, env: { PATH: bin } }));
    assert.equal(result.server.command, python);
    assert.deepEqual(result.server.args, ["-E", "-s", launcher]);
    assert.equal(result.server.origin, "bundled server on PATH");
  });

  it("prefers mpgLsp.python, then the Python extension's interpreter, then PATH", async () => {
    const tried = [];
    const probe = async (command) => {
      tried.push(command);
      return { ok: false, detail: "exited with status 3: Python 3.9.18 is too old" };
    };
    const bin = join(scratch, "order-path");
    fakeExecutable(bin, "python3", RUNS);
    await locateServer(
      input({
        bundled: launcher,
        python: "/custom/python",
        selectedPython: "/selected/python",
        fallbackPython: "/default/python",
        env: { PATH: bin },
      }),
      probe,
    );
    assert.deepEqual(tried, ["/custom/python", "/selected/python", "/default/python", join(bin, "python3")]);
  });

  it("skips a Python that is too old and says so when none will do", async () => {
    const old = fakeExecutable(join(scratch, "old-python"), "python3", TOO_OLD);
    const good = fakeExecutable(join(scratch, "good-python"), "python3.12", RUNS);
    const found = await locateServer(input({ bundled: launcher, selectedPython: old, python: "", env: { PATH: join(good, "..") } }));
    assert.equal(found.server, undefined); // python3.12 is not a name looked up on PATH
    assert.equal(found.noSuitablePython, true);
    assert.match(found.attempts[0].problem, /too old for mpg-lsp: it needs Python 3.10 or newer/);
    const chosen = await locateServer(input({ bundled: launcher, python: good, selectedPython: old }));
    assert.equal(chosen.server.command, good);
    const none = await locateServer(input({ bundled: launcher, env: { PATH: "" } }));
    assert.equal(none.noSuitablePython, true);
    assert.deepEqual(none.attempts.map((a) => a.problem), ["no Python found on PATH"]);
  });

  it("still lets mpgLsp.path win", async () => {
    const server = fakeExecutable(join(scratch, "explicit-bundled"), "mpg-lsp", WORKING_SERVER);
    const result = await locateServer(input({ bundled: launcher, path: server }));
    assert.equal(result.server.command, server);
    assert.equal(result.server.origin, "mpgLsp.path");
  });
});

describe("probeVersion", () => {
  it("says why a candidate failed, in a few words", async () => {
    const notExecutable = join(scratch, "plain-file");
    writeFileSync(notExecutable, "");
    assert.deepEqual(await probeVersion(join(scratch, "missing"), [], {}), { ok: false, detail: "no such file" });
    assert.deepEqual(await probeVersion(notExecutable, [], {}), { ok: false, detail: "not executable" });
  });
});

describe("expandPath and findOnPath", () => {
  it("expands ~, ${userHome} and ${workspaceFolder}, and resolves relative paths in the folder", () => {
    assert.equal(expandPath("~/.local/bin/mpg-lsp", undefined), join(homedir(), ".local/bin/mpg-lsp"));
    assert.equal(expandPath("${userHome}/x", undefined), `${homedir()}/x`);
    assert.equal(expandPath("${workspaceFolder}/.venv/bin/python", "/w"), "/w/.venv/bin/python");
    assert.equal(expandPath(".venv/bin/python", "/w"), "/w/.venv/bin/python");
    assert.equal(expandPath("python3", "/w"), "python3");
  });

  it("lists only executable files, in PATH order, once each", () => {
    const first = join(scratch, "first");
    const second = join(scratch, "second");
    fakeExecutable(first, "tool", "true");
    fakeExecutable(second, "tool", "true");
    mkdirSync(join(scratch, "third", "tool"), { recursive: true });
    const env = { PATH: [first, join(scratch, "third"), second, first].join(":") };
    assert.deepEqual(findOnPath("tool", env, "linux"), [join(first, "tool"), join(second, "tool")]);
  });
});

describe("server log levels", () => {
  it("reads the level of Python logging lines and drops their timestamp", () => {
    assert.deepEqual(classify("2026-01-02 03:04:05,678 WARNING mpg_lsp.engine: odd", "info"), ["warn", "mpg_lsp.engine: odd"]);
    assert.deepEqual(classify("2026-01-02 03:04:05,678 INFO mpg_lsp: up", "error"), ["info", "mpg_lsp: up"]);
    assert.deepEqual(classify("ERROR: boom", "info"), ["error", "boom"]);
  });

  it("keeps a traceback together at error level", () => {
    assert.deepEqual(classify("Traceback (most recent call last):", "info"), ["error", "Traceback (most recent call last):"]);
    assert.deepEqual(classify('  File "x.py", line 1', "error"), ["error", '  File "x.py", line 1']);
  });

  it("does not take ordinary words for levels", () => {
    assert.deepEqual(classify("Informational text", "info"), ["info", "Informational text"]);
  });
});
