// Entry point: wires the output channel, the commands and settings changes to the server.

import * as vscode from "vscode";
import { CLIENT_NAME } from "./client";
import { ServerController } from "./server";
import { affectsLaunch, SECTION } from "./settings";

let controller: ServerController | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel(CLIENT_NAME, { log: true });
  controller = new ServerController(output);
  const server = controller;

  context.subscriptions.push(
    output,
    server,
    vscode.commands.registerCommand("mpgLsp.restartServer", () => server.restart()),
    vscode.commands.registerCommand("mpgLsp.showLog", () => output.show(true)),
    vscode.commands.registerCommand("mpgLsp.showInstallHelp", () =>
      vscode.commands.executeCommand("markdown.showPreview", vscode.Uri.joinPath(context.extensionUri, "README.md")),
    ),
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

export async function deactivate(): Promise<void> {
  await controller?.stop();
  controller = undefined;
}
