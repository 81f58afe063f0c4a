import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { LocalStackError } from "../errors";

/** Reads a JSON file, or returns `fallback` when it does not exist yet. */
export function readJsonFile<T>(path: string, fallback: T): T {
  if (!existsSync(path)) return fallback;
  const text = readFileSync(path, "utf8");
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new LocalStackError(
      `${path} is not valid JSON (${(error as Error).message}); fix it or start with --reset`,
    );
  }
}

/** Write-then-rename, so a crash mid-write never leaves half a file behind. */
export function writeJsonFile(path: string, value: unknown, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`, { mode });
  renameSync(temporary, path);
}
