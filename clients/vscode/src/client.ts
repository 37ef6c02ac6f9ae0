// The language client: which files it attaches to, and what it hands the server.

import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";
import type { ServerCommand } from "./locate";
import { pipeServerStderr, pipeServerStdout } from "./serverLog";
import { readServerSettings, SECTION, withoutClientKeys } from "./settings";

export const CLIENT_ID = "mpgLsp";
export const CLIENT_NAME = "mpg-lsp";

/**
 * Every file the server reads (its `WATCHED` list in server/mpg_lsp/lsp/documents.py; a test keeps
 * the two in step): the project's config, mix files, Fly configs wherever they sit (`fly*.toml`,
 * `deploy/`, `fly.io/`), `.mpg-lsp.toml`, the app's `lib/`, migrations and the deploy files.
 * Selecting by pattern rather than by language id keeps this working with or without an Elixir
 * or TOML extension. Files changing on disk are watched by the server's own registration,
 * relative to each workspace folder, so `deps/`, `_build/` and `node_modules/` send no events.
 */
export const DOCUMENT_PATTERNS = [
  "**/config/**/*.exs",
  "**/mix.exs",
  "**/mix.lock",
  "**/fly*.toml",
  "**/deploy/**/*.toml",
  "**/fly.io/**/*.toml",
  "**/.mpg-lsp.toml",
  "**/lib/**/*.ex",
  "**/rel/**",
  "**/priv/*/migrations/*.exs",
  "**/Dockerfile",
  "**/Makefile",
  "**/justfile",
  "**/bin/*",
  "**/scripts/*",
  "**/.github/workflows/*.{yml,yaml}",
];

export const DOCUMENT_SELECTOR = DOCUMENT_PATTERNS.map((pattern) => ({ scheme: "file", pattern }));

/**
 * Tells the server that `mpgLsp.*` changed. The notification carries no values: the server
 * pulls them with workspace/configuration, which goes through the middleware below and so never
 * sees the extension's own keys (the languageclient's `synchronize.configurationSection` would
 * push the whole section, `path` and `python` included).
 */
export function notifyConfigurationChanged(client: LanguageClient): Promise<void> {
  return client.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
}

export function createClient(server: ServerCommand, output: vscode.LogOutputChannel): LanguageClient {
  const serverOptions: ServerOptions = {
    command: server.command,
    args: [...server.args, "--stdio"],
    transport: TransportKind.stdio,
  };

  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    outputChannel: output,
    stdioOptions: { stderr: pipeServerStderr, stdout: pipeServerStdout },
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    // No `workspaceFolder`: one server for every folder of a multi-root workspace; it asks for
    // each folder's settings (workspace/configuration with scopeUri) and checks each project.
    initializationOptions: readServerSettings(vscode.workspace.workspaceFolders?.[0]),
    middleware: {
      workspace: {
        configuration: async (params, token, next) => {
          const answers = await next(params, token);
          if (!Array.isArray(answers)) {
            return answers;
          }
          return answers.map((answer, index) => {
            const section = params.items[index]?.section;
            if (section === SECTION) {
              return withoutClientKeys(answer);
            }
            if (section === undefined && answer && typeof answer === "object" && SECTION in answer) {
              const whole = answer as Record<string, unknown>;
              return { ...whole, [SECTION]: withoutClientKeys(whole[SECTION]) };
            }
            return answer;
          });
        },
      },
    },
  };

  return new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
}
