import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../../../tools/lib/project";

/**
 * Every npm script's CLI, called wrongly as a newcomer would: one line on
 * stderr that says what is wrong (and where the options are), no stack trace,
 * a non-zero exit. None of these reaches AWS or starts a stack.
 */

let stateDir: string;
beforeAll(() => {
  stateDir = mkdtempSync(join(tmpdir(), "meridian-cli-args-"));
});
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stderr: string;
}

function run(script: string, args: string[]): Promise<Run> {
  // No credentials anywhere the SDK looks, and no instance metadata to wait for.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MERIDIAN_LOCAL_STATE_DIR: stateDir,
    MERIDIAN_ARTIFACT_BUCKET: "",
    AWS_CONFIG_FILE: join(stateDir, "no-config"),
    AWS_SHARED_CREDENTIALS_FILE: join(stateDir, "no-credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
    FORCE_COLOR: "0",
  };
  for (const name of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"]) {
    delete env[name];
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "tools", script), ...args], {
      cwd: ROOT,
      env,
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

// Each case is its own process touching nothing shared, so they run side by side.
test.concurrent.each(cases)(
  "npm run %s (%s %j): one line, exit 1",
  async (_script, file, args, expected) => {
    const { code, stderr } = await run(file, args);
    const lines = stderr.trim().split("\n");
    expect({ code, lines }).toEqual({ code: 1, lines: [expect.stringMatching(expected)] });
  },
  60_000,
);
