// Finding the mpg-lsp server. `mpgLsp.path` wins. Otherwise the server bundled in the .vsix
// runs on the first Python >= 3.10 found: `mpgLsp.python`, the Python extension's selected
// interpreter, `python.defaultInterpreterPath`, then `python3` (or `python`) on PATH. Without a
// bundle (a development build), `mpg-lsp` on PATH, then `python -m mpg_lsp`.
// Plain Node (no `vscode` import) so it can be tested without an editor.

import { execFile, type ExecFileException } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** How to start the server, once a candidate answered `--version`. */
export interface ServerCommand {
  command: string;
  /** Arguments before `--stdio`. */
  args: string[];
  /** Where it came from, for the log: "mpgLsp.path", "PATH", "mpgLsp.python", ... */
  origin: string;
  /** First line the server printed for `--version`. */
  version: string;
}

/** A candidate that was tried and did not work, and why. */
export interface Attempt {
  origin: string;
  commandLine: string;
  problem: string;
}

export interface LocateResult {
  server?: ServerCommand;
  attempts: Attempt[];
  /** True when `mpgLsp.path` was set and failed: the user asked for that one, so nothing else was tried. */
  explicitPathFailed: boolean;
  /** True when the bundled server was there but no Python could run it. */
  noSuitablePython?: boolean;
}

export interface LocateInput {
  /** `mpgLsp.path`, possibly empty. */
  path: string;
  /** `mpgLsp.python`, possibly empty. */
  python: string;
  /** `python.defaultInterpreterPath` from the Python extension's settings, possibly empty. */
  fallbackPython: string;
  /** The interpreter selected in the Python extension (through its API), when it is installed. */
  selectedPython?: string;
  /** The launcher of the server bundled in the .vsix (bundled/tool/mpg_lsp_server.py), if any. */
  bundled?: string;
  /** Folder that `${workspaceFolder}` and relative paths mean; undefined without a folder. */
  workspaceFolder?: string;
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
}

export interface ProbeResult {
  ok: boolean;
  /** The version line when ok, otherwise a short reason. */
  detail: string;
}

/** Runs `command args --version`; injectable so tests need no real executables. */
export type Probe = (command: string, args: string[], env: NodeJS.ProcessEnv) => Promise<ProbeResult>;

export const SERVER_EXECUTABLE = "mpg-lsp";
export const SERVER_MODULE = "mpg_lsp";

export async function locateServer(input: LocateInput, probe: Probe = probeVersion): Promise<LocateResult> {
  const attempts: Attempt[] = [];

  const tryCandidate = async (origin: string, command: string, args: string[]): Promise<ServerCommand | undefined> => {
    const result = await probe(command, args, input.env);
    if (result.ok) {
      return { command, args, origin, version: result.detail };
    }
    attempts.push({ origin, commandLine: [command, ...args].join(" "), problem: result.detail });
    return undefined;
  };

  const configuredPath = input.path.trim();
  if (configuredPath) {
    const command = expandPath(configuredPath, input.workspaceFolder);
    const server = await tryCandidate("mpgLsp.path", command, []);
    return { server, attempts, explicitPathFailed: server === undefined };
  }

  if (input.bundled) {
    for (const [origin, python] of pythonCandidates(input)) {
      const server = await tryCandidate(`bundled server on ${origin}`, python, ["-E", "-s", input.bundled]);
      if (server) {
        return { server, attempts, explicitPathFailed: false };
      }
    }
    if (attempts.length === 0) {
      attempts.push({ origin: "PATH", commandLine: "python3", problem: "no Python found on PATH" });
    }
    return { attempts, explicitPathFailed: false, noSuitablePython: true };
  }

  for (const command of findOnPath(SERVER_EXECUTABLE, input.env, input.platform)) {
    const server = await tryCandidate("PATH", command, []);
    if (server) {
      return { server, attempts, explicitPathFailed: false };
    }
  }
  if (attempts.length === 0) {
    attempts.push({ origin: "PATH", commandLine: SERVER_EXECUTABLE, problem: "not found on PATH" });
  }

  for (const [origin, python] of pythonCandidates(input)) {
    const server = await tryCandidate(origin, python, ["-m", SERVER_MODULE]);
    if (server) {
      return { server, attempts, explicitPathFailed: false };
    }
  }
  return { attempts, explicitPathFailed: false };
}

