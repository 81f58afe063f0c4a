import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { ROOT } from "../../tools/lib/project";

/** What a copy leaves out: installed packages (linked instead), git's data, the local stack's state. */
const LEFT_OUT = new Set(["node_modules", ".git", ".local"]);

/**
 * A temporary copy of the repository, for a test that changes files a
 * checkout would (a scaffolded service) and runs the project's own scripts on
 * the result. node_modules is a link to this checkout's.
 */
export function copyRepository(): { root: string; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), "meridian-repo-"));
  cpSync(ROOT, root, { recursive: true, filter: (source) => !LEFT_OUT.has(basename(source)) });
  symlinkSync(join(ROOT, "node_modules"), join(root, "node_modules"));
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}
