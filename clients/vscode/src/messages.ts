// What the user is told when the server cannot be found or started: one short notification
// with a way forward, and the details in the output channel.

import * as vscode from "vscode";
import type { LocateResult } from "./locate";

/** The one install command shown in the notification (the README says the same). */
export const INSTALL_COMMAND = "pipx install git+https://github.com/mpg-lsp/mpg-lsp";

/** Where the install help lives when the bundled README cannot be opened. */
export const INSTALL_HELP_URL = "https://github.com/mpg-lsp/mpg-lsp/blob/main/clients/vscode/README.md#installing-the-server";

const HOW_TO_INSTALL = "How to install";
const COPY_COMMAND = "Copy install command";
const OPEN_SETTINGS = "Open settings";
const SHOW_LOG = "Show log";

/** Writes every candidate that was tried to the log, so the notification can stay short. */
export function logAttempts(output: vscode.LogOutputChannel, result: LocateResult): void {
  for (const attempt of result.attempts) {
    output.info(`tried ${attempt.commandLine} (${attempt.origin}): ${attempt.problem}`);
  }
}

export async function reportNotFound(result: LocateResult, output: vscode.LogOutputChannel): Promise<void> {
  if (result.explicitPathFailed) {
    const attempt = result.attempts[0];
    const choice = await vscode.window.showErrorMessage(
      `mpg-lsp: the server set in mpgLsp.path (${attempt?.commandLine ?? "?"}) does not run: ${attempt?.problem ?? "unknown problem"}. ` +
        `Fix or clear the setting, then run "mpg-lsp: Restart server".`,
      OPEN_SETTINGS,
      SHOW_LOG,
    );
    await follow(choice, output);
    return;
  }
  const choice = await vscode.window.showErrorMessage(
    `mpg-lsp: the language server is not installed (no mpg-lsp on PATH, no Python with the mpg_lsp module). ` +
      `Install it with \`${INSTALL_COMMAND}\` ([how to install](command:mpgLsp.showInstallHelp)), ` +
      `or set mpgLsp.path, then run "mpg-lsp: Restart server".`,
    HOW_TO_INSTALL,
    COPY_COMMAND,
    OPEN_SETTINGS,
    SHOW_LOG,
  );
  await follow(choice, output);
}

export async function reportStartFailure(error: unknown, output: vscode.LogOutputChannel): Promise<void> {
  const reason = error instanceof Error ? error.message : String(error);
  output.error(`the server did not start: ${reason}`);
  const choice = await vscode.window.showErrorMessage(
    `mpg-lsp: the server was found but did not start (${reason}). The log has its output.`,
    SHOW_LOG,
    OPEN_SETTINGS,
  );
  await follow(choice, output);
}

async function follow(choice: string | undefined, output: vscode.LogOutputChannel): Promise<void> {
  switch (choice) {
    case HOW_TO_INSTALL:
      await vscode.commands.executeCommand("mpgLsp.showInstallHelp");
      break;
    case COPY_COMMAND:
      await vscode.env.clipboard.writeText(INSTALL_COMMAND);
      vscode.window.showInformationMessage(`Copied: ${INSTALL_COMMAND}`);
      break;
    case OPEN_SETTINGS:
      await vscode.commands.executeCommand("workbench.action.openSettings", "mpgLsp");
      break;
    case SHOW_LOG:
      output.show(true);
      break;
  }
}
