import { existsSync, unlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  isProcessAlive,
  type LocalFunctionInfo,
  type LocalStack,
  readJsonFile,
  writeJsonFile,
} from "@meridian/local-stack";
import { ROOT } from "./project";

/**
 * What `npm start` leaves for other tools: endpoints.json (the services' base
 * URLs, for people and scripts) and stack.json (what `npm run invoke` needs to
 * reach the running stack). The stack on the default data directory writes
 * them in .local/; a stack started with another `--data-dir` writes them in
 * that directory, so a second stack never touches the first's. Both are
 * removed on a clean stop.
 */

/** MERIDIAN_LOCAL_STATE_DIR moves these files (the CLI's own tests use it so they never touch .local/). */
const LOCAL_DIR = process.env.MERIDIAN_LOCAL_STATE_DIR ?? join(ROOT, ".local");
const ENDPOINTS_FILE = join(LOCAL_DIR, "endpoints.json");
const STATE_FILE = join(LOCAL_DIR, "stack.json");
const DEFAULT_DATA_DIR = join(LOCAL_DIR, "data");

export interface StateFiles {
  endpoints: string;
  state: string;
}

/** Where a stack on `dataDir` (undefined: the default) keeps its state files. */
export function stateFilesFor(dataDir: string | undefined): StateFiles {
  if (dataDir === undefined || resolve(dataDir) === DEFAULT_DATA_DIR) {
    return { endpoints: ENDPOINTS_FILE, state: STATE_FILE };
  }
  return { endpoints: join(dataDir, "endpoints.json"), state: join(dataDir, "stack.json") };
}

export interface StackState {
  pid: number;
  startedAt: string;
  environment: string;
  region: string;
  dataDir: string;
  srcDir?: string;
  gatewayUrl: string;
  dynamodbEndpoint: string;
  awsEndpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  endpoints: Record<string, string>;
  /** Each API's origin by API id (absent in a stack.json from before APIs had their own ports). */
  apiOrigins?: Record<string, string>;
  functions: Record<string, LocalFunctionInfo>;
}

export function writeStackState(stack: LocalStack, files: StateFiles, srcDir?: string): StackState {
  const state: StackState = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    environment: stack.environment,
    region: stack.region,
    dataDir: stack.dataDir,
    ...(srcDir ? { srcDir } : {}),
    gatewayUrl: stack.gatewayUrl,
    dynamodbEndpoint: stack.dynamodbEndpoint,
    awsEndpoint: stack.awsEndpoint,
    credentials: stack.credentials,
    endpoints: stack.endpoints,
    apiOrigins: stack.apiOrigins,
    functions: stack.functions,
  };
  writeJsonFile(files.endpoints, stack.endpoints);
  // Holds the local credentials: readable by the owner only.
  writeJsonFile(files.state, state, 0o600);
  return state;
}

/** Removes this process's state files; never another stack's (their pid says whose they are). */
export function removeStackState(files: StateFiles): void {
  const state = readJsonFile<StackState | null>(files.state, null);
  if (state && state.pid !== process.pid) return;
  for (const file of [files.state, files.endpoints]) {
    try {
      unlinkSync(file);
    } catch {
      // Already gone.
    }
  }
}

/** The running stack's state, or a message saying why there is none. */
export function readStackState(): StackState | string {
  const notRunning = "No local stack is running. Start one in another terminal with `npm start`.";
  if (!existsSync(STATE_FILE)) return notRunning;
  const state = readJsonFile<StackState | null>(STATE_FILE, null);
  if (!state || typeof state.pid !== "number") return `${STATE_FILE} is unreadable. ${notRunning}`;
  if (!isProcessAlive(state.pid))
    return `The local stack (pid ${state.pid}) is no longer running. ${notRunning}`;
  return state;
}
