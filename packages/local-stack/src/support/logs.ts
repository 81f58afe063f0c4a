/**
 * One stream of log entries for the whole stack: handler output (Powertools
 * JSON lines), Lambda platform events (cold starts, timeouts, crashes), the
 * gateway's access log and the stack's own messages.
 */

export type LogLevel = "DEBUG" | "INFO" | "WARN" | "ERROR";

export interface LogEntry {
  time: Date;
  source: "function" | "platform" | "gateway" | "stack";
  /** The function's service; on a gateway entry, the API whose own port the request came in on. */
  service?: string;
  /** Function logical id for function and platform entries. */
  function?: string;
  level: LogLevel;
  message: string;
  fields: Record<string, unknown>;
  /** The line exactly as the handler wrote it. */
  raw?: string;
}

/**
 * pretty: one line per entry (origin, level, message, the fields that are
 * not the Powertools context), coloured on a terminal only; raw: each entry
 * as JSON, a handler's line exactly as it wrote it.
 */
export type LogsOption = "pretty" | "raw" | "silent" | ((entry: LogEntry) => void);
export type LogSink = (entry: LogEntry) => void;

const SEVERITY: Record<LogLevel, number> = { DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3 };

/** `sink` for entries at `level` or above. */
export function atLevel(sink: LogSink, level: LogLevel): LogSink {
  if (level === "DEBUG") return sink;
  return (entry) => {
    if (SEVERITY[entry.level] >= SEVERITY[level]) sink(entry);
  };
}

export function createLogSink(
  option: LogsOption,
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  color = process.stdout.isTTY === true,
): LogSink {
  if (typeof option === "function") return option;
  if (option === "silent") return () => {};
  if (option === "raw") return (entry) => write(entry.raw ?? JSON.stringify(rawShape(entry)));
  return (entry) => write(formatPretty(entry, color));
}

function rawShape(entry: LogEntry): Record<string, unknown> {
  return {
    timestamp: entry.time.toISOString(),
    level: entry.level,
    source: entry.source,
    ...(entry.service ? { service: entry.service } : {}),
    ...(entry.function ? { function: entry.function } : {}),
    message: entry.message,
    ...entry.fields,
  };
}

const LEVELS: Record<string, LogLevel> = {
  TRACE: "DEBUG",
  DEBUG: "DEBUG",
  INFO: "INFO",
  WARN: "WARN",
  WARNING: "WARN",
  ERROR: "ERROR",
  CRITICAL: "ERROR",
  FATAL: "ERROR",
};

/** Powertools context keys that repeat on every line; shown in raw mode only. */
const QUIET_KEYS = new Set([
  "level",
  "message",
  "msg",
  "timestamp",
  "time",
  "service",
  "sampling_rate",
  "xray_trace_id",
  "cold_start",
  "function_arn",
  "function_memory_size",
  "function_name",
  "function_request_id",
  "requestId",
]);

/** Parses one line a handler wrote: Powertools JSON, an EMF metrics blob, or plain text. */
export function parseFunctionLine(
  line: string,
  origin: { service: string; function: string },
  stream: "stdout" | "stderr",
): LogEntry {
  const base = { time: new Date(), source: "function" as const, ...origin, raw: line };
  if (line.startsWith("{")) {
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (parsed._aws && typeof parsed._aws === "object") return metricsEntry(parsed, base);
      const level = LEVELS[String(parsed.level ?? "INFO").toUpperCase()] ?? "INFO";
      const message =
        typeof parsed.message === "string"
          ? parsed.message
          : typeof parsed.msg === "string"
            ? parsed.msg
            : "";
      const fields: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(parsed)) if (!QUIET_KEYS.has(key)) fields[key] = value;
      const time = typeof parsed.timestamp === "string" ? new Date(parsed.timestamp) : base.time;
      return { ...base, time: Number.isNaN(time.getTime()) ? base.time : time, level, message, fields };
    } catch {
      // Not JSON after all: shown as text.
    }
  }
  return { ...base, level: stream === "stderr" ? "WARN" : "INFO", message: line, fields: {} };
}

function metricsEntry(
  parsed: Record<string, unknown>,
  base: Omit<LogEntry, "level" | "message" | "fields">,
): LogEntry {
  const aws = parsed._aws as { CloudWatchMetrics?: Array<{ Metrics?: Array<{ Name?: string }> }> };
  const fields: Record<string, unknown> = {};
  for (const group of aws.CloudWatchMetrics ?? []) {
    for (const metric of group.Metrics ?? []) if (metric.Name) fields[metric.Name] = parsed[metric.Name];
  }
  return { ...base, level: "DEBUG", message: "metrics", fields };
}

const COLORS = { dim: 2, red: 31, yellow: 33, cyan: 36, magenta: 35, green: 32, blue: 34 } as const;

function paint(text: string, color: keyof typeof COLORS, enabled: boolean): string {
  return enabled ? `\u001b[${COLORS[color]}m${text}\u001b[0m` : text;
}

const LEVEL_COLOR: Record<LogLevel, keyof typeof COLORS> = {
  DEBUG: "dim",
  INFO: "green",
  WARN: "yellow",
  ERROR: "red",
};

/** Keys worth reading first on a request's lines. */
const KEY_FIELDS = ["correlationId", "status", "code", "method", "resource"];

function formatValue(value: unknown): string {
  if (typeof value === "string") return /\s/.test(value) || value === "" ? JSON.stringify(value) : value;
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 200 ? `${json.slice(0, 197)}...` : json;
}

function formatPretty(entry: LogEntry, color: boolean): string {
  const time = entry.time.toISOString().slice(11, 23);
  const origin =
    entry.source === "gateway"
      ? entry.service === undefined
        ? "gateway"
        : `${entry.service} API`
      : entry.source === "stack"
        ? "stack"
        : `${entry.service ?? "?"}/${(entry.function ?? "?").replace(/Function$/, "")}`;
  const errorField = entry.fields.error;
  const rest = Object.entries(entry.fields).filter(([key]) => key !== "error" && key !== "stack");
  rest.sort(([a], [b]) => rank(a) - rank(b));
  const pairs = rest.map(([key, value]) => `${paint(key, "dim", color)}=${formatValue(value)}`).join(" ");
  const message = entry.source === "platform" ? paint(entry.message, "magenta", color) : entry.message;
  let line = `${paint(time, "dim", color)} ${paint(origin.padEnd(18), "cyan", color)} ${paint(entry.level.padEnd(5), LEVEL_COLOR[entry.level], color)} ${message}${pairs ? `  ${pairs}` : ""}`;
  const stack =
    stackOf(errorField) ?? (typeof entry.fields.stack === "string" ? entry.fields.stack : undefined);
  if (errorField !== undefined && stack === undefined)
    line += `  ${paint("error", "dim", color)}=${formatValue(errorField)}`;
  if (stack)
    line += `\n${stack
      .split("\n")
      .map((frame) => `    ${paint(frame.trim(), "dim", color)}`)
      .join("\n")}`;
  return line;
}

function rank(key: string): number {
  const index = KEY_FIELDS.indexOf(key);
  return index < 0 ? KEY_FIELDS.length : index;
}

function stackOf(error: unknown): string | undefined {
  if (error && typeof error === "object" && "stack" in error && typeof error.stack === "string")
    return error.stack;
  return undefined;
}

export function stackLog(
  sink: LogSink,
  level: LogLevel,
  message: string,
  fields: Record<string, unknown> = {},
): void {
  sink({ time: new Date(), source: "stack", level, message, fields });
}
