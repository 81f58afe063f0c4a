import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LocalStackError } from "../errors";
import { readJsonFile, writeJsonFile } from "./json-file";

/**
 * The data directory's own bookkeeping: local credentials (the stack's and each
 * function's) and a lock against two stacks sharing it.
 */

export interface LocalCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

const UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function randomFrom(alphabet: string, length: number): string {
  return [...randomBytes(length)].map((byte) => alphabet[byte % alphabet.length]).join("");
}

/**
 * Credentials the local stack accepts for SigV4 (IAM routes). Generated per
 * data directory rather than fixed, so a signature made with anything else
 * fails as it would on AWS; kept across restarts.
 */
export function loadCredentials(dataDir: string): LocalCredentials {
  const file = join(dataDir, "credentials.json");
  const existing = readJsonFile<Partial<LocalCredentials>>(file, {});
  if (typeof existing.accessKeyId === "string" && typeof existing.secretAccessKey === "string") {
    return { accessKeyId: existing.accessKeyId, secretAccessKey: existing.secretAccessKey };
  }
  const credentials = {
    accessKeyId: `AKIALOCAL${randomFrom(UPPER_ALNUM, 11)}`,
    secretAccessKey: randomBytes(30).toString("base64"),
  };
  writeJsonFile(file, credentials, 0o600);
  return credentials;
}

export interface FunctionCredentials extends LocalCredentials {
  sessionToken: string;
}

/**
 * Each function's own credentials, keyed by `service/LogicalId`: temporary
 * ones (ASIA key and session token) like those Lambda hands a function for its
 * role, so the gateway can tell which role signed a request. Generated once
 * per data directory and function, kept across restarts, wiped with it.
 */
export function loadFunctionCredentials(
  dataDir: string,
  functionIds: string[],
): Record<string, FunctionCredentials> {
  const file = join(dataDir, "function-credentials.json");
  const stored = readJsonFile<Record<string, Partial<FunctionCredentials>>>(file, {});
  const out: Record<string, FunctionCredentials> = {};
  let changed = false;
  for (const id of functionIds) {
    const existing = stored[id];
    if (
      typeof existing?.accessKeyId === "string" &&
      typeof existing.secretAccessKey === "string" &&
      typeof existing.sessionToken === "string"
    ) {
      out[id] = {
        accessKeyId: existing.accessKeyId,
        secretAccessKey: existing.secretAccessKey,
        sessionToken: existing.sessionToken,
      };
      continue;
    }
    out[id] = {
      accessKeyId: `ASIALOCAL${randomFrom(UPPER_ALNUM, 11)}`,
      secretAccessKey: randomBytes(30).toString("base64"),
      sessionToken: randomBytes(96).toString("base64"),
    };
    changed = true;
  }
  // Functions of services not started this time keep theirs for the next start that has them.
  if (changed) writeJsonFile(file, { ...stored, ...out }, 0o600);
  return out;
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

const heldHere = new Set<string>();

/** Throws naming the holder if a live stack uses the directory (checked before a reset wipes it). */
export function assertDataDirFree(dataDir: string): void {
  const file = join(dataDir, "stack.lock");
  if (heldHere.has(dataDir)) {
    throw new LocalStackError(`${dataDir} is already used by a local stack in this process; stop it first`);
  }
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, "utf8").trim());
    if (Number.isInteger(pid) && pid !== process.pid && isProcessAlive(pid)) {
      throw new LocalStackError(
        `${dataDir} is in use by another local stack (pid ${pid}). Stop it, or use another --data-dir.`,
      );
    }
  }
}

/** Takes the data directory's lock; throws naming the holder if another live stack has it. */
export function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, "stack.lock");
  assertDataDirFree(dataDir);
  writeFileSync(file, String(process.pid));
  heldHere.add(dataDir);
  return () => {
    heldHere.delete(dataDir);
    try {
      unlinkSync(file);
    } catch {
      // Already gone (a --reset of a stopped stack's directory, say).
    }
  };
}

/** Build directories are `<pid>-<random>`; those of processes that are gone are left-overs of a crash. */
export function removeStaleBuilds(buildRoot: string): void {
  if (!existsSync(buildRoot)) return;
  for (const entry of readdirSync(buildRoot)) {
    const pid = Number(/^(\d+)-/.exec(entry)?.[1]);
    if (Number.isInteger(pid) && pid > 0 && !isProcessAlive(pid))
      rmSync(join(buildRoot, entry), { recursive: true, force: true });
  }
}
