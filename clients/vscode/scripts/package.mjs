// `npm run package [-- --target T]`: type-check and bundle the extension, bundle the server
// for the platform (the host's by default), then write mpg-lsp.vsix for that platform.

import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { hostTarget } from "./bundle-server.mjs";

const HERE = dirname(dirname(fileURLToPath(import.meta.url)));
const at = process.argv.indexOf("--target");
const target = at > 0 ? process.argv[at + 1] : hostTarget();
const npx = process.platform === "win32" ? "npx.cmd" : "npx";
const run = (command, args) => execFileSync(command, args, { cwd: HERE, stdio: "inherit" });

run(process.execPath, [join(HERE, "scripts", "bundle-server.mjs"), "--target", target]);
// vsce runs the vscode:prepublish script (type-check and bundle) itself
run(npx, ["vsce", "package", "--no-dependencies", "--target", target, "--allow-missing-repository", "-o", "mpg-lsp.vsix"]);
