import { execFile } from "node:child_process";
import { join } from "node:path";
import { format, promisify } from "node:util";
import { outcomeOf } from "../../../tools/lib/cli";
import { loadServices, teardownOrder } from "../../../tools/lib/project";
import { main } from "../../../tools/teardown";

const execute = promisify(execFile);
const ROOT = join(__dirname, "..", "..", "..");
const NO_CREDENTIALS = { AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "", AWS_PROFILE: "" };

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * tools/teardown.ts's main, as `npm run teardown -- <args>` runs it, with no
 * AWS credentials or network: a refusal must come before any AWS call, so
 * these cases prove nothing was deleted.
 */
async function teardown(...args: string[]): Promise<Result> {
  const saved = { ...process.env };
  Object.assign(process.env, NO_CREDENTIALS);
  let stdout = "";
  const log = jest.spyOn(console, "log").mockImplementation((...parts: unknown[]) => {
    stdout += `${format(...parts)}\n`;
  });
  try {
    const { code, stderr } = await outcomeOf(main, args);
    return { code: code ?? 0, stdout, stderr };
  } finally {
    log.mockRestore();
    Object.assign(process.env, saved);
  }
}

/** The same as a process of its own, for what only a process shows: its exit status and streams. */
async function teardownProcess(...args: string[]): Promise<Result> {
  try {
    const { stdout } = await execute(process.execPath, ["--import", "tsx", "tools/teardown.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, ...NO_CREDENTIALS },
    });
    return { code: 0, stdout, stderr: "" };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

test("as a process: dev without --yes prints the plan on stdout, the refusal on stderr, exits 1", async () => {
  const result = await teardownProcess("--env", "dev");
  expect(result.code).toBe(1);
  expect(result.stdout).toContain("stack meridian-dev and its nested stacks: ");
  expect(result.stderr).toContain("nothing deleted: pass --yes to delete dev");
  expect(result.stdout).not.toContain("Deleting");
});

describe("npm run teardown: confirmation", () => {
  // Every service, dependents first (web -> profile -> location -> comments -> auth -> catalog -> ops today):
  // read once for the three cases (each load parses every template).
  const order = teardownOrder(loadServices()).map((service) => service.name);

  test.each([
    "dev",
    "staging",
    "prod",
  ])("%s without --yes prints what it would delete, deletes nothing, exits non-zero", async (environment) => {
    const result = await teardown("--env", environment);
    expect(result.code).not.toBe(0);
    expect(order.slice(-3)).toEqual(["auth", "catalog", "ops"]);
    expect(result.stdout).toContain(
      `stack meridian-${environment} and its nested stacks: ${order.join(" -> ")}`,
    );
    expect(result.stdout).toContain("auth/UsersTable (AWS::DynamoDB::Table)");
    expect(result.stderr).toContain(`nothing deleted: pass --yes to delete ${environment}`);
    expect(result.stdout).not.toContain("Deleting");
  });

  test("prod with --yes alone is refused: it also needs --confirm-environment prod", async () => {
    const result = await teardown("--env", "prod", "--yes");
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("also pass --confirm-environment prod");
    expect(result.stdout).not.toContain("Deleting");
  });

  test("prod with a mistyped confirmation is refused", async () => {
    const result = await teardown("--env", "prod", "--yes", "--confirm-environment", "staging");
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("also pass --confirm-environment prod");
  });

  test("--service is gone: an environment is one stack", async () => {
    const result = await teardown("--env", "dev", "--service", "auth", "--yes");
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("Unknown option '--service'");
  });
});
