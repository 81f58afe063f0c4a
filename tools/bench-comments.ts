import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { runMain } from "./lib/cli";
import {
  autocannon,
  type Figures,
  jsonCall,
  parseLoadOptions,
  seedProfileWithLocation,
  withBenchStack,
} from "./lib/load";

/**
 * `npm run bench:comments -- [--duration 10] [--connections 16]`
 *
 * On a fresh local stack: a profile with a location and 20 comments on it, then under
 * autocannon with 1 connection and with --connections (16)
 * - GET /profiles/{id}/comments: API Gateway -> request template -> DynamoDB Query (signed as
 *   the integration role) -> response template, no Lambda;
 * - GET /profiles/{id}: API Gateway -> Lambda proxy -> DynamoDB and the location service.
 * Then (packages/local-stack/bench/render-template.ts) the cost of rendering one template, and
 * all of it side by side: the Lambda route is the baseline the VTL route is read against.
 */

const USAGE = `usage: npm run bench:comments [-- --duration <seconds>] [--connections <n>]

Comments read through API Gateway's mapping templates next to a Lambda-backed profile read.
  --duration <s>       seconds per measurement (default 10)
  --connections <n>    the concurrent run's callers (default 16); a run with 1 comes first`;

const COMMENTS = 20;

export async function main(): Promise<void> {
  const load = parseLoadOptions(USAGE);
  if (!load) return;
  const duration = load.durationSeconds;
  await withBenchStack({ maxConcurrency: 4, logs: () => undefined }, async (stack) => {
    const userId = await seedProfileWithLocation(stack.endpoints);
    const username = `commenter-${Date.now()}`;
    const password = "benchmark password 123";
    await jsonCall("POST", `${stack.endpoints.auth}/users`, { username, password });
    const { token } = await jsonCall("POST", `${stack.endpoints.auth}/tokens`, { username, password });
    for (let index = 0; index < COMMENTS; index++) {
      await jsonCall(
        "POST",
        `${stack.endpoints.comments}/profiles/${userId}/comments`,
        { message: `comment ${index}: "quotes", 'apostrophes', </script> and 🙂` },
        { Authorization: `Bearer ${String(token)}` },
      );
    }
    const commentsUrl = `${stack.endpoints.comments}/profiles/${userId}/comments?limit=${COMMENTS}`;
    const profileUrl = `${stack.endpoints.profile}/profiles/${userId}`;
    const listed = await jsonCall("GET", commentsUrl);
    if ((listed.comments as unknown[]).length !== COMMENTS) throw new Error("the listing is not 20 comments");
    // Warm every execution environment the load will use.
    await Promise.all(Array.from({ length: 16 }, () => jsonCall("GET", profileUrl)));
    const vtl: Figures[] = [];
    const lambda: Figures[] = [];
    const levels = [...new Set([1, load.connections])];
    for (const connections of levels) {
      const run = { durationSeconds: duration, connections };
      vtl.push(await autocannon(commentsUrl, run));
      lambda.push(await autocannon(profileUrl, run));
    }
    console.log(`${duration} s per run; p50 / p99 latency through the local gateway`);
    printSideBySide(levels, [
      [`GET /profiles/{id}/comments (VTL, ${COMMENTS} comments, no Lambda)`, vtl],
      ["GET /profiles/{id} (Lambda proxy, baseline)", lambda],
    ]);
  });
  console.log(renderFigures());
}

/** p50/p99 of each route at each connection count in one table, rows next to each other. */
function printSideBySide(levels: number[], rows: Array<[string, Figures[]]>): void {
  const width = Math.max(...rows.map(([name]) => name.length));
  const cell = (f: Figures | undefined) =>
    f ? `${f.p50.toFixed(1)} / ${f.p99.toFixed(1)} ms (${f.rps.toFixed(0)}/s, ${f.errors} err)` : "";
  const cells = rows.map(([name, figures]) => [name, ...levels.map((_, index) => cell(figures[index]))]);
  const widths = levels.map((_, index) => Math.max(...cells.map((row) => row[index + 1]?.length ?? 0), 20));
  console.log(
    `${"p50 / p99".padEnd(width)}  ${levels.map((level, index) => `${level} conn`.padEnd(widths[index] ?? 0)).join("  ")}`.trimEnd(),
  );
  for (const row of cells) {
    console.log(
      `${(row[0] ?? "").padEnd(width)}  ${row
        .slice(1)
        .map((text, index) => text.padEnd(widths[index] ?? 0))
        .join("  ")}`.trimEnd(),
    );
  }
}

/** The render bench runs in its own process (the package's VTL layer is internal to it). */
function renderFigures(): string {
  const script = join(__dirname, "..", "packages", "local-stack", "bench", "render-template.ts");
  const child = spawnSync(process.execPath, ["--import", "tsx", script, "--json"], { encoding: "utf8" });
  if (child.status !== 0) throw new Error(`the render bench failed: ${child.stderr}`);
  const figures = JSON.parse(child.stdout) as {
    renders: number;
    responseMicros: number;
    requestMicros: number;
  };
  return `one template render (mean of ${figures.renders}): listing response template, ${COMMENTS} items ${figures.responseMicros.toFixed(0)} µs; listing request template ${figures.requestMicros.toFixed(0)} µs`;
}

if (require.main === module) runMain(main);
