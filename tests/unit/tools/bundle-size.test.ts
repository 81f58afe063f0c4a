import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleFunction, listFunctions } from "../../../tools/lib/functions";
import { loadServices } from "../../../tools/lib/project";

// Issue 13's budget: every function's minified bundle (what `npm run bundle` and
// `sam build` produce from the template's BuildProperties) at or under 100 KiB.
const MAX_BUNDLE_BYTES = 100 * 1024;

const functions = loadServices().flatMap((service) =>
  listFunctions(service).map((spec) => [`${service.name}/${spec.logicalId}`, spec] as const),
);
let outRoot: string;

// The web deployer embeds dist/web/site-assets.json, which jest's global setup builds.
beforeAll(() => {
  outRoot = mkdtempSync(join(tmpdir(), "meridian-bundles-"));
});
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

test("every service has functions to measure", () => {
  expect(functions.length).toBeGreaterThan(15);
});

test.each(functions)("%s bundles into at most 100 KiB", async (name, spec) => {
  const { bytes } = await bundleFunction(spec, join(outRoot, name));
  expect(bytes).toBeGreaterThan(1024);
  expect(bytes).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
});
