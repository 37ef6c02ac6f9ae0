// Entry point: wires the output channel, the commands and settings changes to the server.

import * as vscode from "vscode";
import { CLIENT_NAME } from "./client";
import { ServerController } from "./server";
import { affectsLaunch, SECTION } from "./settings";

let controller: ServerController | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel(CLIENT_NAME, { log: true });
  controller = new ServerController(output, context.extensionPath);
  const server = controller;

  context.subscriptions.push(
    output,
    server,
    vscode.commands.registerCommand("mpgLsp.restartServer", () => server.restart()),
    vscode.commands.registerCommand("mpgLsp.showLog", () => output.show(true)),
    vscode.commands.registerCommand("mpgLsp.showInstallHelp", () => showReadme(context.extensionUri)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (affectsLaunch(event)) {
        void server.restart();
      } else if (event.affectsConfiguration(SECTION)) {
        void server.settingsChanged();
      }
    }),
    // Trusting a folder can unlock its own mpgLsp.path / mpgLsp.python.
    vscode.workspace.onDidGrantWorkspaceTrust(() => void server.restart()),
  );

  await server.start();
}

/** Opens the extension's README (its "Installing the server" section is the install help). */
async function showReadme(extensionUri: vscode.Uri): Promise<void> {
  // vsce stores README.md as readme.md, and extension folders are case-sensitive on Linux.
  for (const name of ["README.md", "readme.md"]) {
    const readme = vscode.Uri.joinPath(extensionUri, name);
    try {
      await vscode.workspace.fs.stat(readme);
    } catch {
      continue;
    }
    await vscode.commands.executeCommand("markdown.showPreview", readme);
    return;
  }
}

export async function deactivate(): Promise<void> {
  await controller?.stop();
  controller = undefined;
}
