import type { LogLevel, LogsOption } from "@meridian/local-stack";
import { UsageError } from "./cli";

/** `--log-format` and `--log-level`, the same for `npm start` and `npm run invoke`. */
export const LOG_OPTIONS = {
  "log-format": { type: "string", default: "text" },
  "log-level": { type: "string", default: "info" },
} as const;

export const LOG_USAGE = `  --log-format <f>        text: one line per entry, the function's short name first
                          (colour on a terminal only); json: each entry as JSON, a
                          handler's line as it wrote it (default text)
  --log-level <l>         debug | info | warn | error | silent (default info)`;

const FORMATS: Record<string, LogsOption> = { text: "pretty", json: "raw" };
const LEVELS = ["debug", "info", "warn", "error", "silent"];

export function logSettings(values: { "log-format": string; "log-level": string }): {
  logs: LogsOption;
  logLevel: LogLevel;
} {
  const format = FORMATS[values["log-format"]];
  if (!format) throw new UsageError(`--log-format takes text or json, got '${values["log-format"]}'`);
  const level = values["log-level"].toLowerCase();
  if (!LEVELS.includes(level))
    throw new UsageError(`--log-level takes ${LEVELS.join(", ")}, got '${values["log-level"]}'`);
  if (level === "silent") return { logs: "silent", logLevel: "ERROR" };
  return { logs: format, logLevel: level.toUpperCase() as LogLevel };
}
