import { randomBytes, randomUUID } from "node:crypto";
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { decodeProtectedHeader } from "jose";
import { releaseTestStack, sharedTestStack, type TestStack } from "../support/local-stack";

/**
 * Rotating the token signing secret as an operator would (PutSecretValue),
 * through the whole local stack: tokens of the key just rotated out still
 * work, tokens of the key before it do not. Login and the authorizer cache
 * the keys for TokenSigningKeyCacheSeconds (1 s for `local` in
 * environments.yaml), so each step waits that long after a rotation.
 *
 * The gateway, like API Gateway, caches the authorizer's answer per token and
 * API for ReauthorizeEvery (300 s): a token is shown to location once and to
 * profile once, so each check reaches the authorizer.
 *
 * On the worker's shared stack: the files after this one log in afresh and
 * get tokens of the key it rotated in.
 */

// Named as CloudFormation names the stack's secret, without the random suffix (packages/local-stack/README.md).
const SIGNING_SECRET = "meridian-local-auth-TokenSigningSecret";
const KEY_CACHE_MS = 1_000;
const PASSWORD = "correct horse battery staple";

let stack: TestStack;
let secrets: SecretsManagerClient;

beforeAll(async () => {
  stack = await sharedTestStack();
  secrets = new SecretsManagerClient({
    endpoint: stack.awsEndpoint,
    region: stack.region,
    credentials: stack.credentials,
  });
}, 120_000);

afterAll(async () => {
  secrets?.destroy();
  await releaseTestStack(stack);
});

async function call(method: string, url: string, body: unknown, token?: string) {
  const response = await fetch(url, {
    method,
    headers: {
      "content-type": "application/json",
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function logIn(username: string): Promise<string> {
  const reply = await call("POST", `${stack.endpoints.auth}/tokens`, { username, password: PASSWORD });
  expect(reply.status).toBe(201);
  return String(reply.body.token);
}

const keyId = (token: string) => decodeProtectedHeader(token).kid;
const putLocation = (userId: string, token: string) =>
  call("PUT", `${stack.endpoints.location}/locations/${userId}`, { latitude: 1, longitude: 2 }, token);
const putProfile = (userId: string, token: string) =>
  call("PUT", `${stack.endpoints.profile}/profiles/${userId}`, { displayName: "Rotation" }, token);

async function rotate(): Promise<void> {
  await secrets.send(
    new PutSecretValueCommand({ SecretId: SIGNING_SECRET, SecretString: randomBytes(48).toString("base64") }),
  );
  await new Promise((resolve) => setTimeout(resolve, KEY_CACHE_MS + 500));
}

test("the signing secret is the template's, under the name rotated here, and has never been rotated", async () => {
  const current = await secrets.send(new GetSecretValueCommand({ SecretId: SIGNING_SECRET }));
  expect(current.ARN).toMatch(
    /^arn:aws:secretsmanager:[^:]+:\d{12}:secret:meridian-local-auth-TokenSigningSecret-\w{6}$/,
  );
  expect(current.VersionStages).toEqual(["AWSCURRENT"]);
  await expect(
    secrets.send(new GetSecretValueCommand({ SecretId: SIGNING_SECRET, VersionStage: "AWSPREVIOUS" })),
  ).rejects.toBeInstanceOf(ResourceNotFoundException);
});

test("after a rotation old tokens still work and new ones carry the new key; after a second, the oldest are refused", async () => {
  const username = `rotation-${randomUUID().slice(0, 8)}`;
  const registered = await call("POST", `${stack.endpoints.auth}/users`, { username, password: PASSWORD });
  expect(registered.status).toBe(201);
  const userId = String(registered.body.userId);
  const first = await logIn(username);

  await rotate();
  expect((await putLocation(userId, first)).status).toBe(200);
  const second = await logIn(username);
  expect(keyId(second)).not.toBe(keyId(first));
  expect((await putLocation(userId, second)).status).toBe(200);

  await rotate();
  const refused = await putProfile(userId, first);
  expect(refused.status).toBe(401);
  expect(refused.body).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
  expect((await putProfile(userId, second)).status).toBe(200);
  const third = await logIn(username);
  expect(new Set([keyId(first), keyId(second), keyId(third)]).size).toBe(3);
  expect((await putLocation(userId, third)).status).toBe(200);
}, 60_000);
