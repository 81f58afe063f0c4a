import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { type BuildOptions, build } from "esbuild";
import type { FunctionSpec } from "../project";

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
