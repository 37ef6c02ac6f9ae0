// The server's stderr, shown in the output channel at the level each line was logged at.
// vscode-languageclient would mark every stderr line as an error, which reads as if the
// server were failing when it only says what it is doing.

import * as readline from "node:readline";
import type { Readable } from "node:stream";
import type * as vscode from "vscode";

type Level = "trace" | "debug" | "info" | "warn" | "error";

// Python logging level names (and a few common spellings) to output channel levels.
const LEVELS: Record<string, Level> = {
  TRACE: "trace",
  DEBUG: "debug",
  INFO: "info",
  WARN: "warn",
  WARNING: "warn",
  ERROR: "error",
  CRITICAL: "error",
  FATAL: "error",
};

// "2025-01-01 12:00:00,123 WARNING mpg_lsp.engine: text": the server's own timestamp is dropped,
// since the channel adds one.
const STAMPED = /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?\s+([A-Z]+)\s+(.*)$/;
const BARE = /^([A-Z]+)[: ]\s*(.*)$/;

/** Level and text of one stderr line; lines without a level (a traceback's body) keep the last one. */
export function classify(line: string, previous: Level): [Level, string] {
  const stamped = STAMPED.exec(line);
  if (stamped && LEVELS[stamped[1]]) {
    return [LEVELS[stamped[1]], stamped[2]];
  }
  const bare = BARE.exec(line);
  if (bare && LEVELS[bare[1]]) {
    return [LEVELS[bare[1]], bare[2]];
  }
  if (line.startsWith("Traceback (most recent call last)")) {
    return ["error", line];
  }
  return [previous, line];
}

export function pipeServerStderr(input: Readable, output: vscode.LogOutputChannel): void {
  let level: Level = "info";
  readline
    .createInterface({ input, crlfDelay: Infinity, terminal: false, historySize: 0 })
    .on("line", (line: string) => {
      const [lineLevel, text] = classify(line, level);
      level = lineLevel;
      output[lineLevel](text);
    });
}

/** Anything the server prints on stdout outside the protocol is unexpected; keep it visible. */
export function pipeServerStdout(input: Readable, output: vscode.LogOutputChannel): void {
  readline
    .createInterface({ input, crlfDelay: Infinity, terminal: false, historySize: 0 })
    .on("line", (line: string) => output.warn(`(stdout) ${line}`));
}
