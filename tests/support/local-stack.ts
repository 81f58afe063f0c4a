import { rmSync } from "node:fs";
import * as os from "node:os";
import { setTimeout } from "node:timers";
import {
  type LocalStackOptions,
  signedFetch,
  startTestStack as startStack,
  type TestStack,
} from "@meridian/local-stack";
import { meridianProject } from "../../tools/lib/local-project";

/**
 * This repository's services on a local stack for one test file (ephemeral
 * ports, a temporary data directory, logs kept in `stack.logs`); options as
 * startLocalStack's, the project defaulting to this one.
 */

// The host may run an older Node than the Lambda runtime; the SDK's notice about it is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export function startTestStack(options: Partial<LocalStackOptions> = {}): Promise<TestStack> {
  return startStack({ project: meridianProject, ...options });
}

/*
 * One stack per jest worker, shared by the test files that need nothing but
 * the whole default stack (a worker runs its files one after another, so a
 * file that stops a service and starts it again leaves it as it found it).
 * Every test file has its own module registry, so the stack is kept on a Node
 * core module, the one object each file's `require` shares; jest ends its
 * worker processes at the end of a run (see below); a file run in jest's own
 * process (--runInBand, or one file alone) gets a stack of its own.
 */
const SHARED = Symbol.for("meridian.tests.sharedStack");
type Registry = { [SHARED]?: Promise<TestStack> };
const registry = (): Registry => os as unknown as Registry;

export async function sharedTestStack(): Promise<TestStack> {
  if (typeof workerProcess().send !== "function") {
    // In jest's own process (--runInBand, one file) nothing would stop a shared stack: one per
    // file, which releaseTestStack stops.
    return startTestStack();
  }
  const shared = registry();
  if (shared[SHARED] === undefined) {
    shared[SHARED] = startTestStack();
    stopWhenJestEndsThisWorker();
  }
  const stack = await shared[SHARED];
  // Each file sees only its own logs (and the 5000-entry cap applies per file).
  stack.logs.length = 0;
  return stack;
}

/** jest-worker's "end" message to a worker (CHILD_MESSAGE_END, which jest-worker does not export). */
const CHILD_MESSAGE_END = 2;

/*
 * jest-worker ends a worker by message and then waits half a second for the
 * process to exit on its own, which the stack's open servers would prevent (it
 * would be killed, its data directory left behind): on that message the stack
 * stops and the worker exits.
 */
/** A test file's `process` is jest's copy, which never hears the worker's messages: the real one is the core modules' realm's. */
function workerProcess(): NodeJS.Process {
  const realmFunction = os.cpus.constructor as FunctionConstructor;
  return realmFunction("return process")() as NodeJS.Process;
}

function stopWhenJestEndsThisWorker(): void {
  const worker = workerProcess();
  worker.on("message", (message: unknown) => {
    if (!Array.isArray(message) || message[0] !== CHILD_MESSAGE_END) return;
    // jest kills a worker still alive 500 ms after this message, so the worker exits by itself
    // well before: once the stack has stopped, or after 250 ms of a stop slowed by a loaded
    // machine (then with its data directory removed here; exiting ends the rest).
    const shared = registry()[SHARED];
    const stopped = stopSharedTestStack();
    const deadline = new Promise((resolve) => setTimeout(resolve, 250));
    void Promise.race([stopped, deadline])
      .then(async () => {
        const dataDir = (await shared)?.dataDir;
        if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      })
      .finally(() => worker.exit(0));
  });
}

/** A file's afterAll: stops the stack unless it is the worker's shared one. */
export async function releaseTestStack(stack: TestStack | undefined): Promise<void> {
  if (stack !== undefined && stack !== (await registry()[SHARED])) await stack.stop();
}

async function stopSharedTestStack(): Promise<void> {
  const shared = registry()[SHARED];
  delete registry()[SHARED];
  await (await shared)?.stop();
}

export { signedFetch, type TestStack };
