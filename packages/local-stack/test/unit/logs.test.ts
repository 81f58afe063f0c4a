import { atLevel, createLogSink, type LogEntry, parseFunctionLine } from "../../src/support/logs";

/** A Powertools line as a handler writes it: the whole function context on every line. */
const POWERTOOLS_LINE = JSON.stringify({
  level: "INFO",
  message: "Location read",
  timestamp: "2026-01-01T10:00:00.123Z",
  service: "location",
  cold_start: true,
  function_arn: "arn:aws:lambda:us-east-1:000000000000:function:meridian-local-location-GetLocationFunction",
  function_memory_size: "256",
  function_name: "meridian-local-location-GetLocationFunction",
  function_request_id: "c6af9ac6-7b61-11e6-9a41-93e812345678",
  sampling_rate: 0,
  xray_trace_id: "1-5759e988-bd862e3fe1be46a994272793",
  correlationId: "req-1",
  userId: "u1",
});

const origin = { service: "location", function: "GetLocationFunction" };

function written(option: "pretty" | "raw", entries: LogEntry[]): string[] {
  const lines: string[] = [];
  const sink = createLogSink(option, (line) => lines.push(line), false);
  for (const entry of entries) sink(entry);
  return lines;
}

describe("local log output", () => {
  test("pretty: one line per entry, the function's short name, no repeated context", () => {
    const [line, ...more] = written("pretty", [parseFunctionLine(POWERTOOLS_LINE, origin, "stdout")]);
    expect(more).toEqual([]);
    expect(line).toBe("10:00:00.123 location/GetLocation INFO  Location read  correlationId=req-1 userId=u1");
  });

  test("raw: the handler's line as it wrote it (JSON)", () => {
    expect(written("raw", [parseFunctionLine(POWERTOOLS_LINE, origin, "stdout")])).toEqual([POWERTOOLS_LINE]);
  });

  test("atLevel drops entries below the level: INFO keeps INFO and up, not DEBUG or metrics", () => {
    const entries = [
      parseFunctionLine(JSON.stringify({ level: "DEBUG", message: "detail" }), origin, "stdout"),
      parseFunctionLine(JSON.stringify({ _aws: { CloudWatchMetrics: [] } }), origin, "stdout"),
      parseFunctionLine(JSON.stringify({ level: "INFO", message: "kept" }), origin, "stdout"),
      parseFunctionLine(JSON.stringify({ level: "WARN", message: "warned" }), origin, "stdout"),
    ];
    const seen: string[] = [];
    const sink = atLevel((entry) => seen.push(entry.message), "INFO");
    for (const entry of entries) sink(entry);
    expect(seen).toEqual(["kept", "warned"]);
  });
});
