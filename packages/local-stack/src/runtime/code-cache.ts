import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import Module from "node:module";
import { dirname, join, sep } from "node:path";
import { constants, Script } from "node:vm";

/**
 * A V8 code cache for what execution environments load, shared by all of
 * them: a cold start still loads and runs every module itself (its own
 * module instances, as on Lambda), but V8 skips parsing and compiling what
 * another environment already compiled. Node 22.1+ has this built in
 * (module.enableCompileCache); on older Node only node_modules files are
 * cached, through a require hook, leaving the function's bundle to Node's own
 * loader so its source map applies as before.
 */

interface CompilingModule {
  _compile(content: string, filename: string): unknown;
  exports: unknown;
  require(id: string): unknown;
}

interface ModuleInternals {
  prototype: CompilingModule;
  wrap(content: string): string;
  _resolveFilename(request: string, parent: unknown, isMain: boolean, options?: unknown): string;
  _resolveLookupPaths(request: string, parent: unknown): string[] | null;
  _cache: Record<string, unknown>;
  _extensions: Record<string, unknown>;
  enableCompileCache?: (dir: string) => unknown;
  flushCompileCache?: () => void;
}

const NodeModule = Module as unknown as ModuleInternals;
const NODE_MODULES = `${sep}node_modules${sep}`;

/** Starts caching into `dir`; the returned function writes what this environment compiled anew. */
export function enableCodeCache(dir: string): () => void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch {
    return () => undefined;
  }
  if (typeof NodeModule.enableCompileCache === "function") {
    NodeModule.enableCompileCache(dir);
    return () => NodeModule.flushCompileCache?.();
  }
  const compiled: Array<{ file: string; script: Script }> = [];
  const original = NodeModule.prototype._compile;
  NodeModule.prototype._compile = function (this: CompilingModule, content: string, filename: string) {
    if (!filename.includes(NODE_MODULES)) return original.call(this, content, filename);
    const file = join(
      dir,
      createHash("sha1").update(`${process.version}\0${filename}\0`).update(content).digest("hex"),
    );
    const cachedData = readCache(file);
    const script = new Script(NodeModule.wrap(content), {
      filename,
      ...(cachedData ? { cachedData } : {}),
      importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    });
    if (cachedData === undefined || script.cachedDataRejected === true) compiled.push({ file, script });
    const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    return wrapper.call(this.exports, this.exports, requireFor(this), this, filename, dirname(filename));
  };
  return () => {
    // After the init phase, so the functions it ran are in the cache too.
    for (const { file, script } of compiled.splice(0)) writeCache(file, script.createCachedData());
  };
}

/** The `require` Node gives a module (require.resolve, .cache, .main and all). */
function requireFor(module: CompilingModule): NodeJS.Require {
  const require = ((id: string) => module.require(id)) as NodeJS.Require;
  const resolve = ((request: string, options?: unknown) =>
    NodeModule._resolveFilename(request, module, false, options)) as NodeJS.RequireResolve;
  resolve.paths = (request: string) => NodeModule._resolveLookupPaths(request, module);
  return Object.assign(require, {
    resolve,
    main: process.mainModule,
    extensions: NodeModule._extensions as NodeJS.Require["extensions"],
    cache: NodeModule._cache as NodeJS.Require["cache"],
  });
}

function readCache(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

function writeCache(file: string, data: Buffer): void {
  const staged = `${file}.${randomBytes(4).toString("hex")}`;
  try {
    writeFileSync(staged, data);
    renameSync(staged, file);
  } catch {
    rmSync(staged, { force: true });
  }
}

/**
 * Hits do not touch an entry, so each is compiled anew at least daily: files older than a day go, at any
 * depth (Node 22's own cache keeps its files in a folder named by Node's version).
 */
export function pruneCodeCache(dir: string, now = Date.now()): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return; // Nothing cached yet.
  }
  for (const name of names) {
    const path = join(dir, name);
    try {
      const stat = statSync(path);
      if (stat.isDirectory()) pruneCodeCache(path, now);
      else if (now - stat.mtimeMs > 24 * 60 * 60_000) rmSync(path, { force: true });
    } catch {
      // Removed by another stack meanwhile.
    }
  }
}
