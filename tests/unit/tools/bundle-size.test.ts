import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BuildResult, buildFunctions, listFunctions } from "../../../tools/lib/functions";
import { loadServices } from "../../../tools/lib/project";

// Issue 13's budget: every function's minified bundle (what `npm run bundle` and
// `sam build` produce from the template's BuildProperties) at or under 100 KiB.
const MAX_BUNDLE_BYTES = 100 * 1024;

const specs = loadServices().flatMap((service) => listFunctions(service));
const functions = specs.map((spec) => [`${spec.service}/${spec.logicalId}`] as const);
let outRoot: string;
let built: Map<string, Promise<BuildResult>>;

// The web deployer embeds dist/web/site-assets.json, which jest's global setup builds.
// Functions with the same esbuild options build in one run (the same bytes as one run each).
beforeAll(() => {
  outRoot = mkdtempSync(join(tmpdir(), "meridian-bundles-"));
  built = buildFunctions(specs, outRoot);
});
afterAll(async () => {
  await Promise.allSettled(built.values());
  rmSync(outRoot, { recursive: true, force: true });
});

test("every service has functions to measure", () => {
  expect(functions.length).toBeGreaterThan(15);
});

test.each(functions)("%s bundles into at most 100 KiB", async (name) => {
  const result = await built.get(name);
  if (!result?.ok) throw new Error(`${name}: ${result ? result.error : "not built"}`);
  const { size } = statSync(result.modulePath);
  expect(size).toBeGreaterThan(1024);
  expect(size).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
});
