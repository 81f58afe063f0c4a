import { progress, runMain } from "./lib/cli";
import {
  autocannon,
  type Figures,
  jsonCall,
  type LoadOptions,
  parseLoadOptions,
  printFigures,
  seedProfileWithLocation,
  withBenchStack,
} from "./lib/load";

/**
 * `npm run bench -- [--duration 10] [--connections 16]`
 *
 * Measures GET /profiles/{id} (a profile with a stored location, so each read
 * also makes the signed call to location) two ways on a fresh local stack:
 * through the HTTP gateway under autocannon (a separate process, so the load
 * generator does not share the gateway's event loop), and invoking the same
 * function directly with the same event. The ratio is the gateway's overhead.
 */

const USAGE = `usage: npm run bench [-- --duration <seconds>] [--connections <n>]

GET /profiles/{id} under load on a fresh local stack, through the gateway and invoked directly.
  --duration <s>       seconds per measurement (default 10)
  --connections <n>    concurrent callers (default 16)`;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function directLoad(
  invoke: () => Promise<boolean>,
  { durationSeconds, connections }: LoadOptions,
): Promise<Figures> {
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

export async function main(): Promise<void> {
  const load = parseLoadOptions(USAGE);
  if (!load) return;
  const { durationSeconds, connections } = load;
  await withBenchStack({ logs: "silent", schedules: false }, async (stack) => {
    const userId = await seedProfileWithLocation(stack.endpoints);
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
    const gateway = await autocannon(url, load);
    progress(`the same GET invoking the function directly: ${durationSeconds} s, ${connections} callers`);
    const direct = await directLoad(async () => {
      const outcome = await stack.invoke("profile/GetProfileFunction", event);
      return outcome.ok && (outcome.payload as { statusCode?: number }).statusCode === 200;
    }, load);

    printFigures([
      ["through the HTTP gateway", gateway],
      ["function invoked directly", direct],
    ]);
    console.log(
      `gateway overhead: throughput ratio ${(gateway.rps / direct.rps).toFixed(2)}, p50 +${(gateway.p50 - direct.p50).toFixed(1)} ms`,
    );
  });
}

if (require.main === module) runMain(main);
