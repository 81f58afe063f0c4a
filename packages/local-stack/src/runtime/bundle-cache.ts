import { createHash, randomBytes } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { type BuildOptions, version as esbuildVersion, type Metafile } from "esbuild";

/**
 * Bundles shared by every stack started on one build root (`.local/build`):
 * a function whose sources are unchanged since the last start is linked from
 * here instead of being bundled again. Each stack still gets its own copy of
 * every file in its own build directory (hard links), so pruning here never
 * takes a bundle from a running stack.
 *
 * An entry is keyed by what esbuild was asked (its version, options, entry
 * point and output path) and by what it read: the content of every file the
 * entry reaches, the names in every directory from those files up to the one
 * they share (a file added next to an import can change what it resolves to)
 * and every package.json and tsconfig.json above them. Names above the shared
 * directory are left out: they cannot change what a found import resolves to,
 * and /tmp's change all the time. A file modified while esbuild ran is not stored.
 * Anything unusual (a plugin, a virtual module, a failed write) bypasses the
 * cache; it never fails a build. An instance reads each file once: make one
 * per build (a stack makes one for its start).
 */

/** One output of a build, `out` relative to the build directory without extension (`service/LogicalId/module`). */
export interface CacheableEntry {
  in: string;
  out: string;
}

/** Unused entries live a day; at most this many are kept, the most recently used first. */
const MAX_AGE_MS = 24 * 60 * 60_000;
const MAX_ENTRIES = 400;

export class BundleCache {
  private readonly hashes = new Map<string, string>();
  private readonly resolution = new Map<string, string>();

  constructor(readonly dir: string) {
    try {
      mkdirSync(dir, { recursive: true });
      prune(dir);
    } catch {
      // A cache that cannot be prepared is bypassed (restore and store fail softly).
    }
  }

