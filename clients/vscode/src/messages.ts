// What the user is told when the server cannot be found or started: one short notification
// with a way forward, and the details in the output channel.

import * as vscode from "vscode";
import type { LocateResult } from "./locate";

const HOW_TO_INSTALL = "How to install";
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
  const tried = result.attempts.map((attempt) => `${attempt.commandLine}: ${attempt.problem}`).join("; ");
  const message = result.noSuitablePython
    ? `mpg-lsp: no Python 3.10 or newer to run the server (${tried}). Install Python 3.10 or newer ` +
      `(your package manager's python3, or python.org), or select one in the Python extension, or set ` +
      `mpgLsp.python; then run "mpg-lsp: Restart server".`
    : `mpg-lsp: the language server is not installed (no mpg-lsp on PATH, no Python with the mpg_lsp module). ` +
      `Install it from a checkout of mpg-lsp ([how to install](command:mpgLsp.showInstallHelp)), ` +
      `or set mpgLsp.path, then run "mpg-lsp: Restart server".`;
  const choice = await vscode.window.showErrorMessage(message, HOW_TO_INSTALL, OPEN_SETTINGS, SHOW_LOG);
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
    case OPEN_SETTINGS:
      await vscode.commands.executeCommand("workbench.action.openSettings", "mpgLsp");
      break;
    case SHOW_LOG:
      output.show(true);
      break;
  }
}
