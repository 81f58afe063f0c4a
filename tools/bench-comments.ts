import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { runMain } from "./lib/cli";
import {
  autocannon,
  jsonCall,
  parseLoadOptions,
  printFigures,
  seedProfileWithLocation,
  withBenchStack,
} from "./lib/load";

/**
 * `npm run bench:comments -- [--duration 10]`
 *
 * On a fresh local stack: a profile with a location and 20 comments on it, then under
 * autocannon with 1 and with 16 connections
 * - GET /profiles/{id}/comments: API Gateway -> request template -> DynamoDB Query (signed as
 *   the integration role) -> response template, no Lambda;
 * - GET /profiles/{id}: API Gateway -> Lambda proxy -> DynamoDB and the location service.
 * Then (packages/local-stack/bench/render-template.ts) the cost of rendering one template.
 */

const USAGE = `usage: npm run bench:comments [-- --duration <seconds>]

Comments read through API Gateway's mapping templates next to a Lambda-backed profile read.
  --duration <s>       seconds per measurement (default 10); it runs 1 and 16 callers`;

const COMMENTS = 20;

async function main(): Promise<void> {
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
    const rows: Parameters<typeof printFigures>[0] = [];
    for (const connections of [1, 16]) {
      const load = { durationSeconds: duration, connections };
      rows.push([
        `GET /profiles/{id}/comments (VTL, ${COMMENTS}), ${connections} conn`,
        await autocannon(commentsUrl, load),
      ]);
      rows.push([`GET /profiles/{id} (Lambda), ${connections} conn`, await autocannon(profileUrl, load)]);
    }
    console.log(`${duration}s per run`);
    printFigures(rows);
  });
  // In its own process: the package's VTL layer is internal to it.
  const render = join(__dirname, "..", "packages", "local-stack", "bench", "render-template.ts");
  spawnSync(process.execPath, ["--import", "tsx", render], { stdio: "inherit" });
}

runMain(main);