  /** Links the cached outputs of `entry` into buildDir when its inputs are unchanged; false otherwise. */
  restore(options: BuildOptions, entry: CacheableEntry, buildDir: string): boolean {
    const key = specKey(options, entry);
    if (key === undefined) return false;
    try {
      const pointer = join(this.dir, `${key}.json`);
      if (!existsSync(pointer)) return false;
      const { inputs } = JSON.parse(readFileSync(pointer, "utf8")) as { inputs: string[] };
      const stored = join(this.dir, `${key}-${this.inputsHash(inputs)}`);
      if (!existsSync(stored)) return false;
      const target = join(buildDir, dirname(entry.out));
      const files = listFiles(stored);
      try {
        for (const file of files) {
          mkdirSync(dirname(join(target, file)), { recursive: true });
          linkOrCopy(join(stored, file), join(target, file));
        }
      } catch (error) {
        // esbuild would write the bundle over these links, into the cache's own files.
        for (const file of files) rmSync(join(target, file), { force: true });
        throw error;
      }
      const now = new Date();
      utimesSync(stored, now, now);
      utimesSync(pointer, now, now);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Stores each entry's outputs of a build into buildDir that ran with `metafile: true`
   * and began at `startedAt` (Date.now()).
   */
  store(
    options: BuildOptions,
    entries: CacheableEntry[],
    buildDir: string,
    metafile: Metafile,
    startedAt: number,
  ) {
    const workingDir = options.absWorkingDir ?? process.cwd();
    const outputs = Object.keys(metafile.outputs).map((path) => resolve(workingDir, path));
    const dirs = entries.map((entry) => join(buildDir, dirname(entry.out)) + sep);
    // An output outside every entry's own directory (a shared chunk) would be missing from a restore.
    if (!outputs.every((output) => dirs.some((dir) => output.startsWith(dir)))) return;
    for (const [index, entry] of entries.entries()) {
      try {
        const key = specKey(options, entry);
        const inputs = reachableInputs(metafile, workingDir, entry.in);
        if (key === undefined || inputs === undefined) continue;
        if (inputs.some((input) => statSync(input).mtimeMs >= startedAt - 1000)) continue;
        this.publish(key, inputs, dirs[index] ?? "", outputs);
      } catch {
        // Not cached: the next start bundles it again.
      }
    }
  }

  private publish(key: string, inputs: string[], outDir: string, outputs: string[]): void {
    const stored = join(this.dir, `${key}-${this.inputsHash(inputs)}`);
    if (!existsSync(stored)) {
      const staging = join(this.dir, `tmp-${randomBytes(6).toString("hex")}`);
      for (const output of outputs.filter((path) => path.startsWith(outDir))) {
        const file = join(staging, relative(outDir, output));
        mkdirSync(dirname(file), { recursive: true });
        linkOrCopy(output, file);
      }
      try {
        // Atomic: a concurrent stack that stored the same entry first wins, and this copy goes.
        renameSync(staging, stored);
      } catch {
        rmSync(staging, { recursive: true, force: true });
      }
    }
    const pointer = join(this.dir, `${key}.json`);
    const staged = join(this.dir, `tmp-${randomBytes(6).toString("hex")}`);
    writeFileSync(staged, JSON.stringify({ inputs }));
    renameSync(staged, pointer);
  }

  private inputsHash(inputs: string[]): string {
    const hash = createHash("sha256");
    const dirs = [...new Set(inputs.map((input) => dirname(input)))].sort();
    const shared = sharedDirectory(dirs);
    for (const input of [...inputs].sort()) hash.update(`${input}\0${this.fileHash(input)}\0`);
    for (const dir of dirs) hash.update(`${dir}\0${this.resolutionContext(dir, shared)}\0`);
    return hash.digest("hex").slice(0, 24);
  }

  private fileHash(path: string): string {
    let hash = this.hashes.get(path);
    if (hash === undefined) {
      hash = createHash("sha256").update(readFileSync(path)).digest("hex");
      this.hashes.set(path, hash);
    }
    return hash;
  }

  /**
   * What else decides how imports from `dir` resolve: the entries of `dir` and of the
   * directories above it up to `shared`, and the package.json and tsconfig.json files above it.
   */
  private resolutionContext(dir: string, shared: string): string {
    const cacheKey = `${dir}\0${shared}`;
    let context = this.resolution.get(cacheKey);
    if (context !== undefined) return context;
    const inside = isWithin(dir, shared);
    const names = inside ? readdirSync(dir).sort() : [];
    const configs = ["package.json", "tsconfig.json"]
      .filter((name) => (inside ? names.includes(name) : existsSync(join(dir, name))))
      .map((name) => `${name}:${this.fileHash(join(dir, name))}`);
    const parent = dirname(dir);
    context = createHash("sha256")
      .update(
        `${names.join("/")}\0${configs.join("\0")}\0${parent === dir ? "" : this.resolutionContext(parent, shared)}`,
      )
      .digest("hex");
    this.resolution.set(cacheKey, context);
    return context;
  }
}

/** What esbuild is asked to build, or undefined when that cannot be told from plain options (plugins). */
function specKey(options: BuildOptions, entry: CacheableEntry): string | undefined {
  if (options.plugins !== undefined && options.plugins.length > 0) return undefined;
  const { metafile: _metafile, logLevel: _logLevel, ...asked } = options;
  return createHash("sha256")
    .update(
      JSON.stringify({
        esbuildVersion,
        workingDir: options.absWorkingDir ?? process.cwd(),
        asked,
        in: resolve(entry.in),
        out: entry.out,
      }),
    )
    .digest("hex")
    .slice(0, 24);
}

/** Every file the entry point reaches in the build's input graph; undefined if one is not a plain file. */
function reachableInputs(metafile: Metafile, workingDir: string, entryPoint: string): string[] | undefined {
  const byPath = new Map(Object.keys(metafile.inputs).map((path) => [resolve(workingDir, path), path]));
  const root = byPath.get(resolve(entryPoint));
  if (root === undefined) return undefined;
  const seen = new Set<string>([root]);
  const queue = [root];
  for (let path = queue.pop(); path !== undefined; path = queue.pop()) {
    for (const imported of metafile.inputs[path]?.imports ?? []) {
      if (imported.external || seen.has(imported.path)) continue;
      seen.add(imported.path);
      queue.push(imported.path);
    }
  }
  const files = [...seen].map((path) => resolve(workingDir, path));
  return files.every((file) => existsSync(file) && statSync(file).isFile()) ? files : undefined;
}

/** `dir` is `ancestor` or below it (both absolute). */
function isWithin(dir: string, ancestor: string): boolean {
  return dir === ancestor || dir.startsWith(ancestor === sep ? sep : ancestor + sep);
}

/** The deepest directory every one of `dirs` (absolute, sorted) is in. */
function sharedDirectory(dirs: string[]): string {
  const [first = sep, ...rest] = dirs;
  let shared = first;
  for (const dir of rest) {
    while (!isWithin(dir, shared)) shared = dirname(shared);
  }
  return shared;
}

function listFiles(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(dir, join(prefix, entry.name)) : [join(prefix, entry.name)],
  );
}

function linkOrCopy(from: string, to: string): void {
  rmSync(to, { force: true });
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

/** Drops entries unused for a day, and the least recently used beyond MAX_ENTRIES. */
function prune(dir: string): void {
  const now = Date.now();
  const entries = readdirSync(dir).map((name) => {
    const path = join(dir, name);
    return { name, path, mtimeMs: statSync(path).mtimeMs };
  });
  const stored = entries
    .filter((entry) => !entry.name.endsWith(".json") && !entry.name.startsWith("tmp-"))
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
  const expired = [
    ...stored.slice(MAX_ENTRIES),
    ...entries.filter((entry) => now - entry.mtimeMs > MAX_AGE_MS),
    // A staging directory older than an hour belongs to a start that died while storing.
    ...entries.filter((entry) => entry.name.startsWith("tmp-") && now - entry.mtimeMs > 60 * 60_000),
  ];
  for (const entry of expired) rmSync(entry.path, { recursive: true, force: true });
}
