import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getSecret } from "@aws-lambda-powertools/parameters/secrets";
import { getParameter, getParameters, getParametersByName } from "@aws-lambda-powertools/parameters/ssm";
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import {
  DeleteParameterCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
  paginateGetParametersByPath,
  SSMClient,
} from "@aws-sdk/client-ssm";
import { SecretsManagerSigningKeySource } from "../../../../src/auth/adapters/secrets-signing-key-source";
import { signingKeyFrom } from "../../../../src/auth/domain/signing-key";
import { LocalCallers } from "../../src/iam/callers";
import { type AwsEndpoint, startAwsEndpoint } from "../../src/services/aws-endpoint";

/** The real SDK clients and Powertools Parameters against the local SSM / Secrets Manager endpoint. */

const credentials = { accessKeyId: "AKIALOCALTEST", secretAccessKey: "local-secret" };
// The endpoint accepts signatures by these credentials only (the operator's, in a stack).
const callers = new LocalCallers(credentials);

/** An endpoint over `dir` as the stack starts one, on an ephemeral port. */
const endpointOn = (dir: string) =>
  startAwsEndpoint({
    port: 0,
    dataDir: dir,
    region: "us-east-1",
    accountId: "000000000000",
    callers,
    log: () => {},
  });
let endpoint: AwsEndpoint;
let dataDir: string;
let ssm: SSMClient;
let secrets: SecretsManagerClient;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "meridian-aws-endpoint-"));
  endpoint = await endpointOn(dataDir);
  ssm = new SSMClient({ endpoint: endpoint.url, region: "us-east-1", credentials });
  secrets = new SecretsManagerClient({ endpoint: endpoint.url, region: "us-east-1", credentials });
  // What Lambda functions get from the local stack: the standard endpoint variables, no code change.
  process.env.AWS_ENDPOINT_URL_SSM = endpoint.url;
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = endpoint.url;
  process.env.AWS_REGION = "us-east-1";
  process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
  endpoint.secrets.ensure({
    name: "meridian-local-auth-TokenSigningSecret",
    arn: "arn:aws:secretsmanager:us-east-1:000000000000:secret:meridian-local-auth-TokenSigningSecret-AbC123",
    secretString: "s3cr3t",
  });
});

