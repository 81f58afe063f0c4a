import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LocalStack, type LocalStackOptions, startLocalStack } from "@meridian/local-stack";
import { parseCli, progress, UsageError } from "./cli";
import { meridianProject } from "./local-project";
import { ROOT } from "./project";

/** Shared by the `npm run bench*` scripts: options, seeding calls, autocannon, the printed table. */

export interface Figures {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

export interface LoadOptions {
  durationSeconds: number;
  connections: number;
}

// The host may run an older Node than Lambda; the SDK's notice about it is noise in figures.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/** `usage` is the script's own (`npm run bench -- ...`), for the pointer to --help. */
export function parseLoadOptions(usage: string): LoadOptions | undefined {
  const { values } = parseCli(
    {
      options: {
        duration: { type: "string", default: "10" },
        connections: { type: "string", default: "16" },
        help: { type: "boolean", short: "h", default: false },
      },
    },
    usage,
  );
  if (values.help) {
    console.log(usage);
    return undefined;
  }
  const durationSeconds = Number(values.duration);
  const connections = Number(values.connections);
  if (!Number.isInteger(durationSeconds) || durationSeconds < 1)
    throw new UsageError(`--duration takes whole seconds (1 or more), got '${values.duration}'`);
  if (!Number.isInteger(connections) || connections < 1)
    throw new UsageError(`--connections takes a positive whole number, got '${values.connections}'`);
  return { durationSeconds, connections };
}

export async function jsonCall(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url} -> ${response.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** A user with a stored location and a profile: what a realistic GET /profiles/{id} reads. */
export async function seedProfileWithLocation(endpoints: Record<string, string>): Promise<string> {
  const username = `bench-${Date.now()}`;
  const password = "benchmark password 123";
  const { userId } = await jsonCall("POST", `${endpoints.auth}/users`, { username, password });
  const { token } = await jsonCall("POST", `${endpoints.auth}/tokens`, { username, password });
  const auth = { Authorization: `Bearer ${String(token)}` };
  await jsonCall(
    "PUT",
    `${endpoints.location}/locations/${userId}`,
    { latitude: 52.52, longitude: 13.405 },
    auth,
  );
  await jsonCall("PUT", `${endpoints.profile}/profiles/${userId}`, { displayName: "Bench" }, auth);
  return String(userId);
}

/**
 * Runs autocannon as a separate process so the load generator does not share
 * the gateway's event loop.
 */
export function autocannon(url: string, { durationSeconds, connections }: LoadOptions): Promise<Figures> {
  progress(
    `load on ${new URL(url).pathname} through the gateway: ${durationSeconds} s, ${connections} callers`,
  );
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      [
        join(ROOT, "node_modules", "autocannon", "autocannon.js"),
        "--json",
        "-c",
        String(connections),
        "-d",
        String(durationSeconds),
        url,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}`));
      const result = JSON.parse(out) as {
        requests: { total: number; average: number };
        latency: { p50: number; p99: number };
        errors: number;
        non2xx: number;
      };
      resolvePromise({
        requests: result.requests.total,
        rps: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        errors: result.errors + result.non2xx,
      });
    });
  });
}

const COLUMNS = ["req/s", "p50 ms", "p99 ms", "requests", "errors"];

export function printFigures(rows: Array<[string, Figures]>): void {
  const width = Math.max(...rows.map(([name]) => name.length));
  console.log(`${"".padEnd(width)} ${COLUMNS.map((c) => c.padStart(9)).join(" ")}`);
  for (const [name, f] of rows) {
    const cells = [
      f.rps.toFixed(0),
      f.p50.toFixed(1),
      f.p99.toFixed(1),
      String(f.requests),
      String(f.errors),
    ];
    console.log(`${name.padEnd(width)} ${cells.map((c) => c.padStart(9)).join(" ")}`);
  }
}

/**
 * Runs `work` against a fresh local stack on ephemeral ports and a temporary
 * data directory, so a benchmark never touches `npm start`'s data; both are
 * gone afterwards.
 */
export async function withBenchStack<T>(
  options: Partial<LocalStackOptions>,
  work: (stack: LocalStack) => Promise<T>,
): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), "meridian-bench-"));
  try {
    progress("starting a fresh local stack (bundles every function)");
    const stack = await startLocalStack({
      project: meridianProject,
      gatewayPort: 0,
      dynamodbPort: 0,
      awsPort: 0,
      ...options,
      dataDir,
    });
    progress(`stack ready in ${(stack.startupMs / 1000).toFixed(1)} s; seeding and warming up`);
    try {
      return await work(stack);
    } finally {
      await stack.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
