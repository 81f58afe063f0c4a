import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { format } from "node:util";
import { outcomeOf } from "../../../tools/lib/cli";
import { ROOT } from "../../../tools/lib/project";

/**
 * Every npm script's CLI, called wrongly as a newcomer would: one line on
 * stderr that says what is wrong (and where the options are), no stack trace,
 * a non-zero exit. None of these reaches AWS or starts a stack. Each case
 * calls the tool's main in this process, as runMain would (the message and
 * the exit code it would exit with); a few run as real processes, which
 * alone prove what reaches the terminal and the exit status.
 */

const stateDir = mkdtempSync(join(tmpdir(), "meridian-cli-args-"));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stderr: string;
}

// No credentials anywhere the SDK looks, and no instance metadata to wait for.
const CLI_ENV: Record<string, string | undefined> = {
  MERIDIAN_LOCAL_STATE_DIR: stateDir,
  MERIDIAN_ARTIFACT_BUCKET: "",
  AWS_CONFIG_FILE: join(stateDir, "no-config"),
  AWS_SHARED_CREDENTIALS_FILE: join(stateDir, "no-credentials"),
  AWS_EC2_METADATA_DISABLED: "true",
  FORCE_COLOR: "0",
  AWS_ACCESS_KEY_ID: undefined,
  AWS_SECRET_ACCESS_KEY: undefined,
  AWS_SESSION_TOKEN: undefined,
  AWS_PROFILE: undefined,
};

function processEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, value] of Object.entries(CLI_ENV)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

function runProcess(script: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "tools", script), ...args], {
      cwd: ROOT,
      env: processEnv(),
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

/** The tool's main with `args`, with this process's environment as a process of its own would have it. */
async function runInProcess(script: string, args: string[]): Promise<Run> {
  const saved = { ...process.env };
  Object.assign(process.env, processEnv());
  for (const name of Object.keys(process.env)) if (!(name in processEnv())) delete process.env[name];
  let stderr = "";
  const toStderr = (...parts: unknown[]): void => {
    stderr += `${format(...parts)}\n`;
  };
  const spies = [
    jest.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    }),
    jest.spyOn(console, "error").mockImplementation(toStderr),
    jest.spyOn(console, "warn").mockImplementation(toStderr),
    jest.spyOn(console, "log").mockImplementation(() => {}),
  ];
  try {
    const { main } = (await import(join(ROOT, "tools", script))) as { main: () => Promise<unknown> };
    const outcome = await outcomeOf(main, args);
    return { code: outcome.code ?? 0, stderr: stderr + outcome.stderr };
  } finally {
    for (const spy of spies) spy.mockRestore();
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  }
}

