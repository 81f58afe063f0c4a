import { main } from "../../../tools/deploy";
import { outcomeOf } from "../../../tools/lib/cli";

/**
 * tools/deploy.ts's main as `npm run deploy -- <args>` runs it (the exit code
 * and stderr runMain would give; bad-arguments runs deploy as a real process);
 * these cases all stop before any AWS call.
 */
async function deploy(...args: string[]): Promise<{ code: number; stderr: string }> {
  const saved = process.env.MERIDIAN_ARTIFACT_BUCKET;
  process.env.MERIDIAN_ARTIFACT_BUCKET = "";
  try {
    const { code, stderr } = await outcomeOf(main, args);
    return { code: code ?? 0, stderr };
  } finally {
    if (saved === undefined) delete process.env.MERIDIAN_ARTIFACT_BUCKET;
    else process.env.MERIDIAN_ARTIFACT_BUCKET = saved;
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
