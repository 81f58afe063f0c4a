import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  APIGatewayClient,
  GetRestApiCommand,
  GetStageCommand,
  NotFoundException,
} from "@aws-sdk/client-api-gateway";
import {
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  GetFunctionCommand,
  InvokeCommand,
  LambdaClient,
  ResourceNotFoundException,
} from "@aws-sdk/client-lambda";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetParametersByPathCommand, SSMClient } from "@aws-sdk/client-ssm";
import { occupyPortDuringTests } from "../../../../tests/support/ports";
import { PortInUseError } from "../../src/errors";
import type { TestStack } from "../support/stack";
import { call, startFixtureStack } from "./fixture";

function clients(stack: TestStack) {
  const config = { region: stack.region, credentials: stack.credentials };
  return {
    dynamodb: new DynamoDBClient({ ...config, endpoint: stack.dynamodbEndpoint }),
    ssm: new SSMClient({ ...config, endpoint: stack.awsEndpoint }),
    secrets: new SecretsManagerClient({ ...config, endpoint: stack.awsEndpoint }),
  };
}

describe("deploying the templates locally", () => {
  let dataDir: string;
  let stack: TestStack | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), "meridian-stack-persist-"));
  });

  afterEach(async () => {
    await stack?.stop({ keepData: true });
    stack = undefined;
  });

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("creates the declared tables (keys, indexes, billing) and skips those whose condition is false", async () => {
    stack = await startFixtureStack({ dataDir });
    const { dynamodb } = clients(stack);
    const names = (await dynamodb.send(new ListTablesCommand({}))).TableNames;
    expect(names).toEqual(["meridian-local-alpha-ItemsTable"]);
    const table = (
      await dynamodb.send(new DescribeTableCommand({ TableName: "meridian-local-alpha-ItemsTable" }))
    ).Table;
    expect(table?.KeySchema).toEqual([
      { AttributeName: "pk", KeyType: "HASH" },
      { AttributeName: "sk", KeyType: "RANGE" },
    ]);
    expect(table?.BillingModeSummary?.BillingMode).toBe("PAY_PER_REQUEST");
    expect(table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual(["byOwner"]);
    dynamodb.destroy();
  });

  test("publishes every SSM parameter with its resolved name and value", async () => {
    stack = await startFixtureStack({ dataDir });
    const { ssm } = clients(stack);
    const result = await ssm.send(
      new GetParametersByPathCommand({ Path: "/meridian/local", Recursive: true }),
    );
    const values = Object.fromEntries(
      (result.Parameters ?? []).map((parameter) => [parameter.Name, parameter.Value]),
    );
    expect(values).toEqual({
      "/meridian/local/alpha/api/url": stack.endpoints.alpha,
      "/meridian/local/alpha/authorizer/arn":
        "arn:aws:lambda:us-east-1:000000000000:function:meridian-local-alpha-AuthorizerFunction",
      "/meridian/local/alpha/table/name": "meridian-local-alpha-ItemsTable",
    });
    ssm.destroy();
  });

  test("generates secrets (length, alphabet) and keeps them, and the data, across restarts", async () => {
    stack = await startFixtureStack({ dataDir });
    let { dynamodb, secrets } = clients(stack);
    const arn: string = (await call("GET", `${stack.endpoints.alpha}/echo`)).body.env.SECRET_ARN;
    const first = (await secrets.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString;
    expect(first).toMatch(/^[A-Za-z0-9]{40}$/);
    await dynamodb.send(
      new PutItemCommand({
        TableName: "meridian-local-alpha-ItemsTable",
        Item: { pk: { S: "kept" }, sk: { S: "1" } },
      }),
    );
    const credentials = stack.credentials;
    const echoCredentials = stack.functions["alpha/EchoFunction"]?.credentials;
    expect(echoCredentials?.accessKeyId).toMatch(/^ASIA/);
    dynamodb.destroy();
    secrets.destroy();
    await stack.stop({ keepData: true });

    stack = await startFixtureStack({ dataDir });
    ({ dynamodb, secrets } = clients(stack));
    expect(stack.credentials).toEqual(credentials);
    expect(stack.functions["alpha/EchoFunction"]?.credentials).toEqual(echoCredentials);
    expect((await secrets.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString).toBe(first);
    const item = await dynamodb.send(
      new GetItemCommand({
        TableName: "meridian-local-alpha-ItemsTable",
        Key: { pk: { S: "kept" }, sk: { S: "1" } },
      }),
    );
    expect(item.Item?.pk?.S).toBe("kept");
    dynamodb.destroy();
    secrets.destroy();
  });

  test("the DynamoDB files are the owner's only, like the secrets", async () => {
    stack = await startFixtureStack({ dataDir });
    const { dynamodb } = clients(stack);
    await dynamodb.send(
      new PutItemCommand({
        TableName: "meridian-local-alpha-ItemsTable",
        Item: { pk: { S: "a" }, sk: { S: "1" } },
      }),
    );
    dynamodb.destroy();
    await stack.stop({ keepData: true });
    const modes = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const path = join(dir, entry.name);
        const mode = `${entry.name} ${(statSync(path).mode & 0o777).toString(8)}`;
        return entry.isDirectory() ? [mode, ...modes(path)] : [mode];
      });
    const root = join(dataDir, "dynamodb");
    expect((statSync(root).mode & 0o777).toString(8)).toBe("700");
    const found = modes(root);
    expect(found.length).toBeGreaterThan(0);
    expect(found.filter((entry) => !/ (600|700)$/.test(entry))).toEqual([]);
  });

  test("reset wipes tables, secrets and credentials", async () => {
    stack = await startFixtureStack({ dataDir });
    const before = stack.credentials;
    const echoBefore = stack.functions["alpha/EchoFunction"]?.credentials;
    await stack.stop({ keepData: true });
    stack = await startFixtureStack({ dataDir, reset: true });
    const { dynamodb } = clients(stack);
    const item = await dynamodb.send(
      new GetItemCommand({
        TableName: "meridian-local-alpha-ItemsTable",
        Key: { pk: { S: "kept" }, sk: { S: "1" } },
      }),
    );
    expect(item.Item).toBeUndefined();
    expect(stack.credentials.accessKeyId).not.toBe(before.accessKeyId);
    expect(stack.functions["alpha/EchoFunction"]?.credentials.accessKeyId).not.toBe(echoBefore?.accessKeyId);
    dynamodb.destroy();
  });

  test("two stacks cannot share a data directory, nor reset one in use", async () => {
    stack = await startFixtureStack({ dataDir });
    await expect(startFixtureStack({ dataDir })).rejects.toThrow(/already used by a local stack/);
    // Not even to wipe it: the running stack's data stays.
    await expect(startFixtureStack({ dataDir, reset: true })).rejects.toThrow(
      /already used by a local stack/,
    );
    expect((await call("GET", `${stack.endpoints.alpha}/aws`)).status).toBe(200);
  });

  test("a services filter keeps the services' dependencies", async () => {
    stack = await startFixtureStack({ dataDir, services: ["beta"] });
    expect(Object.keys(stack.endpoints).sort()).toEqual(["alpha", "beta"]);
    await stack.stop({ keepData: true });
    stack = await startFixtureStack({ dataDir, services: ["alpha"] });
    expect(Object.keys(stack.endpoints)).toEqual(["alpha"]);
    await expect(startFixtureStack({ services: ["nope"] })).rejects.toThrow(/Unknown service 'nope'/);
  });

  test("invoke() runs a function directly", async () => {
    stack = await startFixtureStack({ dataDir });
    const outcome = await stack.invoke("AuthorizerFunction", {
      type: "TOKEN",
      authorizationToken: "allow someone",
      methodArn: "arn:aws:execute-api:us-east-1:000000000000:abc/local/GET/x",
    });
    expect(outcome).toMatchObject({ ok: true, payload: { principalId: "someone" } });
    const failed = await stack.invoke("alpha/AuthorizerFunction", {
      type: "TOKEN",
      authorizationToken: "boom",
      methodArn: "x/y",
    });
    expect(failed).toMatchObject({
      ok: false,
      kind: "error",
      error: { errorType: "Error", errorMessage: "boom" },
    });
  });
});

