import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createTokenIssuer } from "../../../../src/auth/domain/tokens";
import { ROOT } from "../../../../tools/lib/project";
import { captureOutput, lambdaContext, proxyEvent } from "../../../support/handler-test";
import { FixedSigningKeySource } from "../../auth/fakes";
import { authFunctions } from "../../auth/functions";

// Real values of the kind that must never reach a log line. The key is the
// one the functions read from Secrets Manager; the token is signed with it.
const SIGNING_KEY = "Zq8vN2kLp4Rt7Wx1Yc5Bd9Fg3Hj6Km0Qs2Uv4Xz8Ae1Ci5Eo7Gu9Iw3Ly6Nb0Pd4T";
const PASSWORD = "correct horse battery staple";
const METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/test/PUT/profiles/user-1";

const keySource = new FixedSigningKeySource(new TextEncoder().encode(SIGNING_KEY));

async function issue(username: string, ttlSeconds: number, clock?: () => number): Promise<string> {
  return (
    await createTokenIssuer({ keys: keySource, ttlSeconds, clock }).issue({
      userId: `id-${username}`,
      username,
    })
  ).token;
}

/** Auth's functions at DEBUG, the most verbose level any environment uses. */
async function load() {
  const parts = authFunctions({ maxAttempts: 2, signingKey: SIGNING_KEY });
  const passwordHash = await parts.hasher.hash(PASSWORD);
  parts.answerLogins(
    [{ pk: "USER#alice", userId: "id-alice", username: "alice", passwordHash, createdAt: "x" }],
    "carol",
  );
  return { ...parts, passwordHash };
}

describe("no secret, password or token in any log line", () => {
  const output = captureOutput();

  test("login: success, wrong password, unknown user, lock-out and a malformed body", async () => {
    const auth = await load();
    const login = (body: unknown) =>
      auth.login(proxyEvent({ method: "POST", resource: "/tokens", body }), lambdaContext("login"));

    const issued = await login({ username: "alice", password: PASSWORD });
    expect(issued.statusCode).toBe(201);
    const token = String(JSON.parse(issued.body).token);
    expect((await login({ username: "alice", password: `${PASSWORD}!` })).statusCode).toBe(401);
    expect((await login({ username: "mallory", password: PASSWORD })).statusCode).toBe(401);
    expect((await login({ username: "carol", password: PASSWORD })).statusCode).toBe(429);
    expect((await login({ username: "alice", password: PASSWORD, extra: true })).statusCode).toBe(400);

    const logged = output.chunks().join("");
    // The capture saw the function's output, so an absence below means something.
    expect(logged).toContain('"message":"Request completed"');
    expect(logged).toContain('"LoginSucceeded"');
    expect(logged).not.toContain(PASSWORD);
    expect(logged).not.toContain(token);
    expect(logged).not.toContain(token.split(".")[2] ?? token);
    expect(logged).not.toContain(SIGNING_KEY);
    expect(logged).not.toContain(auth.passwordHash);
  });

  test("authorizer: allowed, forged, expired and malformed tokens, and an unreadable key", async () => {
    const auth = await load();
    const authorize = (authorizationToken: string) =>
      auth.authorizer(
        { type: "TOKEN", authorizationToken, methodArn: METHOD_ARN },
        lambdaContext("authorizer"),
      );

    const token = await issue("alice", 300);
    const expired = await issue("alice", 60, () => Date.now() - 3_600_000);
    const forged = `${token.slice(0, token.lastIndexOf(".") + 1)}${"A".repeat(43)}`;
    await expect(authorize(`Bearer ${token}`)).resolves.toMatchObject({ principalId: "id-alice" });
    for (const rejected of [`Bearer ${forged}`, `Bearer ${expired}`, `Bearer ${token.slice(0, -3)}`, token]) {
      await expect(authorize(rejected)).rejects.toThrow(/^Unauthorized$/);
    }
    const logged = output.chunks().join("");
    expect(logged).toContain('"message":"Token denied"');
    expect(logged).toContain('"AuthorizerDenied"');
    for (const secret of [token, expired, forged, SIGNING_KEY, token.split(".")[2] ?? token]) {
      expect(logged).not.toContain(secret);
    }

    // A fresh environment whose key read fails logs the failure, not the token.
    const broken = await load();
    broken.failSecretReads();
    output.clear();
    const fresh = await issue("alice", 300);
    await expect(
      broken.authorizer(
        { type: "TOKEN", authorizationToken: `Bearer ${fresh}`, methodArn: METHOD_ARN },
        lambdaContext("authorizer"),
      ),
    ).rejects.toThrow();
    const failure = output.chunks().join("");
    expect(failure).toContain('"message":"Authorizer failed"');
    expect(failure).not.toContain(fresh);
    expect(failure).not.toContain(SIGNING_KEY);
  });
});

describe("functions log through Powertools only", () => {
  function sources(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return sources(path);
      return entry.name.endsWith(".ts") ? [path] : [];
    });
  }

  test("no console.* anywhere under src (biome's noConsole says the same for edits)", () => {
    const offenders = sources(join(ROOT, "src")).filter((path) =>
      /\bconsole\.(log|info|warn|error|debug|trace)\(/.test(readFileSync(path, "utf8")),
    );
    expect(offenders).toEqual([]);
  });
});
