import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { build } from "esbuild";
import { pruneCodeCache } from "../../src/runtime/code-cache";

/**
 * The code cache execution environments share (src/runtime/code-cache.ts),
 * in worker threads as the runtime uses it: a module from node_modules loads
 * with Node's own CommonJS semantics whether its compiled code comes from the
 * cache or not, and each environment still gets its own module instance.
 */

let root: string;
let script: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "code-cache-"));
  const library = join(root, "node_modules", "library");
  mkdirSync(join(library, "lib"), { recursive: true });
  writeFileSync(join(library, "package.json"), JSON.stringify({ name: "library", main: "index.js" }));
  writeFileSync(
    join(library, "index.js"),
    [
      "const helper = require('./lib/helper');",
      "exports.instances = (globalThis.libraryInstances = (globalThis.libraryInstances ?? 0) + 1);",
      "exports.where = { file: __filename, dir: __dirname, isModule: module.exports === exports };",
      "exports.resolved = require.resolve('./lib/helper');",
      "exports.cached = Object.keys(require.cache).filter((path) => path.includes('library')).length;",
      "exports.answer = helper.twice(21);",
    ].join("\n"),
  );
  writeFileSync(join(library, "lib", "helper.js"), "exports.twice = (n) => n * 2;\n");
  // The environment's side: enable the cache, load the library, save after the first use.
  writeFileSync(
    join(root, "environment.ts"),
    [
      `import { parentPort, workerData } from "node:worker_threads";`,
      `import { enableCodeCache } from ${JSON.stringify(join(__dirname, "..", "..", "src", "runtime", "code-cache"))};`,
      "const save = enableCodeCache(workerData.cacheDir);",
      "const library = require(workerData.library);",
      "save();",
      "parentPort?.postMessage(library);",
    ].join("\n"),
  );
  script = join(root, "environment.js");
  await build({
    entryPoints: [join(root, "environment.ts")],
    outfile: script,
    bundle: true,
    platform: "node",
    format: "cjs",
    logLevel: "silent",
  });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function environment(cacheDir: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(script, {
      workerData: { cacheDir, library: join(root, "node_modules", "library") },
    });
    worker.once("message", (message: Record<string, unknown>) => {
      void worker.terminate();
      resolve(message);
    });
    worker.once("error", reject);
  });
}

test("a module loads the same from a cold and a warm cache, with CommonJS's require, module and paths", async () => {
  const cacheDir = join(root, "cache");
  const cold = await environment(cacheDir);
  // Node 22's own cache keeps its entries one folder down (named by Node's version): every file counts.
  const entries = () =>
    Object.fromEntries(
      readdirSync(cacheDir, { recursive: true, encoding: "utf8" })
        .map((name) => join(cacheDir, name))
        .filter((path) => statSync(path).isFile())
        .map((path) => [path, statSync(path).ino]),
    );
  const written = entries();
  const warm = await environment(cacheDir);
  const library = join(root, "node_modules", "library");
  const expected = {
    instances: 1,
    where: { file: join(library, "index.js"), dir: library, isModule: true },
    resolved: join(library, "lib", "helper.js"),
    cached: 2,
    answer: 42,
  };
  expect(cold).toEqual(expected);
  expect(warm).toEqual(expected);
  // One entry per module compiled (index.js and lib/helper.js); the warm run used them (a rejected
  // entry would have been written anew, as a new file) and added none.
  expect(Object.keys(written)).toHaveLength(2);
  expect(entries()).toEqual(written);
});

test("pruning removes entries older than a day, also in Node 22's versioned folder, and keeps newer ones", () => {
  const cacheDir = join(root, "prune");
  const versioned = join(cacheDir, "v22.0.0-x64-0-0");
  mkdirSync(versioned, { recursive: true });
  const now = Date.now();
  const dayAndMinute = (24 * 60 + 1) * 60;
  const files = {
    flatOld: join(cacheDir, "a"),
    flatNew: join(cacheDir, "b"),
    nestedOld: join(versioned, "c"),
    nestedNew: join(versioned, "d"),
  };
  for (const file of Object.values(files)) writeFileSync(file, "cached");
  for (const file of [files.flatOld, files.nestedOld])
    utimesSync(file, now / 1000 - dayAndMinute, now / 1000 - dayAndMinute);
  pruneCodeCache(cacheDir, now);
  expect(readdirSync(cacheDir, { recursive: true, encoding: "utf8" }).sort()).toEqual([
    "b",
    "v22.0.0-x64-0-0",
    join("v22.0.0-x64-0-0", "d"),
  ]);
});
