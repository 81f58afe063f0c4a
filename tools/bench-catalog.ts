import type { LogEntry } from "@meridian/local-stack";
import { poll, progress, runMain } from "./lib/cli";
import {
  autocannon,
  jsonCall,
  parseLoadOptions,
  printFigures,
  seedProfileWithLocation,
  withBenchStack,
} from "./lib/load";

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

const USAGE = `usage: npm run bench:catalog [-- --duration <seconds>] [--connections <n>]

Catalog lookups under load, and catalog calls per warm profile read, on a fresh local stack.
  --duration <s>       seconds per measurement (default 10)
  --connections <n>    concurrent callers (default 16)`;

/** Execution environments per function; each has its own catalog client and cache. */
const ENVIRONMENTS_PER_FUNCTION = 4;

export async function main(): Promise<void> {
  const load = parseLoadOptions(USAGE);
  if (!load) return;
  const { durationSeconds, connections } = load;
  // Only the gateway's access log is kept, as counters: what profile asked the catalog and location.
  const counts = { catalogLookups: 0, locationReads: 0 };
  const count = (entry: LogEntry): void => {
    if (entry.source !== "gateway") return;
    // On an API's own port the entry names the API; the path starts with the stage.
    if (entry.service === "catalog" && entry.message.includes("/catalog/")) counts.catalogLookups++;
    else if (entry.service === "location") counts.locationReads++;
  };
  await withBenchStack({ logs: count, maxConcurrency: ENVIRONMENTS_PER_FUNCTION }, async (stack) => {
    const lookupUrl = `${stack.endpoints.catalog}/catalog/location/v1`;
    const services = Object.keys(stack.endpoints);
    progress("waiting for every service's registrar to register it");
    await poll(
      "every service to register",
      async () => {
        const replies = await Promise.all(
          services.map((service) => fetch(`${stack.endpoints.catalog}/catalog/${service}/v1`)),
        );
        await Promise.all(replies.map((reply) => reply.arrayBuffer()));
        return replies.every((reply) => reply.status === 200) || undefined;
      },
      60_000,
    );
    const registration = await jsonCall("GET", lookupUrl);

    const userId = await seedProfileWithLocation(stack.endpoints);
    const profileUrl = `${stack.endpoints.profile}/profiles/${userId}`;

    // Every execution environment the load will use cold-starts here, not in the measurement.
    await Promise.all(Array.from({ length: connections }, () => jsonCall("GET", lookupUrl)));
    const check = await Promise.all(Array.from({ length: connections }, () => jsonCall("GET", profileUrl)));
    if (check.some((profile) => profile.location === null))
      throw new Error("profile read no location; the benchmark would not exercise discovery");

    console.log(`${durationSeconds}s per run, ${connections} concurrent callers`);
    const lookups = await autocannon(lookupUrl, load);

    const before = { ...counts };
    const started = performance.now();
    const reads = await autocannon(profileUrl, load);
    const elapsedSeconds = (performance.now() - started) / 1000;
    const catalogCalls = counts.catalogLookups - before.catalogLookups;
    const locationCalls = counts.locationReads - before.locationReads;

    printFigures([
      ["GET /catalog/location/v1", lookups],
      ["GET /profiles/{id} (warm cache)", reads],
    ]);
    const ttl = Number(registration.ttl);
    const environments = Math.min(connections, ENVIRONMENTS_PER_FUNCTION);
    console.log(
      `catalog calls per profile read (warm cache, location ttl ${ttl} s): ` +
        `${catalogCalls} lookups / ${reads.requests} reads = ${(catalogCalls / Math.max(reads.requests, 1)).toFixed(4)}` +
        ` (one per environment per ttl: about ${environments} x ${elapsedSeconds.toFixed(1)} s / ${ttl} s = ` +
        `${Math.round((environments * elapsedSeconds) / ttl)}; ${locationCalls} location calls)`,
    );
  });
}

if (require.main === module) runMain(main);