/** Interpreters to try (with the bundled server, or `-m mpg_lsp`), most specific first, once each. */
function pythonCandidates(input: LocateInput): Array<[string, string]> {
  const candidates: Array<[string, string]> = [];
  const add = (origin: string, python: string) => {
    if (python && !candidates.some(([, seen]) => seen === python)) {
      candidates.push([origin, python]);
    }
  };
  if (input.python.trim()) {
    add("mpgLsp.python", expandPath(input.python.trim(), input.workspaceFolder));
  }
  if (input.selectedPython?.trim()) {
    add("the Python extension's interpreter", input.selectedPython.trim());
  }
  // The Python extension's default is the bare word "python": that is a PATH lookup, done below.
  const fallback = input.fallbackPython.trim();
  if (fallback && fallback !== "python") {
    add("python.defaultInterpreterPath", expandPath(fallback, input.workspaceFolder));
  }
  const names = input.platform === "win32" ? ["python", "py"] : ["python3", "python"];
  for (const name of names) {
    const found = findOnPath(name, input.env, input.platform)[0];
    if (found) {
      add("PATH", found);
    }
  }
  return candidates;
}

/** `~`, `${userHome}` and `${workspaceFolder}` expansion; relative paths are taken from the folder. */
export function expandPath(value: string, workspaceFolder: string | undefined): string {
  let expanded = value.replace(/\$\{userHome\}/g, os.homedir());
  if (workspaceFolder) {
    expanded = expanded.replace(/\$\{workspaceFolder\}/g, workspaceFolder);
  }
  if (expanded === "~" || expanded.startsWith("~/") || expanded.startsWith("~\\")) {
    expanded = path.join(os.homedir(), expanded.slice(1));
  }
  const looksLikeBareName = !expanded.includes("/") && !expanded.includes("\\");
  if (!looksLikeBareName && !path.isAbsolute(expanded) && workspaceFolder) {
    expanded = path.resolve(workspaceFolder, expanded);
  }
  return expanded;
}

/** Every executable file called `name` on PATH, in PATH order (with PATHEXT on Windows). */
export function findOnPath(name: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string[] {
  const pathValue = env.PATH ?? env.Path ?? "";
  const separator = platform === "win32" ? ";" : ":";
  const extensions = platform === "win32" ? (env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";").concat([""]) : [""];
  const found: string[] = [];
  for (const dir of pathValue.split(separator)) {
    if (!dir) {
      continue;
    }
    for (const ext of extensions) {
      const candidate = path.join(dir, name + ext.toLowerCase());
      if (isExecutableFile(candidate, platform) && !found.includes(candidate)) {
        found.push(candidate);
      }
    }
  }
  return found;
}

function isExecutableFile(file: string, platform: NodeJS.Platform): boolean {
  try {
    if (!fs.statSync(file).isFile()) {
      return false;
    }
    if (platform !== "win32") {
      fs.accessSync(file, fs.constants.X_OK);
    }
    return true;
  } catch {
    return false;
  }
}

const PROBE_TIMEOUT_MS = 20_000;

/** Runs `command args --version` and reports the first line it printed, or why it failed. */
export function probeVersion(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<ProbeResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      [...args, "--version"],
      { env, timeout: PROBE_TIMEOUT_MS, windowsHide: true, maxBuffer: 1024 * 1024 },
      (error, stdout, stderr) => {
        const out = String(stdout).trim();
        if (!error) {
          resolve({ ok: true, detail: firstLine(out) || "(no version printed)" });
          return;
        }
        resolve({ ok: false, detail: describeFailure(error, String(stderr)) });
      },
    );
  });
}

function describeFailure(error: ExecFileException, stderr: string): string {
  if (error.code === "ENOENT") {
    return "no such file";
  }
  if (error.code === "EACCES") {
    return "not executable";
  }
  if (error.killed) {
    return `no answer to --version within ${PROBE_TIMEOUT_MS / 1000} s`;
  }
  const reason = lastLine(stderr.trim());
  const exit = typeof error.code === "number" ? `exited with status ${error.code}` : error.message;
  return reason ? `${exit}: ${reason}` : exit;
}

function firstLine(text: string): string {
  return text.split(/\r?\n/)[0] ?? "";
}

function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  return lines[lines.length - 1] ?? "";
}
