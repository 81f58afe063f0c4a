import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { copyRepository } from "../support/repo-copy";

/**
 * `npm run new-service -- hello` in a temporary copy of the repository, then
 * the copy's own checks: what a developer runs after scaffolding.
 */

const exec = promisify(execFile);
let copy: ReturnType<typeof copyRepository>;
let scaffolded: { stdout: string };

// The copy's commands run as from a shell: no jest worker variables, no colour.
const { JEST_WORKER_ID: _worker, ...parentEnv } = process.env;
const env = { ...parentEnv, FORCE_COLOR: "0" };

function inCopy(command: string, args: string[], timeout = 300_000) {
  return exec(command, args, { cwd: copy.root, env, timeout, maxBuffer: 16 * 1024 * 1024 });
}

beforeAll(async () => {
  copy = copyRepository();
  scaffolded = await inCopy(process.execPath, ["--import", "tsx", "tools/new-service.ts", "hello"]);
}, 120_000);

afterAll(() => copy?.remove());

test("writes the service and names every file it wrote or edited", () => {
  for (const file of [
    "src/hello/template.yaml",
    "src/hello/metadata.yaml",
    "src/hello/handlers/put-hello.ts",
    "tests/unit/hello/handlers.test.ts",
    "events/PutHelloFunction.json",
    "template.yaml",
    "environments.yaml",
    "src/ops/template.yaml",
    "events/README.md",
  ]) {
    expect(scaffolded.stdout).toContain(`  ${file}\n`);
  }
  expect(readFileSync(join(copy.root, "src", "hello", "metadata.yaml"), "utf8")).toMatch(/^name: hello$/m);
});

test("the copy type-checks, lints, and its templates pass cfn-lint", async () => {
  await inCopy(process.execPath, ["node_modules/typescript/bin/tsc", "-p", ".", "--noEmit"]);
  await inCopy(process.execPath, [
    "node_modules/@biomejs/biome/bin/biome",
    "check",
    "--error-on-warnings",
    ".",
  ]);
  await inCopy("cfn-lint", ["template.yaml", "src/hello/template.yaml", "src/ops/template.yaml"]);
}, 600_000);

test("the template, dashboard, alarm, deploy and teardown tests and the service's own tests pass in the copy", async () => {
  const { stderr } = await inCopy(
    process.execPath,
    [
      "node_modules/jest/bin/jest.js",
      "tests/templates/templates.test.ts",
      "tests/templates/ops.test.ts",
      "tests/templates/alarms.test.ts",
      "tests/templates/pipeline.test.ts",
      "tests/unit/tools/teardown.test.ts",
      "tests/unit/hello",
    ],
    900_000,
  );
  expect(stderr).toMatch(/Tests: +\d+ passed, \d+ total/);
}, 900_000);

function waitFor(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${pattern}:\n${seen}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve(seen);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("close", () => reject(new Error(`exited before ${pattern}:\n${seen}`)));
  });
}

test("npm start in the copy serves it: a user's token PUTs /hellos/{userId} through the gateway", async () => {
  const state = mkdtempSync(join(tmpdir(), "meridian-new-service-"));
  const ports = ["--port", "0", "--dynamodb-port", "0", "--aws-port", "0", "--log-level", "silent"];
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "tools/start.ts", ...ports, "--data-dir", join(state, "data")],
    {
      cwd: copy.root,
      env: { ...env, MERIDIAN_LOCAL_STATE_DIR: state },
    },
  );
  try {
    await waitFor(child, /Ctrl\+C stops/, 180_000);
    const endpoints = JSON.parse(readFileSync(join(state, "endpoints.json"), "utf8")) as Record<
      string,
      string
    >;
    expect(endpoints.hello).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/local$/);
    const json = { "Content-Type": "application/json" };
    const credentials = JSON.stringify({
      username: `hello-${Date.now()}`,
      password: "a long enough password",
    });
    const user = await fetch(`${endpoints.auth}/users`, { method: "POST", headers: json, body: credentials });
    const { userId } = (await user.json()) as { userId: string };
    const login = await fetch(`${endpoints.auth}/tokens`, {
      method: "POST",
      headers: json,
      body: credentials,
    });
    const { token } = (await login.json()) as { token: string };
    const put = await fetch(`${endpoints.hello}/hellos/${userId}`, {
      method: "PUT",
      headers: { ...json, Authorization: `Bearer ${token}` },
      body: JSON.stringify({ latitude: 1.5, longitude: 2.5 }),
    });
    expect({ status: put.status, body: await put.json() }).toEqual({
      status: 200,
      body: { userId, latitude: 1.5, longitude: 2.5, updatedAt: expect.any(String) },
    });
  } finally {
    const exited = new Promise((resolve) => child.on("close", resolve));
    child.kill("SIGINT");
    await exited;
  }
}, 300_000);
