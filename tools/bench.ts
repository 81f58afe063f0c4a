import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "./lib/project";
import { startLocalStack } from "./local/stack";

/**
 * `npm run bench -- [--duration 10] [--connections 16]`
 *
 * Measures GET /profiles/{id} (a profile with a stored location, so each read
 * also makes the signed call to location) two ways on a fresh local stack:
 * through the HTTP gateway under autocannon (a separate process, so the load
 * generator does not share the gateway's event loop), and invoking the same
 * function directly with the same event. The ratio is the gateway's overhead.
 */

interface Figures {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

// The host may run an older Node than Lambda; the SDK's notice about it is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "16" },
  },
});
const durationSeconds = Number(values.duration);
const connections = Number(values.connections);

async function jsonCall(method: string, url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url} -> ${response.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

function autocannon(url: string): Promise<Figures> {
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

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function directLoad(invoke: () => Promise<boolean>): Promise<Figures> {
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + durationSeconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const ok = await invoke();
        latencies.push(performance.now() - t0);
        if (!ok) errors++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
  };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "meridian-bench-"));
  const stack = await startLocalStack({
    dataDir,
    gatewayPort: 0,
    dynamodbPort: 0,
    awsPort: 0,
    logs: "silent",
    schedules: false,
  });
  try {
    const username = `bench-${Date.now()}`;
    const password = "benchmark password 123";
    const { userId } = await jsonCall("POST", `${stack.endpoints.auth}/users`, { username, password });
    const { token } = await jsonCall("POST", `${stack.endpoints.auth}/tokens`, { username, password });
    const auth = { Authorization: `Bearer ${String(token)}` };
    await jsonCall(
      "PUT",
      `${stack.endpoints.location}/locations/${userId}`,
      { latitude: 52.52, longitude: 13.405 },
      auth,
    );
    await jsonCall("PUT", `${stack.endpoints.profile}/profiles/${userId}`, { displayName: "Bench" }, auth);
    const url = `${stack.endpoints.profile}/profiles/${userId}`;
    const check = await jsonCall("GET", url, undefined);
    if (check.location === null)
      throw new Error("the seeded profile has no location; the benchmark would not exercise it");

    const event = {
      resource: "/profiles/{userId}",
      path: `/profiles/${userId}`,
      httpMethod: "GET",
      headers: { Accept: "application/json" },
      multiValueHeaders: { Accept: ["application/json"] },
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: { userId: String(userId) },
      stageVariables: null,
      requestContext: {
        resourcePath: "/profiles/{userId}",
        httpMethod: "GET",
        stage: stack.environment,
        requestId: "bench",
        identity: { sourceIp: "127.0.0.1" },
      },
      body: null,
      isBase64Encoded: false,
    };

    // Every execution environment the load will use cold-starts here, not in the measurement.
    await Promise.all(Array.from({ length: connections }, () => jsonCall("GET", url, undefined)));
    console.log(`GET /profiles/{id} for ${durationSeconds}s with ${connections} concurrent callers`);
    const gateway = await autocannon(url);
    const direct = await directLoad(async () => {
      const outcome = await stack.invoke("profile/GetProfileFunction", event);
      return outcome.ok && (outcome.payload as { statusCode?: number }).statusCode === 200;
    });

    const row = (name: string, f: Figures) =>
      `${name.padEnd(30)} ${f.rps.toFixed(0).padStart(8)} ${f.p50.toFixed(1).padStart(9)} ${f.p99.toFixed(1).padStart(9)} ${String(f.requests).padStart(9)} ${String(f.errors).padStart(7)}`;
    console.log(
      `${"".padEnd(30)} ${"req/s".padStart(8)} ${"p50 ms".padStart(9)} ${"p99 ms".padStart(9)} ${"requests".padStart(9)} ${"errors".padStart(7)}`,
    );
    console.log(row("through the HTTP gateway", gateway));
    console.log(row("function invoked directly", direct));
    console.log(
      `gateway overhead: throughput ratio ${(gateway.rps / direct.rps).toFixed(2)}, p50 +${(gateway.p50 - direct.p50).toFixed(1)} ms`,
    );
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