afterAll(async () => {
  ssm?.destroy();
  secrets?.destroy();
  await endpoint?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("SSM with @aws-sdk/client-ssm", () => {
  test("PutParameter creates version 1; Overwrite increments; without Overwrite it is ParameterAlreadyExists", async () => {
    const name = "/meridian/local/test/put/value";
    expect(
      (await ssm.send(new PutParameterCommand({ Name: name, Value: "one", Type: "String" }))).Version,
    ).toBe(1);
    await expect(
      ssm.send(new PutParameterCommand({ Name: name, Value: "two", Type: "String" })),
    ).rejects.toBeInstanceOf(ParameterAlreadyExists);
    expect(
      (await ssm.send(new PutParameterCommand({ Name: name, Value: "two", Overwrite: true }))).Version,
    ).toBe(2);
    const got = await ssm.send(new GetParameterCommand({ Name: name }));
    expect(got.Parameter).toMatchObject({
      Name: name,
      Value: "two",
      Type: "String",
      Version: 2,
      ARN: `arn:aws:ssm:us-east-1:000000000000:parameter${name}`,
    });
    expect(got.Parameter?.LastModifiedDate).toBeInstanceOf(Date);
  });

  test("GetParameter by ARN and with a version selector", async () => {
    const name = "/meridian/local/test/arn/value";
    await ssm.send(new PutParameterCommand({ Name: name, Value: "v", Type: "String" }));
    const byArn = await ssm.send(
      new GetParameterCommand({ Name: `arn:aws:ssm:us-east-1:000000000000:parameter${name}` }),
    );
    expect(byArn.Parameter?.Value).toBe("v");
    expect((await ssm.send(new GetParameterCommand({ Name: `${name}:1` }))).Parameter?.Value).toBe("v");
    await expect(ssm.send(new GetParameterCommand({ Name: `${name}:7` }))).rejects.toThrow(/version 7/);
  });

  test("a missing parameter is ParameterNotFound (the SDK's modeled error)", async () => {
    const error = await ssm
      .send(new GetParameterCommand({ Name: "/meridian/local/none" }))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ParameterNotFound);
    expect((error as ParameterNotFound).$metadata.httpStatusCode).toBe(400);
  });

  test("GetParameters returns found and invalid names", async () => {
    await ssm.send(
      new PutParameterCommand({ Name: "/meridian/local/test/many/a", Value: "A", Type: "String" }),
    );
    const result = await ssm.send(
      new GetParametersCommand({
        Names: ["/meridian/local/test/many/a", "/meridian/local/test/many/missing"],
      }),
    );
    expect(result.Parameters?.map((parameter) => parameter.Value)).toEqual(["A"]);
    expect(result.InvalidParameters).toEqual(["/meridian/local/test/many/missing"]);
  });

  test("GetParametersByPath: direct children, Recursive, and pagination", async () => {
    for (let index = 0; index < 13; index++) {
      await ssm.send(
        new PutParameterCommand({
          Name: `/meridian/local/tree/leaf${String(index).padStart(2, "0")}`,
          Value: String(index),
          Type: "String",
        }),
      );
    }
    await ssm.send(
      new PutParameterCommand({ Name: "/meridian/local/tree/sub/deep", Value: "deep", Type: "String" }),
    );
    const firstPage = await ssm.send(
      new GetParametersByPathCommand({ Path: "/meridian/local/tree", MaxResults: 10 }),
    );
    expect(firstPage.Parameters).toHaveLength(10);
    expect(firstPage.NextToken).toBeDefined();
    const shallow: string[] = [];
    for await (const page of paginateGetParametersByPath({ client: ssm }, { Path: "/meridian/local/tree" })) {
      shallow.push(...(page.Parameters ?? []).map((parameter) => parameter.Name ?? ""));
    }
    expect(shallow).toHaveLength(13);
    expect(shallow).not.toContain("/meridian/local/tree/sub/deep");
    const deep: string[] = [];
    for await (const page of paginateGetParametersByPath(
      { client: ssm },
      { Path: "/meridian/local/tree/", Recursive: true },
    )) {
      deep.push(...(page.Parameters ?? []).map((parameter) => parameter.Name ?? ""));
    }
    expect(deep).toHaveLength(14);
    expect(deep).toContain("/meridian/local/tree/sub/deep");
  });

  test("SecureString values need WithDecryption", async () => {
    const name = "/meridian/local/test/secure";
    await ssm.send(new PutParameterCommand({ Name: name, Value: "hidden", Type: "SecureString" }));
    expect((await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value).not.toBe("hidden");
    expect(
      (await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter?.Value,
    ).toBe("hidden");
  });

  test("DeleteParameter; deleting again is ParameterNotFound", async () => {
    const name = "/meridian/local/test/delete";
    await ssm.send(new PutParameterCommand({ Name: name, Value: "x", Type: "String" }));
    await ssm.send(new DeleteParameterCommand({ Name: name }));
    await expect(ssm.send(new GetParameterCommand({ Name: name }))).rejects.toBeInstanceOf(ParameterNotFound);
    await expect(ssm.send(new DeleteParameterCommand({ Name: name }))).rejects.toBeInstanceOf(
      ParameterNotFound,
    );
  });

  test("invalid names are ValidationException", async () => {
    await expect(
      ssm.send(new PutParameterCommand({ Name: "no spaces allowed", Value: "x", Type: "String" })),
    ).rejects.toThrow();
    await expect(
      ssm.send(new PutParameterCommand({ Name: "/aws/reserved", Value: "x", Type: "String" })),
    ).rejects.toThrow(/prefixed/);
  });

  test("an unknown operation is an AWS-shaped 400", async () => {
    const response = await fetch(endpoint.url, {
      method: "POST",
      headers: { "X-Amz-Target": "AmazonSSM.SendCommand", "Content-Type": "application/x-amz-json-1.1" },
      body: "{}",
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      __type: "UnknownOperationException",
      message: expect.any(String),
    });
  });

  test("parameters persist in the data directory", async () => {
    await ssm.send(
      new PutParameterCommand({ Name: "/meridian/local/test/persisted", Value: "kept", Type: "String" }),
    );
    const second = await endpointOn(dataDir);
    try {
      expect(second.parameters.get("/meridian/local/test/persisted").value).toBe("kept");
    } finally {
      await second.close();
    }
  });
});

describe("Secrets Manager with @aws-sdk/client-secrets-manager", () => {
  test("GetSecretValue by ARN, partial ARN and name", async () => {
    expect.hasAssertions();
    const arn =
      "arn:aws:secretsmanager:us-east-1:000000000000:secret:meridian-local-auth-TokenSigningSecret-AbC123";
    for (const SecretId of [arn, arn.slice(0, -7), "meridian-local-auth-TokenSigningSecret"]) {
      const result = await secrets.send(new GetSecretValueCommand({ SecretId }));
      expect(result).toMatchObject({
        ARN: arn,
        Name: "meridian-local-auth-TokenSigningSecret",
        SecretString: "s3cr3t",
      });
      expect(result.VersionStages).toEqual(["AWSCURRENT"]);
    }
  });

  test("a missing secret is ResourceNotFoundException", async () => {
    await expect(secrets.send(new GetSecretValueCommand({ SecretId: "nope" }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(
      secrets.send(new PutSecretValueCommand({ SecretId: "nope", SecretString: "x" })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  test("PutSecretValue makes the new value AWSCURRENT and moves AWSPREVIOUS to the value it replaced", async () => {
    const SecretId = newSecret("one");
    const first = await secrets.send(new GetSecretValueCommand({ SecretId }));
    expect(first).toMatchObject({ SecretString: "one", VersionStages: ["AWSCURRENT"] });
    expect(first.CreatedDate).toBeInstanceOf(Date);

    const put = await secrets.send(new PutSecretValueCommand({ SecretId, SecretString: "two" }));
    expect(put).toMatchObject({ Name: SecretId, VersionStages: ["AWSCURRENT"] });
    expect(put.VersionId).not.toBe(first.VersionId);
    expect(await stage(SecretId, "AWSCURRENT")).toEqual(["two", ["AWSCURRENT"]]);
    expect(await stage(SecretId, "AWSPREVIOUS")).toEqual(["one", ["AWSPREVIOUS"]]);

    await secrets.send(new PutSecretValueCommand({ SecretId, SecretString: "three" }));
    expect(await stage(SecretId, "AWSCURRENT")).toEqual(["three", ["AWSCURRENT"]]);
    expect(await stage(SecretId, "AWSPREVIOUS")).toEqual(["two", ["AWSPREVIOUS"]]);
    // Two rotations on, the first value has no label left, but its VersionId still reads it.
    const byId = await secrets.send(new GetSecretValueCommand({ SecretId, VersionId: first.VersionId }));
    expect(byId).toMatchObject({ SecretString: "one", VersionStages: [] });
    await expect(
      secrets.send(
        new GetSecretValueCommand({ SecretId, VersionId: first.VersionId, VersionStage: "AWSCURRENT" }),
      ),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  test("a stage no version carries, and an unknown VersionId, are ResourceNotFoundException", async () => {
    expect.hasAssertions();
    const SecretId = newSecret("only");
    for (const input of [
      { VersionStage: "AWSPREVIOUS" },
      { VersionStage: "AWSPENDING" },
      { VersionId: randomUUID() },
    ]) {
      const error = await secrets
        .send(new GetSecretValueCommand({ SecretId, ...input }))
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ResourceNotFoundException);
      expect((error as Error).message).toMatch(
        /can't find the specified secret value for (staging label|VersionId)/,
      );
      expect((error as ResourceNotFoundException).$metadata.httpStatusCode).toBe(400);
    }
  });

  test("VersionStages given: only those labels move, AWSCURRENT stays", async () => {
    const SecretId = newSecret("live");
    await secrets.send(
      new PutSecretValueCommand({ SecretId, SecretString: "pending", VersionStages: ["AWSPENDING"] }),
    );
    expect(await stage(SecretId, "AWSCURRENT")).toEqual(["live", ["AWSCURRENT"]]);
    expect(await stage(SecretId, "AWSPENDING")).toEqual(["pending", ["AWSPENDING"]]);
    await expect(
      secrets.send(new GetSecretValueCommand({ SecretId, VersionStage: "AWSPREVIOUS" })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  test("ClientRequestToken: a retry changes nothing; another value under the same token is ResourceExistsException", async () => {
    const SecretId = newSecret("before");
    const ClientRequestToken = randomUUID();
    const put = () =>
      secrets.send(new PutSecretValueCommand({ SecretId, SecretString: "after", ClientRequestToken }));
    expect((await put()).VersionId).toBe(ClientRequestToken);
    expect((await put()).VersionId).toBe(ClientRequestToken);
    expect(await stage(SecretId, "AWSPREVIOUS")).toEqual(["before", ["AWSPREVIOUS"]]);
    await expect(
      secrets.send(new PutSecretValueCommand({ SecretId, SecretString: "other", ClientRequestToken })),
    ).rejects.toBeInstanceOf(ResourceExistsException);
    expect(await stage(SecretId, "AWSCURRENT")).toEqual(["after", ["AWSCURRENT"]]);
  });

  test("versions and their stages persist in the data directory", async () => {
    const SecretId = newSecret("kept-1");
    await secrets.send(new PutSecretValueCommand({ SecretId, SecretString: "kept-2" }));
    const second = await endpointOn(dataDir);
    const client = new SecretsManagerClient({ endpoint: second.url, region: "us-east-1", credentials });
    try {
      expect(await stage(SecretId, "AWSCURRENT", client)).toEqual(["kept-2", ["AWSCURRENT"]]);
      expect(await stage(SecretId, "AWSPREVIOUS", client)).toEqual(["kept-1", ["AWSPREVIOUS"]]);
    } finally {
      client.destroy();
      await second.close();
    }
  });

  test("a data directory from before versions were kept reads as one AWSCURRENT version", async () => {
    const oldDataDir = mkdtempSync(join(tmpdir(), "meridian-aws-endpoint-old-"));
    const arn = "arn:aws:secretsmanager:us-east-1:000000000000:secret:meridian-local-old-Secret-XyZ789";
    writeFileSync(
      join(oldDataDir, "secrets.json"),
      JSON.stringify([
        {
          name: "meridian-local-old-Secret",
          arn,
          versionId: "11111111-2222-3333-4444-555555555555",
          secretString: "from-before",
          createdDate: Date.UTC(2025, 0, 1),
        },
      ]),
    );
    const old = await endpointOn(oldDataDir);
    const client = new SecretsManagerClient({ endpoint: old.url, region: "us-east-1", credentials });
    try {
      expect(await client.send(new GetSecretValueCommand({ SecretId: arn }))).toMatchObject({
        SecretString: "from-before",
        VersionId: "11111111-2222-3333-4444-555555555555",
        VersionStages: ["AWSCURRENT"],
      });
      await client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: "rotated" }));
      expect(await stage(arn, "AWSPREVIOUS", client)).toEqual(["from-before", ["AWSPREVIOUS"]]);
    } finally {
      client.destroy();
      await old.close();
      rmSync(oldDataDir, { recursive: true, force: true });
    }
  });
});

/** A secret of its own for one test, as a template's would be created; returns its name. */
function newSecret(value: string): string {
  const name = `meridian-local-test-${randomUUID().slice(0, 8)}`;
  endpoint.secrets.ensure({
    name,
    arn: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}-AbC123`,
    secretString: value,
  });
  return name;
}

/** The value and stages of the version carrying `versionStage`. */
async function stage(
  SecretId: string,
  VersionStage: string,
  client = secrets,
): Promise<[string | undefined, string[] | undefined]> {
  const result = await client.send(new GetSecretValueCommand({ SecretId, VersionStage }));
  return [result.SecretString, result.VersionStages];
}

describe("Powertools Parameters through AWS_ENDPOINT_URL_SSM / _SECRETS_MANAGER", () => {
  test("getParameter, getParameters (by path), getParametersByName", async () => {
    await ssm.send(new PutParameterCommand({ Name: "/meridian/local/pt/one", Value: "1", Type: "String" }));
    await ssm.send(new PutParameterCommand({ Name: "/meridian/local/pt/two", Value: "2", Type: "String" }));
    await ssm.send(
      new PutParameterCommand({ Name: "/meridian/local/pt/json", Value: '{"a":1}', Type: "String" }),
    );
    expect(await getParameter("/meridian/local/pt/one")).toBe("1");
    expect(await getParameter("/meridian/local/pt/json", { transform: "json" })).toEqual({ a: 1 });
    expect(await getParameters("/meridian/local/pt")).toEqual({ one: "1", two: "2", json: '{"a":1}' });
    expect(await getParametersByName({ "/meridian/local/pt/one": {}, "/meridian/local/pt/two": {} })).toEqual(
      {
        "/meridian/local/pt/one": "1",
        "/meridian/local/pt/two": "2",
      },
    );
  });

  test("getParameter caches for maxAge, then sees the new value", async () => {
    const name = "/meridian/local/pt/cached";
    await ssm.send(new PutParameterCommand({ Name: name, Value: "old", Type: "String" }));
    expect(await getParameter(name, { maxAge: 1 })).toBe("old");
    await ssm.send(new PutParameterCommand({ Name: name, Value: "new", Overwrite: true }));
    expect(await getParameter(name, { maxAge: 1 })).toBe("old");
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await getParameter(name, { maxAge: 1 })).toBe("new");
  });

  test("getSecret", async () => {
    expect(await getSecret("meridian-local-auth-TokenSigningSecret")).toBe("s3cr3t");
  });

  test("auth's signing key source: AWSCURRENT, and AWSPREVIOUS once there is one", async () => {
    const key = (value: string) => signingKeyFrom(new TextEncoder().encode(value));
    const SecretId = newSecret("a".repeat(64));
    const source = new SecretsManagerSigningKeySource(new SecretsManagerClient({}), SecretId, 300);
    await expect(source.signingKeys()).resolves.toEqual({ current: key("a".repeat(64)) });

    await secrets.send(new PutSecretValueCommand({ SecretId, SecretString: "b".repeat(64) }));
    await expect(source.signingKeys()).resolves.toEqual({ current: key("a".repeat(64)) });
    await expect(source.signingKeys({ refresh: true })).resolves.toEqual({
      current: key("b".repeat(64)),
      previous: key("a".repeat(64)),
    });
  });
});
