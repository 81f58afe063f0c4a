import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { BUILD_ROOT_CACHES } from "@meridian/local-stack";
import { ROOT } from "../../tools/lib/project";

/** What a copy leaves out: installed packages (linked instead), git's data, the local stack's state. */
const LEFT_OUT = new Set(["node_modules", ".git", ".local"]);

/**
 * What a copy keeps from the last run at the same place: caches only, each
 * keyed by content (the stack's bundles, V8's code cache, tsc's build info),
 * so a stale entry is never used.
 */
const KEPT_CACHES: string[] = [...Object.values(BUILD_ROOT_CACHES), "tsc"];

/** A lock left by a run that died before writing its pid is taken over after this long. */
const STALE_LOCK_MS = 60_000;

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The lock at `lock` is held by no live run (its pid is gone, or it never got one long ago). */
function isStale(lock: string): boolean {
  try {
    return !isRunning(Number(readFileSync(join(lock, "pid"), "utf8")));
  } catch {
    try {
      return Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS;
    } catch {
      return true;
    }
  }
}

function takeLock(lock: string): boolean {
  try {
    mkdirSync(lock);
  } catch {
    if (!isStale(lock)) return false;
    rmSync(lock, { recursive: true, force: true });
    try {
      mkdirSync(lock);
    } catch {
      return false;
    }
  }
  writeFileSync(join(lock, "pid"), String(process.pid));
  return true;
}

/**
 * This checkout's copy directory, one path for every run: jest's and tsx's
 * transform caches and the stack's caches are keyed by path, and a new path
 * each run made every one of them cold. Undefined while another run (a
 * second `npm test` of this checkout) holds it: that run's copy is its own.
 */
function claimStableRoot(): { root: string; lock: string } | undefined {
  const id = createHash("sha256").update(ROOT).digest("hex").slice(0, 12);
  const root = join(tmpdir(), `meridian-repo-copy-${id}`);
  const lock = `${root}.lock`;
  return takeLock(lock) ? { root, lock } : undefined;
}

/** Empties `root` but for the kept caches under .local/build. */
function clearExceptCaches(root: string): void {
  if (!existsSync(root)) return;
  for (const entry of readdirSync(root)) {
    if (entry !== ".local") rmSync(join(root, entry), { recursive: true, force: true });
  }
  const local = join(root, ".local");
  for (const entry of existsSync(local) ? readdirSync(local) : []) {
    if (entry !== "build") rmSync(join(local, entry), { recursive: true, force: true });
  }
  const build = join(local, "build");
  for (const entry of existsSync(build) ? readdirSync(build) : []) {
    if (!KEPT_CACHES.includes(entry)) rmSync(join(build, entry), { recursive: true, force: true });
  }
}

/**
 * A temporary copy of the repository, for a test that changes files a
 * checkout would (a scaffolded service) and runs the project's own scripts on
 * the result. node_modules is a link to this checkout's. The copy holds
 * exactly the checkout's files; only caches (see KEPT_CACHES) outlive it.
 * `caches` is where a tool in the copy may keep its own (tsc's build info).
 */
export function copyRepository(): { root: string; caches: string; remove(): void } {
  const stable = claimStableRoot();
  let root: string;
  if (stable) {
    root = stable.root;
    clearExceptCaches(root);
    mkdirSync(root, { recursive: true });
  } else {
    root = mkdtempSync(join(tmpdir(), "meridian-repo-"));
  }
  cpSync(ROOT, root, { recursive: true, filter: (source) => !LEFT_OUT.has(basename(source)) });
  symlinkSync(join(ROOT, "node_modules"), join(root, "node_modules"));
  const caches = join(root, ".local", "build", "tsc");
  mkdirSync(caches, { recursive: true });
  return {
    root,
    caches,
    remove: () => {
      if (!stable) {
        rmSync(root, { recursive: true, force: true });
        return;
      }
      clearExceptCaches(root);
      rmSync(stable.lock, { recursive: true, force: true });
    },
  };
}
