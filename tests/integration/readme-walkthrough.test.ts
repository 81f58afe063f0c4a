import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { poll } from "../../tools/lib/cli";
import { seedProfileWithLocation } from "../../tools/lib/load";
import { ROOT } from "../../tools/lib/project";
import { releaseTestStack, sharedTestStack, type TestStack } from "../support/local-stack";

/**
 * README's "Try it" block, read from README.md and run as written (POSIX sh,
 * curl, node) twice in a row against one stack: a newcomer who runs it again
 * gets the same answers, not a 409 and `undefined`.
 */

function walkthrough(): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf("```sh\n", readme.indexOf("Try it:"));
  const end = readme.indexOf("\n```", start + 1);
  expect(start).toBeGreaterThan(0);
  return readme.slice(start + "```sh\n".length, end);
}

let stack: TestStack;
let cwd: string;

beforeAll(async () => {
  stack = await sharedTestStack();
  // The block reads ./.local/endpoints.json, as `npm start` leaves it in a checkout.
  cwd = mkdtempSync(join(tmpdir(), "meridian-walkthrough-"));
  mkdirSync(join(cwd, ".local"));
  writeFileSync(join(cwd, ".local", "endpoints.json"), JSON.stringify(stack.endpoints));
  // A newcomer runs the block a while after `npm start`: by then the functions are warm. On a
  // loaded machine a first profile read can outlast its location lookup's deadline and degrade
  // (by design); that is waited out here, not accepted from the walkthrough.
  const seeded = await seedProfileWithLocation(stack.endpoints);
  await poll("a warm profile read with its location", async () => {
    const reply = await fetch(`${stack.endpoints.profile}/profiles/${seeded}`);
    return ((await reply.json()) as { location?: unknown }).location ? true : undefined;
  });
}, 120_000);

afterAll(() => releaseTestStack(stack));

afterAll(async () => {
  rmSync(cwd, { recursive: true, force: true });
});

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Asynchronously: the stack answers from this process, so a blocking spawn would never get a reply. */
function runOnce(script: string): Promise<Run> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", script], {
      cwd,
      env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}` },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, ms: performance.now() - started });
    });
  });
}

test("the walkthrough works twice in a row against one stack", async () => {
  const script = walkthrough();
  for (const run of [1, 2]) {
    const { status, stdout, stderr, ms } = await runOnce(script);
    process.stderr.write(`README walkthrough run ${run}: ${ms.toFixed(0)} ms\n`);
    expect({ run, status, stderr }).toEqual({ run, status: 0, stderr: "" });
    // Each output ends with a newline, so every answer is a line of its own.
    expect(stdout.endsWith("\n")).toBe(true);
    const lines = stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as unknown);
    const userId = (lines[0] as { userId?: string }).userId;
    expect(userId).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines).toEqual([
      { userId, latitude: 51.5074, longitude: -0.1278, updatedAt: expect.any(String) },
      expect.objectContaining({ userId, displayName: "Ada", version: 1 }),
      {
        userId,
        displayName: "Ada",
        bio: null,
        location: { latitude: 51.51, longitude: -0.13, updatedAt: expect.any(String) },
      },
    ]);
  }
}, 120_000);

describe("the errors README's table explains", () => {
  async function error(url: string, init: RequestInit = {}): Promise<[number, unknown]> {
    const reply = await fetch(url, { headers: { "content-type": "application/json" }, ...init });
    return [reply.status, await reply.json()];
  }

  test("a path no route has: 403 MISSING_AUTHENTICATION_TOKEN, as API Gateway answers", async () => {
    const missing = [
      403,
      { error: { code: "MISSING_AUTHENTICATION_TOKEN", message: "Missing Authentication Token" } },
    ];
    expect(await error(`${stack.endpoints.profile}/profile/nope`)).toEqual(missing);
    // The catalog's routes start /catalog/: its base URL does not, so the name is there once.
    expect(await error(`${stack.endpoints.catalog}/catalog/catalog/register`, { method: "POST" })).toEqual(
      missing,
    );
    expect(await error(`${stack.endpoints.profile}//profiles/x`)).toEqual(missing);
  });

  test("both 413s carry REQUEST_TOO_LARGE, each message naming its limit", async () => {
    const users = `${stack.endpoints.auth}/users`;
    const overHandlers = JSON.stringify({ username: "big", password: "x".repeat(70 * 1024) });
    expect(await error(users, { method: "POST", body: overHandlers })).toEqual([
      413,
      {
        error: { code: "REQUEST_TOO_LARGE", message: "Request body is larger than this API's 64 KiB limit" },
      },
    ]);
    const overGateway = "x".repeat(10 * 1024 * 1024 + 1);
    expect(await error(users, { method: "POST", body: overGateway })).toEqual([
      413,
      {
        error: {
          code: "REQUEST_TOO_LARGE",
          message: "Request body is larger than API Gateway's 10 MB limit",
        },
      },
    ]);
  });
});