describe("Lambda and API Gateway control plane (AWS_ENDPOINT_URL_LAMBDA / _API_GATEWAY)", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startFixtureStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  test("GetFunction by name or ARN; unknown is ResourceNotFoundException", async () => {
    const lambda = new LambdaClient({
      endpoint: stack.awsEndpoint,
      region: stack.region,
      credentials: stack.credentials,
    });
    const info = stack.functions["alpha/EchoFunction"];
    for (const FunctionName of [info?.functionName, info?.arn]) {
      const { Configuration } = await lambda.send(new GetFunctionCommand({ FunctionName }));
      expect(Configuration).toMatchObject({
        FunctionName: info?.functionName,
        FunctionArn: info?.arn,
        State: "Active",
        Timeout: 5,
      });
    }
    await expect(lambda.send(new GetFunctionCommand({ FunctionName: "nope" }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    lambda.destroy();
  });

  test("Invoke returns the payload, or the error with X-Amz-Function-Error", async () => {
    const lambda = new LambdaClient({
      endpoint: stack.awsEndpoint,
      region: stack.region,
      credentials: stack.credentials,
    });
    const event = (token: string) =>
      Buffer.from(
        JSON.stringify({
          type: "TOKEN",
          authorizationToken: token,
          methodArn: "arn:aws:execute-api:us-east-1:000000000000:a/local/GET/x",
        }),
      );
    const ok = await lambda.send(
      new InvokeCommand({
        FunctionName: "meridian-local-alpha-AuthorizerFunction",
        Payload: event("allow me"),
      }),
    );
    expect(ok.FunctionError).toBeUndefined();
    expect(JSON.parse(Buffer.from(ok.Payload ?? []).toString())).toMatchObject({ principalId: "me" });
    const failed = await lambda.send(
      new InvokeCommand({ FunctionName: "meridian-local-alpha-AuthorizerFunction", Payload: event("boom") }),
    );
    expect(failed.FunctionError).toBe("Unhandled");
    expect(JSON.parse(Buffer.from(failed.Payload ?? []).toString())).toMatchObject({ errorMessage: "boom" });
    lambda.destroy();
  });

  test("GetRestApi and GetStage for a local API; unknown ones are NotFoundException", async () => {
    const apiGateway = new APIGatewayClient({
      endpoint: stack.awsEndpoint,
      region: stack.region,
      credentials: stack.credentials,
    });
    const { body } = await call("GET", `${stack.endpoints.alpha}/echo`);
    const apiId: string = body.event.requestContext.apiId;
    expect(await apiGateway.send(new GetRestApiCommand({ restApiId: apiId }))).toMatchObject({
      id: apiId,
      name: "meridian-local-alpha",
    });
    await expect(apiGateway.send(new GetRestApiCommand({ restApiId: "nope" }))).rejects.toBeInstanceOf(
      NotFoundException,
    );
    expect(
      await apiGateway.send(new GetStageCommand({ restApiId: apiId, stageName: "local" })),
    ).toMatchObject({ stageName: "local" });
    await expect(
      apiGateway.send(new GetStageCommand({ restApiId: apiId, stageName: "prod" })),
    ).rejects.toThrow("Invalid stage identifier specified");
    await expect(
      apiGateway.send(new GetStageCommand({ restApiId: "nope", stageName: "local" })),
    ).rejects.toBeInstanceOf(NotFoundException);
    apiGateway.destroy();
  });
});

describe("ports", () => {
  const taken = occupyPortDuringTests();

  test("a taken port is named, with the option that chooses another", async () => {
    const attempt = startFixtureStack({ gatewayPort: taken.port() });
    await expect(attempt).rejects.toBeInstanceOf(PortInUseError);
    await expect(attempt).rejects.toThrow(
      new RegExp(`Port ${taken.port()} \\(HTTP gateway\\) is already in use.*--port ${taken.port() + 1}`),
    );
  });

  test("every taken port is named at once", async () => {
    const attempt = startFixtureStack({
      gatewayPort: taken.port(),
      dynamodbPort: taken.port(),
      awsPort: taken.port(),
    });
    await expect(attempt).rejects.toThrow(
      /Ports .*DynamoDB.*AWS endpoint.*HTTP gateway.* are already in use/,
    );
  });

  test("everything listens on 127.0.0.1 only", async () => {
    expect.hasAssertions();
    const stack = await startFixtureStack();
    try {
      for (const url of [stack.gatewayUrl, stack.dynamodbEndpoint, stack.awsEndpoint])
        expect(new URL(url).hostname).toBe("127.0.0.1");
    } finally {
      await stack.stop();
    }
  });
});
