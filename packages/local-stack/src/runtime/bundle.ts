import { mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { type BuildOptions, build } from "esbuild";
import type { FunctionSpec } from "../project";
import { BundleCache, type CacheableEntry } from "./bundle-cache";

export interface BundleResult {
  spec: FunctionSpec;
  outFile: string;
  bytes: number;
}

/** Bundles one function into `outDir/<moduleName>.js`, as SAM lays it out. */
export async function bundleFunction(
  spec: FunctionSpec,
  outDir: string,
  overrides: BuildOptions = {},
): Promise<BundleResult> {
  mkdirSync(outDir, { recursive: true });
  const outFile = join(outDir, `${spec.moduleName}.js`);
  await build({
    ...spec.buildOptions,
    ...overrides,
    entryPoints: [spec.entryPoint],
    outfile: outFile,
    logLevel: "silent",
  });
  return { spec, outFile, bytes: statSync(outFile).size };
}

/**
 * The caches every build directory of one build root (`<build root>/<id>`)
 * shares, stacks' and `npm run invoke`'s alike, by folder under the root.
 */
export const BUILD_ROOT_CACHES = { bundles: "cache", compiledCode: "code-cache" } as const;

export function buildRootCache(buildDir: string): BundleCache {
  return new BundleCache(join(dirname(buildDir), BUILD_ROOT_CACHES.bundles));
}

/** Where the environments of a build root's stacks share V8's compiled code (see code-cache.ts). */
export function buildRootCodeCacheDir(buildDir: string): string {
  return join(dirname(buildDir), BUILD_ROOT_CACHES.compiledCode);
}

/** Bundles runtime/worker.ts so environments run plain JavaScript, whatever loader started the stack. */
export async function buildWorkerScript(buildDir: string, cache?: BundleCache): Promise<string> {
  const options: BuildOptions = { bundle: true, platform: "node", format: "cjs", target: "node20" };
  const entry = { in: join(__dirname, "worker.ts"), out: join("_runtime", "worker") };
  await cachedBuild(options, [entry], buildDir, cache);
  return join(buildDir, `${entry.out}.js`);
}

/**
 * One esbuild run for the entries `cache` does not already hold (all of them
 * without one), laid out under buildDir as `<out>.js`; what it built is stored.
 */
async function cachedBuild(
  options: BuildOptions,
  entries: CacheableEntry[],
  buildDir: string,
  cache: BundleCache | undefined,
): Promise<void> {
  const missing = cache ? entries.filter((entry) => !cache.restore(options, entry, buildDir)) : entries;
  if (missing.length === 0) return;
  const startedAt = Date.now();
  const result = await build({
    ...options,
    entryPoints: missing,
    outdir: buildDir,
    logLevel: "silent",
    ...(cache ? { metafile: true } : {}),
  });
  if (cache && result.metafile) cache.store(options, missing, buildDir, result.metafile, startedAt);
}

export type BuildResult = { ok: true; modulePath: string } | { ok: false; error: string };

function describeBuildError(error: unknown): string {
  const messages = (
    error as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> }
  ).errors;
  return messages?.length
    ? messages
        .map((m) => (m.location ? `${m.location.file}:${m.location.line}: ${m.text}` : m.text))
        .join("; ")
    : (error as Error).message;
}

/** A function's entry as a stack lays it out: `<service>/<LogicalId>/<module>.js` under the build directory. */
function stackEntry(spec: FunctionSpec): CacheableEntry {
  return { in: spec.entryPoint, out: join(spec.service, spec.logicalId, spec.moduleName) };
}

/**
 * The same esbuild options SAM uses; @aws-sdk stays external and resolves
 * from the repository's node_modules. A failed build is returned, not thrown:
 * that one function then fails its invocations while the rest of the stack
 * runs. Laid out in buildDir as a stack lays it out; with a cache (a build
 * root's, buildRootCache) an unchanged function is linked from it instead.
 */
export async function buildFunction(
  spec: FunctionSpec,
  buildDir: string,
  cache?: BundleCache,
): Promise<BuildResult> {
  try {
    const entry = stackEntry(spec);
    await cachedBuild(spec.buildOptions, [entry], buildDir, cache);
    return { ok: true, modulePath: join(buildDir, `${entry.out}.js`) };
  } catch (error) {
    return { ok: false, error: describeBuildError(error) };
  }
}

/**
 * Bundles many functions: those with identical esbuild options in one esbuild
 * run (shared parsing makes it about three times faster than one run each),
 * each entry still its own standalone bundle laid out as bundleFunction does.
 * If a group fails, its functions are rebuilt one by one so only the broken
 * ones fail. With a cache, functions whose sources did not change since it
 * stored them are linked from it instead.
 */
export function buildFunctions(
  specs: FunctionSpec[],
  buildDir: string,
  cache?: BundleCache,
): Map<string, Promise<BuildResult>> {
  const results = new Map<string, Promise<BuildResult>>();
  const groups = new Map<string, FunctionSpec[]>();
  for (const spec of specs) {
    const key = JSON.stringify(spec.buildOptions);
    groups.set(key, [...(groups.get(key) ?? []), spec]);
  }
  for (const group of groups.values()) {
    const first = group[0];
    if (!first) continue;
    const together = cachedBuild(first.buildOptions, group.map(stackEntry), buildDir, cache).then(
      () => true,
      () => false,
    );
    for (const spec of group) {
      results.set(
        `${spec.service}/${spec.logicalId}`,
        together.then((ok) =>
          ok
            ? { ok: true, modulePath: join(buildDir, `${stackEntry(spec).out}.js`) }
            : buildFunction(spec, buildDir, cache),
        ),
      );
    }
  }
  return results;
}
