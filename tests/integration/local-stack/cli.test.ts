import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { format } from "node:util";
import { outcomeOf } from "../../../tools/lib/cli";
import { ROOT } from "../../../tools/lib/project";
import { waitForOutput } from "../../support/child-output";
import { occupyPortDuringTests } from "../../support/ports";

/** `npm start` and `npm run invoke` as a developer runs them (state files go to a temporary directory). */

// tsx as a loader in the same process (not its CLI, which forks), so the pid and signals are the script's own.
const NODE_ARGS = ["--import", "tsx"];
/** Every port `npm start` listens on, left to the system to choose. */
const FREE_PORTS = ["--port", "0", "--dynamodb-port", "0", "--aws-port", "0"];
let work: string;
let env: NodeJS.ProcessEnv;

const savedStateDir = process.env.MERIDIAN_LOCAL_STATE_DIR;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "meridian-cli-"));
  env = { ...process.env, MERIDIAN_LOCAL_STATE_DIR: work, FORCE_COLOR: "0" };
  // For invoke in-process (invokeInProcess).
  process.env.MERIDIAN_LOCAL_STATE_DIR = work;
});

afterAll(() => {
  if (savedStateDir === undefined) delete process.env.MERIDIAN_LOCAL_STATE_DIR;
  else process.env.MERIDIAN_LOCAL_STATE_DIR = savedStateDir;
  rmSync(work, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(script: string, args: string[], timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_ARGS, join(ROOT, "tools", script), ...args], {
      cwd: ROOT,
      env,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * `npm run invoke -- <args>` as tools/invoke.ts's main in this process: the exit code and
 * stderr runMain would give (outcomeOf), and what it prints. The stack it talks to is a real
 * `npm start` process; a real invoke process (its exit status and streams) is the first test's.
 * Each invoke process cost ~1.5 s of CPU (tsx, the local-stack package, the SDK) before its work.
 */
async function invokeInProcess(args: string[]): Promise<Run> {
  // Loaded here, not imported at the top: tools/lib/stack-state reads MERIDIAN_LOCAL_STATE_DIR when it loads.
  const { main } = require("../../../tools/invoke") as typeof import("../../../tools/invoke");
  let stdout = "";
  let stderr = "";
  const log = jest.spyOn(console, "log").mockImplementation((...parts: unknown[]) => {
    stdout += `${format(...parts)}\n`;
  });
  const write = jest.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const outcome = await outcomeOf(main, args);
    return { code: outcome.code ?? 0, stdout, stderr: stderr + outcome.stderr };
  } finally {
    log.mockRestore();
    write.mockRestore();
  }
}

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test("invoke without a running stack says so", async () => {
  const result = await run("invoke.ts", ["AuthorizerFunction"]);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/No local stack is running.*npm start/);
});

/** A user through the gateway (POST /users, POST /tokens), as a developer would try the stack first. */
async function signUpAndLogIn(authUrl: string): Promise<{ username: string; token: string }> {
  const username = `cli-${Date.now()}`;
  const password = "a long enough password";
  const headers = { "Content-Type": "application/json" };
  const body = JSON.stringify({ username, password });
  expect((await fetch(`${authUrl}/users`, { method: "POST", headers, body })).status).toBe(201);
  const login = await fetch(`${authUrl}/tokens`, { method: "POST", headers, body });
  const { token } = (await login.json()) as { token: string };
  return { username, token };
}

/** Piped output (not a terminal): one plain line per entry, the function's short name, INFO and up. */
async function expectPlainLogLines(logged: () => string): Promise<void> {
  // The gateway logs a request once its response is sent, so its line may come after the client has the reply.
  const apiLine = /^\S+ auth API\s+INFO\s+POST \/local\/tokens -> 201/m;
  await until(() => /auth\/Login\s+INFO/.test(logged()) && apiLine.test(logged()));
  const lines = logged()
    .split("\n")
    .filter((line) => /^\d\d:\d\d:\d\d\.\d{3} /.test(line));
  expect(lines.some((line) => apiLine.test(line))).toBe(true);
  for (const line of lines) {
    expect(line).not.toMatch(/function_arn|function_memory_size|"level"|\sDEBUG\s/);
    expect(line.includes("\u001b[")).toBe(false);
  }
}

/** `npm run invoke` of the authorizer against the running stack: a real token passes, a forged one does not. */
async function expectInvokeAgainstStack(username: string, token: string): Promise<void> {
  const eventFile = join(work, "authorizer-event.json");
  const methodArn = "arn:aws:execute-api:us-east-1:000000000000:abc/local/GET/x";
  const quiet = ["--event", eventFile, "--log-level", "silent"];
  writeFileSync(
    eventFile,
    JSON.stringify({ type: "TOKEN", authorizationToken: `Bearer ${token}`, methodArn }),
  );
  const invoked = await invokeInProcess(["auth/AuthorizerFunction", ...quiet]);
  expect(invoked.code).toBe(0);
  expect(JSON.parse(invoked.stdout)).toMatchObject({
    principalId: expect.any(String),
    context: { username },
  });

  writeFileSync(eventFile, JSON.stringify({ type: "TOKEN", authorizationToken: "Bearer forged", methodArn }));
  const rejected = await invokeInProcess(["AuthorizerFunction", ...quiet]);
  expect(rejected.code).toBe(1);
  expect(JSON.parse(rejected.stdout)).toMatchObject({ errorMessage: "Unauthorized" });

  const unknown = await invokeInProcess(["NoSuchFunction"]);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toMatch(/No function 'NoSuchFunction'/);
}

test("npm start: serves, writes endpoints.json and stack.json, invoke works against it, SIGINT stops cleanly", async () => {
  // Logs at their default level (INFO): the first start a developer sees.
  const child = spawnStart([...FREE_PORTS, "--data-dir", join(work, "data")]);
  let logged = "";
  child.stdout?.on("data", (chunk) => {
    logged += chunk;
  });
  try {
    const output = await waitForOutput(child, /Ctrl\+C stops/, 60_000);
    expect(output).toMatch(/ready in \d+(\.\d)? s/);
    const endpoints = JSON.parse(readFileSync(join(work, "endpoints.json"), "utf8")) as Record<
      string,
      string
    >;
    const state = JSON.parse(readFileSync(join(work, "stack.json"), "utf8")) as {
      pid: number;
      credentials: object;
    };
    expect(state.pid).toBe(child.pid);
    expect(endpoints.auth).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/local$/);
    expect(output).toContain(endpoints.auth);

    const { username, token } = await signUpAndLogIn(endpoints.auth ?? "");
    await expectPlainLogLines(() => logged);
    await expectInvokeAgainstStack(username, token);

    await stopCli(child);
    expect(existsSync(join(work, "stack.json"))).toBe(false);
  } finally {
    child.kill("SIGKILL");
  }
}, 120_000);

describe("a taken port", () => {
  const taken = occupyPortDuringTests();

  test("npm start names it and how to choose another, and exits 1", async () => {
    const result = await run("start.ts", [
      "--port",
      String(taken.port()),
      "--dynamodb-port",
      "0",
      "--aws-port",
      "0",
      "--data-dir",
      join(work, "taken"),
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Port ${taken.port()} (HTTP gateway) is already in use`);
    expect(result.stderr).toContain(`npm start -- --port ${taken.port() + 1}`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});

/** `npm start` with `args`, its stderr kept (stopCli shows it). */
function spawnStart(args: string[]): ChildProcess {
  return keepStderr(
    spawn(process.execPath, [...NODE_ARGS, join(ROOT, "tools", "start.ts"), ...args], { cwd: ROOT, env }),
  );
}

/** `npm start` on free ports, quiet. */
function startCli(args: string[]): ChildProcess {
  return spawnStart([...FREE_PORTS, "--log-level", "silent", ...args]);
}

/** What each `npm start` wrote to stderr: a stop that does not exit 0 shows it. */
const stderrOf = new WeakMap<ChildProcess, string[]>();

function keepStderr(child: ChildProcess): ChildProcess {
  const chunks: string[] = [];
  stderrOf.set(child, chunks);
  child.stderr?.on("data", (chunk) => chunks.push(String(chunk)));
  return child;
}

async function stopCli(child: ChildProcess): Promise<void> {
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  child.kill("SIGINT");
  const code = await exited;
  const stderr = code === 0 ? "" : (stderrOf.get(child) ?? []).join("");
  expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
}

test("a second stack on its own --data-dir keeps its state files there; --reset says it wiped the data", async () => {
  const first = startCli(["--data-dir", join(work, "data")]);
  const secondDir = join(work, "second");
  let second: ChildProcess | undefined;
  try {
    await waitForOutput(first, /Ctrl\+C stops/, 60_000);
    const firstState = readFileSync(join(work, "stack.json"), "utf8");
    second = startCli(["--data-dir", secondDir, "--reset"]);
    const banner = await waitForOutput(second, /Ctrl\+C stops/, 60_000);
    expect(banner).toMatch(/wiped by --reset/);
    expect(banner).not.toMatch(/kept across restarts/);
    expect(banner).toContain(join(secondDir, "endpoints.json").split("/").pop() ?? "");
    expect(JSON.parse(readFileSync(join(secondDir, "stack.json"), "utf8")).pid).toBe(second.pid);
    expect(readFileSync(join(work, "stack.json"), "utf8")).toBe(firstState);
    await stopCli(second);
    expect(existsSync(join(secondDir, "stack.json"))).toBe(false);
    expect(existsSync(join(secondDir, "endpoints.json"))).toBe(false);
    expect(JSON.parse(readFileSync(join(work, "stack.json"), "utf8")).pid).toBe(first.pid);
    await stopCli(first);
    expect(existsSync(join(work, "stack.json"))).toBe(false);
    expect(existsSync(join(work, "endpoints.json"))).toBe(false);
  } finally {
    first.kill("SIGKILL");
    second?.kill("SIGKILL");
  }
}, 120_000);
