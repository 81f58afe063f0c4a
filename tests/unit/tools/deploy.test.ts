import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const ROOT = join(__dirname, "..", "..", "..");

/** Runs tools/deploy.ts; these cases all stop before any AWS call. */
async function deploy(...args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, ["--import", "tsx", "tools/deploy.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, MERIDIAN_ARTIFACT_BUCKET: "" },
    });
    return { code: 0, stderr: "" };
  } catch (error) {
    const failure = error as { code: number; stderr: string };
    return { code: failure.code, stderr: failure.stderr };
  }
}

describe("npm run deploy: approval", () => {
  test("an environment that requires approval points at --preview, then --approve", async () => {
    const result = await deploy("--env", "prod", "--bucket", "b");
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      "environment 'prod' requires approval: review the changes with --preview, then deploy with --approve",
    );
  });

  test("--preview and --approve exclude each other", async () => {
    const result = await deploy("--env", "prod", "--preview", "--approve", "--bucket", "b");
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("--preview and --approve exclude each other");
  });
});
