import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { waitForOutput } from "../support/child-output";
import { copyRepository } from "../support/repo-copy";

/**
 * `npm run new-service -- hello` in a temporary copy of the repository, then
 * the copy's own checks: what a developer runs after scaffolding. The
 * scaffold adds files and edits none of the repository's TypeScript, so tsc
 * and Biome look at what it wrote (and what that imports): `npm run
 * typecheck` and `npm run lint` cover the rest of the checkout already.
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

/** A check started before the test that awaits it: its failure is that test's, not an unhandled rejection. */
function started<T>(check: Promise<T>): Promise<T> {
  check.catch(() => {});
  return check;
}

/** The files the scaffold says it wrote, as its `  <path>` lines list them. */
function writtenFiles(stdout: string): string[] {
  return [...stdout.matchAll(/^ {2}(\S+)$/gm)].map((match) => match[1] ?? "");
}

/**
 * tsc over the scaffolded TypeScript, with the repository's compiler options.
 * Incremental, its build info kept with the copy's caches: tsc re-checks what
 * changed since the last run (by content) and reuses the rest's diagnostics.
 */
async function typeCheckScaffold(): Promise<void> {
  const config = {
    extends: "./tsconfig.json",
    include: ["src/hello", "tests/unit/hello"],
    compilerOptions: { incremental: true, tsBuildInfoFile: join(copy.caches, "hello.tsbuildinfo") },
  };
  writeFileSync(join(copy.root, "tsconfig.hello.json"), JSON.stringify(config));
  await inCopy(process.execPath, [
    "node_modules/typescript/bin/tsc",
    "-p",
    "tsconfig.hello.json",
    "--noEmit",
  ]);
}

async function lintScaffold(written: string[]): Promise<void> {
  const code = written.filter((file) => /\.(ts|json)$/.test(file));
  if (!code.includes("src/hello/handlers/put-hello.ts")) throw new Error(`no handler among ${code}`);
  const biome = "node_modules/@biomejs/biome/bin/biome";
  await inCopy(process.execPath, [biome, "check", "--error-on-warnings", ...code]);
  // npm run lint's other half: the scaffold exports nothing its handlers and tests do not use.
  await inCopy(process.execPath, ["node_modules/knip/bin/knip.js"]);
}

let checks: {
  lint: Promise<unknown>;
  tests: Promise<{ stderr: string }>;
  started: Promise<Started>;
};

beforeAll(async () => {
  copy = copyRepository();
  scaffolded = await inCopy(process.execPath, ["--import", "tsx", "tools/new-service.ts", "hello"]);
  // Independent checks of one scaffold: they run side by side, each test awaits its own.
  checks = {
    lint: started(
      Promise.all([
        typeCheckScaffold(),
        lintScaffold(writtenFiles(scaffolded.stdout)),
        inCopy("cfn-lint", ["template.yaml", "src/hello/template.yaml", "src/ops/template.yaml"]),
      ]),
    ),
    tests: started(copyTests()),
    started: started(startCopy()),
  };
}, 120_000);

afterAll(async () => {
  await stopCopy();
  copy?.remove();
});

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

test("the scaffold type-checks and lints, and the templates it touched pass cfn-lint", async () => {
  await checks.lint;
}, 600_000);

/** The repository's tests that read every service (templates, dashboard, alarms, pipeline, teardown) and the new service's own. */
function copyTests(): Promise<{ stderr: string }> {
  return inCopy(
    process.execPath,
    [
      "node_modules/jest/bin/jest.js",
      // In this process: six small files do not pay back starting workers (about 1 s of CPU).
      "--runInBand",
      "tests/templates/templates.test.ts",
      "tests/templates/ops.test.ts",
      "tests/templates/alarms.test.ts",
      "tests/templates/pipeline.test.ts",
      "tests/unit/tools/teardown.test.ts",
      "tests/unit/hello",
    ],
    900_000,
  );
}

test("the template, dashboard, alarm, deploy and teardown tests and the service's own tests pass in the copy", async () => {
  const { stderr } = await checks.tests;
  expect(stderr).toMatch(/Tests: +\d+ passed, \d+ total/);
}, 900_000);

interface Started {
  endpoints: Record<string, string>;
}

let server: ChildProcess | undefined;

/** `npm start` in the copy, as a developer runs it (ephemeral ports, its own state directory). */
async function startCopy(): Promise<Started> {
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
  server = child;
  await waitForOutput(child, /Ctrl\+C stops/, 180_000);
  const endpoints = JSON.parse(readFileSync(join(state, "endpoints.json"), "utf8")) as Record<string, string>;
  return { endpoints };
}

async function stopCopy(): Promise<void> {
  const child = server;
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.on("close", resolve));
  child.kill("SIGINT");
  await exited;
}

test("npm start in the copy serves it: a user's token PUTs /hellos/{userId} through the gateway", async () => {
  const { endpoints } = await checks.started;
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
}, 300_000);
