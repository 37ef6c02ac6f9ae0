// Starting, stopping and restarting the server; one at a time, whatever asks for it.

import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { State, type LanguageClient } from "vscode-languageclient/node";
import { createClient, DOCUMENT_SELECTOR, notifyConfigurationChanged } from "./client";
import { locateServer, type ServerCommand } from "./locate";
import { logAttempts, reportNotFound, reportStartFailure } from "./messages";
import { onInterpreterChange, selectedInterpreter } from "./python";
import { readLaunchSettings } from "./settings";

const STOP_TIMEOUT_MS = 3000;

/** The launcher of the server bundled in the .vsix, when this build carries one. */
function bundledLauncher(extensionPath: string): string | undefined {
  const launcher = path.join(extensionPath, "bundled", "tool", "mpg_lsp_server.py");
  const libs = path.join(extensionPath, "bundled", "libs", "mpg_lsp");
  return fs.existsSync(launcher) && fs.existsSync(libs) ? launcher : undefined;
}

export class ServerController implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly status: vscode.LanguageStatusItem;

  private interpreterWatch: vscode.Disposable | undefined;

  constructor(
    private readonly output: vscode.LogOutputChannel,
    private readonly extensionPath: string,
  ) {
    this.status = vscode.languages.createLanguageStatusItem("mpgLsp.status", DOCUMENT_SELECTOR);
    this.status.name = "mpg-lsp";
    this.showStatus("starting", vscode.LanguageStatusSeverity.Information);
    // another interpreter selected in the Python extension: it may run the server now
    void onInterpreterChange(() => {
      this.output.info("the Python extension's interpreter changed");
      void this.restart();
    }).then((watch) => (this.interpreterWatch = watch));
  }

  /** Starts the server unless it runs already. */
  start(): Promise<void> {
    return this.enqueue(async () => {
      if (!this.client) {
        await this.launch();
      }
    });
  }

  /** Stops the server if it runs, looks it up again (settings may have changed) and starts it. */
  restart(): Promise<void> {
    return this.enqueue(async () => {
      await this.shutdown();
      this.output.info("restarting the server");
      await this.launch();
    });
  }

  /** Passes a change of the server's own settings on; launch settings restart instead. */
  settingsChanged(): Promise<void> {
    return this.enqueue(async () => {
      if (this.client?.isRunning()) {
        this.output.info("mpgLsp settings changed; the server re-reads them");
        await notifyConfigurationChanged(this.client).catch((error) =>
          this.output.warn(`could not tell the server about the new settings: ${String(error)}`),
        );
      }
    });
  }

  stop(): Promise<void> {
    return this.enqueue(() => this.shutdown());
  }

  dispose(): void {
    this.status.dispose();
    this.interpreterWatch?.dispose();
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(step, step);
    return this.queue;
  }

  private async launch(): Promise<void> {
    this.showStatus("starting", vscode.LanguageStatusSeverity.Information);
    const folder = vscode.workspace.workspaceFolders?.[0];
    const launch = readLaunchSettings(folder);
    const result = await locateServer({
      ...launch,
      selectedPython: launch.path ? undefined : await selectedInterpreter(folder?.uri),
      bundled: bundledLauncher(this.extensionPath),
      workspaceFolder: folder?.uri.scheme === "file" ? folder.uri.fsPath : undefined,
      env: process.env,
      platform: process.platform,
    });
    logAttempts(this.output, result);
    if (!result.server) {
      this.output.error(
        result.noSuitablePython ? "no Python 3.10 or newer to run the bundled server" : "no working mpg-lsp server found",
      );
      // The PATH VS Code got from the login shell is often not the one a terminal shows.
      this.output.info(`PATH seen by VS Code: ${process.env.PATH ?? "(unset)"}`);
      this.showStatus(result.noSuitablePython ? "needs Python 3.10+" : "not installed", vscode.LanguageStatusSeverity.Error, {
        title: "How to install",
        command: "mpgLsp.showInstallHelp",
      });
      // Not awaited: the notification stays open while the rest of the editor goes on.
      void reportNotFound(result, this.output);
      return;
    }
    await this.run(result.server);
  }

  private async run(server: ServerCommand): Promise<void> {
    this.output.info(
      `starting ${[server.command, ...server.args, "--stdio"].join(" ")} (${server.version}, from ${server.origin})`,
    );
    const client = createClient(server, this.output);
    this.client = client;
    // The languageclient restarts a crashed server a few times, then gives up: say so.
    client.onDidChangeState(({ newState }) => {
      if (newState === State.Stopped && this.client === client) {
        this.showStatus("stopped", vscode.LanguageStatusSeverity.Warning, {
          title: "Restart",
          command: "mpgLsp.restartServer",
        });
      } else if (newState === State.Running) {
        this.showStatus(server.version, vscode.LanguageStatusSeverity.Information, {
          title: "Restart",
          command: "mpgLsp.restartServer",
        });
      }
    });
    try {
      await client.start();
      this.showStatus(server.version, vscode.LanguageStatusSeverity.Information, {
        title: "Restart",
        command: "mpgLsp.restartServer",
      });
    } catch (error) {
      this.client = undefined;
      await client.dispose().catch(() => undefined);
      this.showStatus("failed to start", vscode.LanguageStatusSeverity.Error, {
        title: "Show log",
        command: "mpgLsp.showLog",
      });
      void reportStartFailure(error, this.output);
    }
  }

  private async shutdown(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) {
      return;
    }
    try {
      await client.dispose(STOP_TIMEOUT_MS);
    } catch (error) {
      this.output.warn(`the server did not stop cleanly: ${String(error)}`);
    }
  }

  private showStatus(text: string, severity: vscode.LanguageStatusSeverity, command?: vscode.Command): void {
    this.status.text = `mpg-lsp: ${text}`;
    this.status.severity = severity;
    this.status.command = command;
  }
}
