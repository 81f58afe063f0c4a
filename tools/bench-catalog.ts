import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "./lib/project";
import type { LogEntry } from "./local/logs";
import { startLocalStack } from "./local/stack";

/**
 * `npm run bench:catalog -- [--duration 10] [--connections 16]`
 *
 * On a fresh local stack, once the registrars have registered every service:
 * 1. GET /catalog/location/v1 under autocannon (a separate process, so the
 *    load generator does not share the gateway's event loop): req/s, p50, p99.
 * 2. GET /profiles/{id} under the same load, counting from the gateway's
 *    access log how many catalog lookups profile makes per read once its
 *    client cache is warm. Each execution environment asks again when the
 *    registration's ttl runs out (2 s for location locally), so the figure is
 *    about environments x duration / ttl lookups over all the reads.
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
if (!Number.isInteger(durationSeconds) || durationSeconds < 1)
  throw new Error(`--duration takes whole seconds (1 or more), got '${values.duration}'`);
if (!Number.isInteger(connections) || connections < 1)
  throw new Error(`--connections takes a positive whole number, got '${values.connections}'`);

async function jsonCall(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
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

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Execution environments per function; each has its own catalog client and cache. */
const ENVIRONMENTS_PER_FUNCTION = 4;

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "meridian-bench-"));
  // Only the gateway's access log is kept, as counters: what profile asked the catalog and location.
  const counts = { catalogLookups: 0, locationReads: 0 };
  const count = (entry: LogEntry): void => {
    if (entry.source !== "gateway") return;
    if (entry.message.startsWith("GET /catalog/")) counts.catalogLookups++;
    else if (entry.message.startsWith("GET /location/")) counts.locationReads++;
  };
  const stack = await startLocalStack({
    dataDir,
    gatewayPort: 0,
    dynamodbPort: 0,
    awsPort: 0,
    logs: count,
    maxConcurrency: ENVIRONMENTS_PER_FUNCTION,
  });
  try {
    const lookupUrl = `${stack.endpoints.catalog}/catalog/location/v1`;
    const services = Object.keys(stack.endpoints);
    await waitFor("every service to register", async () => {
      const replies = await Promise.all(
        services.map((service) => fetch(`${stack.endpoints.catalog}/catalog/${service}/v1`)),
      );
      await Promise.all(replies.map((reply) => reply.arrayBuffer()));
      return replies.every((reply) => reply.status === 200);
    });
    const registration = await jsonCall("GET", lookupUrl);

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
    const profileUrl = `${stack.endpoints.profile}/profiles/${userId}`;

    // Every execution environment the load will use cold-starts here, not in the measurement.
    await Promise.all(Array.from({ length: connections }, () => jsonCall("GET", lookupUrl)));
    const check = await Promise.all(Array.from({ length: connections }, () => jsonCall("GET", profileUrl)));
    if (check.some((profile) => profile.location === null))
      throw new Error("profile read no location; the benchmark would not exercise discovery");

    console.log(`${durationSeconds}s per run, ${connections} concurrent callers`);
    const lookups = await autocannon(lookupUrl);

    const before = { ...counts };
    const started = performance.now();
    const reads = await autocannon(profileUrl);
    const elapsedSeconds = (performance.now() - started) / 1000;
    const catalogCalls = counts.catalogLookups - before.catalogLookups;
    const locationCalls = counts.locationReads - before.locationReads;

    const row = (name: string, f: Figures) =>
      `${name.padEnd(30)} ${f.rps.toFixed(0).padStart(8)} ${f.p50.toFixed(1).padStart(9)} ${f.p99.toFixed(1).padStart(9)} ${String(f.requests).padStart(9)} ${String(f.errors).padStart(7)}`;
    console.log(
      `${"".padEnd(30)} ${"req/s".padStart(8)} ${"p50 ms".padStart(9)} ${"p99 ms".padStart(9)} ${"requests".padStart(9)} ${"errors".padStart(7)}`,
    );
    console.log(row("GET /catalog/location/v1", lookups));
    console.log(row("GET /profiles/{id} (warm)", reads));
    const ttl = Number(registration.ttl);
    const environments = Math.min(connections, ENVIRONMENTS_PER_FUNCTION);
    console.log(
      `catalog calls per profile read (warm cache, location ttl ${ttl} s): ` +
        `${catalogCalls} lookups / ${reads.requests} reads = ${(catalogCalls / Math.max(reads.requests, 1)).toFixed(4)}` +
        ` (one per environment per ttl: about ${environments} x ${elapsedSeconds.toFixed(1)} s / ${ttl} s = ` +
        `${Math.round((environments * elapsedSeconds) / ttl)}; ${locationCalls} location calls)`,
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
