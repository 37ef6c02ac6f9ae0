// Puts the mpg-lsp server and its Python dependencies into bundled/libs, for one platform:
// `npm run package` calls it before `vsce package --target`, so the .vsix carries the server
// (as ruff-vscode and Microsoft's vscode-python-tools-extension-template do).
//
//   node scripts/bundle-server.mjs [--target linux-x64|linux-arm64|darwin-x64|darwin-arm64|win32-x64]
//
// The server comes from the repository this extension is part of ($MPG_LSP_SOURCE, by default
// two folders up); pip runs with $MPG_LSP_BUILD_PYTHON (default: python3, or python on Windows).
// Pure-Python packages are installed once; tree-sitter's native module is compiled per CPython
// version, so its module for each of SUPPORTED_PYTHONS is added beside the others (Python picks
// the one named for it).

import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(dirname(fileURLToPath(import.meta.url)));
const SOURCE = resolve(process.env.MPG_LSP_SOURCE ?? join(HERE, "..", ".."));
const PYTHON = process.env.MPG_LSP_BUILD_PYTHON ?? (process.platform === "win32" ? "python" : "python3");
const LIBS = join(HERE, "bundled", "libs");
export const SUPPORTED_PYTHONS = ["3.10", "3.11", "3.12", "3.13", "3.14"];

/** vsce's target names -> pip's platform tags. */
const PLATFORMS = {
  "linux-x64": ["manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64"],
  "linux-arm64": ["manylinux2014_aarch64", "manylinux_2_17_aarch64", "manylinux_2_28_aarch64"],
  "darwin-x64": ["macosx_10_9_x86_64", "macosx_10_13_x86_64", "macosx_11_0_x86_64"],
  "darwin-arm64": ["macosx_11_0_arm64"],
  "win32-x64": ["win_amd64"],
};

export function hostTarget() {
  return `${process.platform}-${process.arch}`;
}

function targetFromArgs() {
  const at = process.argv.indexOf("--target");
  return at > 0 ? process.argv[at + 1] : hostTarget();
}

function pip(args) {
  execFileSync(PYTHON, ["-m", "pip", "--disable-pip-version-check", ...args], { stdio: ["ignore", "inherit", "inherit"] });
}

function pipInstall(target, python, into, packages, extra = []) {
  const platforms = PLATFORMS[target].flatMap((tag) => ["--platform", tag]);
  pip([
    "install", "--quiet", "--target", into, "--only-binary=:all:", "--implementation", "cp",
    "--python-version", python, ...platforms, ...extra, ...packages,
  ]);
}

function main() {
  const target = targetFromArgs();
  if (!PLATFORMS[target]) {
    throw new Error(`no bundle for ${target}: one of ${Object.keys(PLATFORMS).join(", ")}`);
  }
  if (!existsSync(join(SOURCE, "pyproject.toml"))) {
    throw new Error(`${SOURCE} is not the mpg-lsp repository (set MPG_LSP_SOURCE)`);
  }
  const work = mkdtempSync(join(tmpdir(), "mpg-lsp-bundle-"));
  try {
    rmSync(LIBS, { recursive: true, force: true });
    mkdirSync(LIBS, { recursive: true });
    console.log(`bundling the server from ${SOURCE} for ${target}`);
    pip(["wheel", "--quiet", "--no-deps", "--wheel-dir", join(work, "wheel"), SOURCE]);
    const wheel = readdirSync(join(work, "wheel")).find((name) => name.endsWith(".whl"));
    // the oldest supported Python: its dependency set is the largest (tomli, exceptiongroup)
    pipInstall(target, SUPPORTED_PYTHONS[0], LIBS, [join(work, "wheel", wheel), "tomli>=2.0"]);
    const treeSitter = readdirSync(LIBS).find((name) => /^tree_sitter-[\d.]+\.dist-info$/.test(name));
    const version = treeSitter.slice("tree_sitter-".length, -".dist-info".length);
    for (const python of SUPPORTED_PYTHONS.slice(1)) {
      const into = join(work, `cp${python}`);
      pipInstall(target, python, into, [`tree-sitter==${version}`], ["--no-deps"]);
      for (const name of readdirSync(join(into, "tree_sitter"))) {
        if (name.startsWith("_binding.")) {
          cpSync(join(into, "tree_sitter", name), join(LIBS, "tree_sitter", name));
        }
      }
    }
    // console scripts point at the build machine's Python; caches are the build's
    rmSync(join(LIBS, "bin"), { recursive: true, force: true });
    removeCaches(LIBS);
    console.log(`bundled: mpg-lsp, its dependencies, tree-sitter ${version} for CPython ${SUPPORTED_PYTHONS.join(", ")}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function removeCaches(folder) {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const path = join(folder, entry.name);
    if (entry.name === "__pycache__") rmSync(path, { recursive: true, force: true });
    else removeCaches(path);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main();
}