const cases: Array<[string, string, string[], RegExp]> = [
  ["start", "start.ts", ["--nope"], /^✖ Unknown option '--nope'; `npm start -- --help` shows the options$/],
  ["start", "start.ts", ["--env", "nope"], /^✖ Unknown environment 'nope'; environments.yaml has: local/],
  ["start", "start.ts", ["--port", "x"], /^✖ --port takes a port number/],
  ["new-service", "new-service.ts", ["location"], /^✖ src\/location already exists; choose another name$/],
  ["new-service", "new-service.ts", ["shared"], /^✖ src\/shared already exists/],
  [
    "new-service",
    "new-service.ts",
    ["Hello-World"],
    /^✖ 'Hello-World' is not a service name: 2-20 characters/,
  ],
  ["new-service", "new-service.ts", [], /^✖ Name the service/],
  ["start", "start.ts", ["--log-format", "xml"], /^✖ --log-format takes text or json, got 'xml'$/],
  ["start", "start.ts", ["--log-level", "loud"], /^✖ --log-level takes debug, info, warn, error, silent/],
  ["invoke", "invoke.ts", ["LoginFunction", "--log-level", "x"], /^✖ --log-level takes debug/],
  [
    "invoke",
    "invoke.ts",
    ["LoginFunction", "--nope"],
    /^✖ Unknown option '--nope'; `npm run invoke -- --help`/,
  ],
  [
    "invoke",
    "invoke.ts",
    ["LoginFunction", "--event", "events/nope.json"],
    /^✖ No event file events\/nope.json/,
  ],
  ["invoke", "invoke.ts", [], /^✖ Name the function to invoke/],
  ["invoke", "invoke.ts", ["LoginFunction", "--event", "package.json"], /^✖ No local stack is running/],
  ["bench", "bench.ts", ["--nope"], /^✖ Unknown option '--nope'; `npm run bench -- --help`/],
  ["bench", "bench.ts", ["--duration", "x"], /^✖ --duration takes whole seconds/],
  ["bench:catalog", "bench-catalog.ts", ["--connections", "0"], /^✖ --connections takes a positive/],
  ["bench:cold", "bench-cold.ts", ["--runs", "0"], /^✖ --runs must be a positive integer, got '0'/],
  ["bench:comments", "bench-comments.ts", ["--duration", "x"], /^✖ --duration takes whole seconds/],
  ["bench:tests", "bench-tests.ts", ["--runs", "2"], /^✖ --baseline <checkout> is required/],
  [
    "templates:duplication",
    "template-duplication.ts",
    ["--show", "nope"],
    /^✖ --show takes a service with a template: auth, catalog, comments, location, ops, profile, web$/,
  ],
  ["configs", "configs.ts", ["--nope"], /^✖ Unknown option '--nope'; `npm run configs -- --help`/],
  ["configs", "configs.ts", ["--env", "nope"], /^✖ Unknown environment 'nope'/],
  ["deploy", "deploy.ts", ["--nope"], /^✖ Unknown option '--nope'; `npm run deploy -- --help`/],
  ["deploy", "deploy.ts", [], /^✖ --env is required; `npm run deploy -- --help`/],
  [
    "deploy",
    "deploy.ts",
    ["--env", "dev"],
    /^✖ --bucket <s3 bucket> \(or MERIDIAN_ARTIFACT_BUCKET\) is required/,
  ],
  [
    "deploy",
    "deploy.ts",
    ["--env", "dev", "--bucket", "b"],
    /^✖ No AWS credentials .*`aws configure`.*AWS_PROFILE.*`aws sso login`/,
  ],
  ["teardown", "teardown.ts", ["--env", "nope"], /^✖ unknown environment 'nope'/],
  ["teardown", "teardown.ts", ["--env", "dev", "--yes"], /^✖ No AWS credentials .*`aws configure`/],
  ["test:e2e", "test-e2e.ts", [], /^✖ --env is required \(local, dev, staging, prod\)/],
  [
    "test:e2e",
    "test-e2e.ts",
    ["--env", "nope"],
    /^✖ Unknown environment 'nope'; environments.yaml has: local/,
  ],
  [
    "test:e2e",
    "test-e2e.ts",
    ["--env", "dev"],
    /^✖ No AWS credentials .*`aws configure`.*AWS_PROFILE.*`aws sso login`/,
  ],
  ["pipeline", "pipeline.ts", ["--nope"], /^✖ Unknown option '--nope'; `npm run pipeline -- --help`/],
  ["package", "package-artifact.ts", ["--nope"], /^✖ Unknown option '--nope'; `npm run package -- --help`/],
  ["bundle", "bundle.ts", ["extra"], /^✖ Unexpected argument 'extra'/],
];

function expectOneLine({ code, stderr }: Run, expected: RegExp): void {
  const lines = stderr.trim().split("\n");
  expect({ code, lines }).toEqual({ code: 1, lines: [expect.stringMatching(expected)] });
}

// In-process, one at a time: the cases share this process's environment and console.
test.each(cases)("npm run %s (%s %j): one line, exit 1", async (_script, file, args, expected) => {
  expectOneLine(await runInProcess(file, args), expected);
});

// A mistake in the flags, a check of the project, and one that asks the SDK for credentials.
const inProcesses = cases.filter(
  ([, file, args]) =>
    (file === "start.ts" && args[0] === "--nope") ||
    (file === "new-service.ts" && args[0] === "location") ||
    (file === "deploy.ts" && args.includes("--bucket")),
);

// Each is its own process touching nothing shared, so they run side by side.
test.concurrent.each(inProcesses)(
  "as a process, npm run %s (%s %j): one line on stderr, exit status 1",
  async (_script, file, args, expected) => {
    expectOneLine(await runProcess(file, args), expected);
  },
  60_000,
);

test("three cases run as real processes", () => {
  expect(inProcesses).toHaveLength(3);
});
