// The language client: which files it attaches to, and what it hands the server.

import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";
import type { ServerCommand } from "./locate";
import { readServerSettings, SECTION, withoutClientKeys } from "./settings";

export const CLIENT_ID = "mpgLsp";
export const CLIENT_NAME = "mpg-lsp";

/**
 * Only the files mpg-lsp has something to say about. Selecting by pattern rather than by
 * language id keeps this working with or without an Elixir or TOML extension installed.
 */
export const WATCHED_PATTERNS = [
  "**/config/**/*.exs",
  "**/mix.exs",
  "**/mix.lock",
  "**/fly.toml",
  "**/fly.*.toml",
];

export const DOCUMENT_SELECTOR = WATCHED_PATTERNS.map((pattern) => ({ scheme: "file", pattern }));

export function createClient(server: ServerCommand, output: vscode.LogOutputChannel): LanguageClient {
  const serverOptions: ServerOptions = {
    command: server.command,
    args: [...server.args, "--stdio"],
    transport: TransportKind.stdio,
  };

  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    outputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    initializationOptions: readServerSettings(vscode.workspace.workspaceFolders?.[0]),
    // Tell the server when `mpgLsp.*` changes; it then pulls the values it needs.
    synchronize: { configurationSection: SECTION },
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
