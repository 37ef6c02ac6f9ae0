// The `mpgLsp` settings section, split into what the server reads and what only this
// extension uses to start it.

import * as vscode from "vscode";

export const SECTION = "mpgLsp";

/** Keys that only steer the extension; the server never sees them. */
export const CLIENT_ONLY_KEYS = ["path", "python", "trace"] as const;

/** Keys the server understands (its `mpg-lsp settings-schema`); a test keeps package.json in step. */
export const SERVER_KEYS = [
  "enabled",
  "poolMode",
  "select",
  "ignore",
  "severity",
  "directEnvVars",
  "pooledEnvVars",
  "directPoolMax",
  "diagnosticsScope",
  "mpgPlan",
  "machines",
] as const;

export interface LaunchSettings {
  path: string;
  python: string;
  fallbackPython: string;
}

/** What decides how the server process is started; a change here means a restart. */
export function readLaunchSettings(scope?: vscode.ConfigurationScope): LaunchSettings {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  const python = vscode.workspace.getConfiguration("python", scope);
  return {
    path: config.get<string>("path", ""),
    python: config.get<string>("python", ""),
    fallbackPython: python.get<string>("defaultInterpreterPath", ""),
  };
}

/** The server's settings for one scope, as a plain JSON object (only keys that are set or defaulted). */
export function readServerSettings(scope?: vscode.ConfigurationScope): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  const settings: Record<string, unknown> = {};
  for (const key of SERVER_KEYS) {
    const value = config.get(key);
    if (value !== undefined) {
      settings[key] = value;
    }
  }
  return settings;
}

/**
 * Removes the client-only keys from an answer to `workspace/configuration`, so the server
 * is not told about (and does not warn on) settings that are not its own.
 */
export function withoutClientKeys(value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return value;
  }
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const key of CLIENT_ONLY_KEYS) {
    delete copy[key];
  }
  return copy;
}

/** True when a configuration change touches how the server is started. */
export function affectsLaunch(event: vscode.ConfigurationChangeEvent): boolean {
  return (
    event.affectsConfiguration(`${SECTION}.path`) ||
    event.affectsConfiguration(`${SECTION}.python`) ||
    event.affectsConfiguration("python.defaultInterpreterPath")
  );
}
