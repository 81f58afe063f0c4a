import { Sha256 } from "@aws-crypto/sha256-js";
import { APIGatewayClient, GetRestApiCommand, GetStageCommand } from "@aws-sdk/client-api-gateway";
import { DynamoDBClient, GetItemCommand, ListTablesCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { GetFunctionCommand, InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetParameterCommand, PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import type { LocalFunctionInfo } from "@meridian/local-stack";
import { SignatureV4 } from "@smithy/signature-v4";
import { poll } from "../../tools/lib/cli";
import { releaseTestStack, sharedTestStack, type TestStack } from "../support/local-stack";

// Polls for cold starts on a loaded machine wait up to 20 s each; the test's own timeout must not cut them short.
jest.setTimeout(60_000);

/*
 * Each function's identity policy (its template's Policies), enforced on the
 * AWS calls it makes locally: DynamoDB through the signature-checking proxy,
 * SSM and Secrets Manager, Lambda and API Gateway. A function's own
 * credentials act as that function; the operator's are exempt.
 */

type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

let stack: TestStack;
const ACCOUNT = "000000000000";
const tableArn = (service: string, logicalId: string) =>
  `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/meridian-local-${service}-${logicalId}`;

beforeAll(async () => {
  stack = await sharedTestStack();
}, 120_000);

afterAll(() => releaseTestStack(stack));

afterAll(async () => {});

function fn(id: string): LocalFunctionInfo {
  const found = stack.functions[id];
  if (!found) throw new Error(`no function ${id}; known: ${Object.keys(stack.functions).join(", ")}`);
  return found;
}

/** What a function's session looks like to IAM (Lambda names the session after the function). */
function sessionArn(id: string): string {
  const info = fn(id);
  const roleName = info.roleArn.split("/").pop();
  return `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/${info.functionName}`;
}

const clients: Array<{ destroy(): void }> = [];
function client<T extends { destroy(): void }>(
  Client: new (config: object) => T,
  endpoint: string,
  credentials: Credentials = stack.credentials,
): T {
  const made = new Client({ endpoint, region: stack.region, credentials, maxAttempts: 1 });
  clients.push(made);
  return made;
}
afterAll(() => {
  for (const made of clients) made.destroy();
});

async function failure(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the call to fail");
}

/** An API's id, from the ARN parameter its service publishes. */
async function apiId(service: string): Promise<string> {
  const ssm = client(SSMClient, stack.awsEndpoint);
  const { Parameter } = await ssm.send(
    new GetParameterCommand({ Name: `/meridian/local/${service}/api/arn` }),
  );
  const id = /:([a-z0-9]{10})\/local$/.exec(Parameter?.Value ?? "")?.[1];
  if (!id) throw new Error(`no API id in ${Parameter?.Value}`);
  return id;
}

/** A raw AWS JSON request, signed (or not) for `service`, to see the wire shape of the answer. */
async function rawAwsCall(
  endpoint: string,
  service: string,
  target: string,
  body: unknown,
  credentials: Credentials | undefined,
  contentType = "application/x-amz-json-1.0",
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const url = new URL(endpoint);
  const payload = JSON.stringify(body);
  let headers: Record<string, string> = {
    host: url.host,
    "content-type": contentType,
    "x-amz-target": target,
  };
  if (credentials) {
    const signer = new SignatureV4({ service, region: stack.region, credentials, sha256: Sha256 });
    const signed = await signer.sign({
      method: "POST",
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: "/",
      headers,
      body: payload,
    });
    headers = signed.headers as Record<string, string>;
  }
  const response = await fetch(url, { method: "POST", headers, body: payload });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe("the templates' policies cover what the services do", () => {
  test("sign-up, login, location, profile, and every registrar's run: nothing is denied", async () => {
    const from = stack.logs.length;
    const json = { "content-type": "application/json" };
    const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(url, { method: "POST", headers: { ...json, ...headers }, body: JSON.stringify(body) });
    const put = (url: string, body: unknown, headers: Record<string, string>) =>
      fetch(url, { method: "PUT", headers: { ...json, ...headers }, body: JSON.stringify(body) });
    const credentials = {
      username: `iam-${Date.now().toString(36)}`,
      password: "correct horse battery staple",
    };
    const user = await post(`${stack.endpoints.auth}/users`, credentials);
    expect(user.status).toBe(201);
    const { userId } = (await user.json()) as { userId: string };
    // A wrong password first: Login counts it (UpdateItem) and reads the lock-out policy (SSM).
    expect(
      (await post(`${stack.endpoints.auth}/tokens`, { ...credentials, password: "wrong password!" })).status,
    ).toBe(401);
    const login = await post(`${stack.endpoints.auth}/tokens`, credentials);
    expect(login.status).toBe(201);
    const bearer = { Authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
    const at = { latitude: 48.858844, longitude: 2.294351 };
    expect((await put(`${stack.endpoints.location}/locations/${userId}`, at, bearer)).status).toBe(200);
    expect(
      (await put(`${stack.endpoints.profile}/profiles/${userId}`, { displayName: "Iam" }, bearer)).status,
    ).toBe(200);
    const deniedSoFar = () => stack.logs.slice(from).filter((entry) => / denied: /.test(entry.message));
    // Cold starts on a loaded machine can outlast a lookup's or a registration's deadline (the
    // services then degrade or retry by design); a denial is never waited out.
    const read = await poll("profile to show the location", async () => {
      expect(deniedSoFar()).toEqual([]);
      const body = (await (await fetch(`${stack.endpoints.profile}/profiles/${userId}`)).json()) as Record<
        string,
        unknown
      >;
      return body.locationStatus === "unavailable" ? undefined : body;
    });
    expect(read).toMatchObject({ location: { latitude: 48.86, longitude: 2.29 } });
    const runs = await poll("every registrar to register", async () => {
      expect(deniedSoFar()).toEqual([]);
      const attempt = await stack.runSchedules();
      return attempt.every((run) => run.outcome.ok) ? attempt : undefined;
    });
    expect(runs.length).toBeGreaterThanOrEqual(4);
    for (const run of runs) {
      expect({
        id: run.functionId,
        outcome: run.outcome.ok ? run.outcome.payload : run.outcome.error,
      }).toEqual({
        id: run.functionId,
        outcome: expect.objectContaining({ action: "registered", status: "healthy" }),
      });
    }
    expect(deniedSoFar()).toEqual([]);
    // Nothing the templates declare needed a warning: every policy is a plain Statement document.
    const warnings = stack.logs.filter((entry) => entry.source === "stack" && entry.level === "WARN");
    expect(warnings).toEqual([]);
  });
});

describe("DynamoDB: a function may use what its policy names, and nothing else", () => {
  const getProfile = "profile/GetProfileFunction";
  const key = { userId: { S: "nobody" } };

  test("GetItem on its own table works; on another service's table it is AccessDeniedException", async () => {
    const dynamodb = client(DynamoDBClient, stack.dynamodbEndpoint, fn(getProfile).credentials);
    const own = await dynamodb.send(
      new GetItemCommand({ TableName: "meridian-local-profile-ProfilesTable", Key: key }),
    );
    expect(own.Item).toBeUndefined();

    const error = await failure(
      dynamodb.send(
        new GetItemCommand({ TableName: "meridian-local-auth-UsersTable", Key: { pk: { S: "USER#x" } } }),
      ),
    );
    expect(error.name).toBe("AccessDeniedException");
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(error.message).toBe(
      `User: ${sessionArn(getProfile)} is not authorized to perform: dynamodb:GetItem on resource: ` +
        `${tableArn("auth", "UsersTable")} because no identity-based policy allows the dynamodb:GetItem action`,
    );
  });

  test("an action its policy does not grant, on its own table, is denied too", async () => {
    const dynamodb = client(DynamoDBClient, stack.dynamodbEndpoint, fn(getProfile).credentials);
    const error = await failure(
      dynamodb.send(
        new PutItemCommand({
          TableName: "meridian-local-profile-ProfilesTable",
          Item: { userId: { S: "x" } },
        }),
      ),
    );
    expect(error.name).toBe("AccessDeniedException");
    expect(error.message).toMatch(/because no identity-based policy allows the dynamodb:PutItem action$/);
    // Nothing was written.
    const operator = client(DynamoDBClient, stack.dynamodbEndpoint);
    const read = await operator.send(
      new GetItemCommand({ TableName: "meridian-local-profile-ProfilesTable", Key: { userId: { S: "x" } } }),
    );
    expect(read.Item).toBeUndefined();
  });

  test("the denial on the wire: HTTP 400, DynamoDB's __type and x-amzn-ErrorType", async () => {
    const reply = await rawAwsCall(
      stack.dynamodbEndpoint,
      "dynamodb",
      "DynamoDB_20120810.GetItem",
      { TableName: "meridian-local-location-LocationsTable", Key: { userId: { S: "u" } } },
      fn(getProfile).credentials,
    );
    expect(reply.status).toBe(400);
    expect(reply.headers.get("x-amzn-errortype")).toBe("com.amazon.coral.service#AccessDeniedException");
    expect(reply.body).toEqual({
      __type: "com.amazon.coral.service#AccessDeniedException",
      Message: `User: ${sessionArn(getProfile)} is not authorized to perform: dynamodb:GetItem on resource: ${tableArn("location", "LocationsTable")} because no identity-based policy allows the dynamodb:GetItem action`,
    });
    const denial = stack.logs.findLast((entry) => entry.message.startsWith("DynamoDB GetItem denied"));
    expect(denial?.fields).toMatchObject({ function: getProfile });
  });

  test("the operator may do everything", async () => {
    const dynamodb = client(DynamoDBClient, stack.dynamodbEndpoint);
    const tables = (await dynamodb.send(new ListTablesCommand({}))).TableNames ?? [];
    expect(tables).toEqual(
      expect.arrayContaining(["meridian-local-auth-UsersTable", "meridian-local-profile-ProfilesTable"]),
    );
    for (const TableName of tables) {
      const schema: Record<string, { S: string }> = TableName.endsWith("UsersTable")
        ? { pk: { S: "none" } }
        : TableName.endsWith("ServicesTable")
          ? { name: { S: "none" }, version: { S: "none" } }
          : TableName.endsWith("CommentsTable")
            ? { profileUserId: { S: "none" }, commentId: { S: "none" } }
            : { userId: { S: "none" } };
      await expect(dynamodb.send(new GetItemCommand({ TableName, Key: schema }))).resolves.toBeDefined();
    }
  });

  test("unsigned, unknown key, wrong secret, missing session token: DynamoDB's own errors", async () => {
    const get = { TableName: "meridian-local-profile-ProfilesTable", Key: key };
    const target = "DynamoDB_20120810.GetItem";
    const unsigned = await rawAwsCall(stack.dynamodbEndpoint, "dynamodb", target, get, undefined);
    expect(unsigned.status).toBe(400);
    expect(unsigned.body).toEqual({
      __type: "com.amazon.coral.service#MissingAuthenticationTokenException",
      message: "Request is missing Authentication Token",
    });
    const unknown = await rawAwsCall(stack.dynamodbEndpoint, "dynamodb", target, get, {
      accessKeyId: "AKIAUNKNOWNKEY000000",
      secretAccessKey: "whatever",
    });
    expect(unknown.body).toEqual({
      __type: "com.amazon.coral.service#UnrecognizedClientException",
      message: "The security token included in the request is invalid.",
    });
    const wrongSecret = await rawAwsCall(stack.dynamodbEndpoint, "dynamodb", target, get, {
      ...stack.credentials,
      secretAccessKey: "not-the-secret",
    });
    expect(wrongSecret.status).toBe(400);
    expect(wrongSecret.body.__type).toBe("com.amazon.coral.service#InvalidSignatureException");
    const { sessionToken: _token, ...withoutToken } = fn(getProfile).credentials;
    const noToken = await rawAwsCall(stack.dynamodbEndpoint, "dynamodb", target, get, withoutToken);
    expect(noToken.body.__type).toBe("com.amazon.coral.service#UnrecognizedClientException");
    // Signed for another service: not a DynamoDB signature.
    const otherService = await rawAwsCall(stack.dynamodbEndpoint, "ssm", target, get, stack.credentials);
    expect(otherService.body.__type).toBe("com.amazon.coral.service#InvalidSignatureException");
  });
});

describe("SSM and Secrets Manager", () => {
  const login = "auth/LoginFunction";

  test("Login reads the lock-out policy its policy names, and no other parameter", async () => {
    const ssm = client(SSMClient, stack.awsEndpoint, fn(login).credentials);
    const own = await ssm.send(new GetParameterCommand({ Name: "/meridian/local/auth/lockout/policy" }));
    expect(JSON.parse(own.Parameter?.Value ?? "{}")).toHaveProperty("maxAttempts");

    const error = await failure(
      ssm.send(new GetParameterCommand({ Name: "/meridian/local/profile/table/name" })),
    );
    expect(error.name).toBe("AccessDeniedException");
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(error.message).toBe(
      `User: ${sessionArn(login)} is not authorized to perform: ssm:GetParameter on resource: ` +
        `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/meridian/local/profile/table/name ` +
        "because no identity-based policy allows the ssm:GetParameter action",
    );
    const write = await failure(
      ssm.send(
        new PutParameterCommand({
          Name: "/meridian/local/auth/lockout/policy",
          Value: "{}",
          Overwrite: true,
        }),
      ),
    );
    expect(write.message).toMatch(/ssm:PutParameter .* because no identity-based policy allows/);
  });

  test("the signing secret: its readers may, another function may not", async () => {
    const operator = client(SecretsManagerClient, stack.awsEndpoint);
    const { ARN } = await operator.send(
      new GetSecretValueCommand({ SecretId: "meridian-local-auth-TokenSigningSecret" }),
    );
    const reader = client(SecretsManagerClient, stack.awsEndpoint, fn("auth/AuthorizerFunction").credentials);
    expect((await reader.send(new GetSecretValueCommand({ SecretId: ARN }))).SecretString).toBeDefined();
    const other = client(
      SecretsManagerClient,
      stack.awsEndpoint,
      fn("profile/GetProfileFunction").credentials,
    );
    const error = await failure(other.send(new GetSecretValueCommand({ SecretId: ARN })));
    expect(error.name).toBe("AccessDeniedException");
    expect(error.message).toBe(
      `User: ${sessionArn("profile/GetProfileFunction")} is not authorized to perform: secretsmanager:GetSecretValue on resource: ${ARN} because no identity-based policy allows the secretsmanager:GetSecretValue action`,
    );
  });

  test("unsigned and unknown-key requests: SSM's own errors", async () => {
    const get = { Name: "/meridian/local/auth/lockout/policy" };
    const unsigned = await rawAwsCall(
      stack.awsEndpoint,
      "ssm",
      "AmazonSSM.GetParameter",
      get,
      undefined,
      "application/x-amz-json-1.1",
    );
    expect(unsigned.status).toBe(400);
    expect(unsigned.body).toEqual({
      __type: "MissingAuthenticationTokenException",
      message: "Missing Authentication Token",
    });
    const unknown = await rawAwsCall(
      stack.awsEndpoint,
      "ssm",
      "AmazonSSM.GetParameter",
      get,
      { accessKeyId: "AKIAUNKNOWNKEY000000", secretAccessKey: "whatever" },
      "application/x-amz-json-1.1",
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body.__type).toBe("UnrecognizedClientException");
  });

  test("the operator may read and write any parameter", async () => {
    const ssm = client(SSMClient, stack.awsEndpoint);
    // Outside /meridian/local: the stack may be shared with files that list what the services publish.
    const name = `/operator-check/identity-policies-${Date.now()}`;
    await ssm.send(new PutParameterCommand({ Name: name, Value: "v", Type: "String" }));
    expect((await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value).toBe("v");
    expect(
      (await ssm.send(new GetParameterCommand({ Name: "/meridian/local/profile/table/name" }))).Parameter
        ?.Value,
    ).toBe("meridian-local-profile-ProfilesTable");
  });
});

describe("Lambda and API Gateway: a registrar checks its own service's parts only", () => {
  const registrar = "location/RegistrarFunction";

  test("GetFunction on its own functions; AccessDeniedException (403) on another service's", async () => {
    const lambda = client(LambdaClient, stack.awsEndpoint, fn(registrar).credentials);
    const own = await lambda.send(
      new GetFunctionCommand({ FunctionName: fn("location/GetLocationFunction").functionName }),
    );
    expect(own.Configuration?.FunctionArn).toBe(fn("location/GetLocationFunction").arn);

    const other = fn("auth/LoginFunction");
    const error = await failure(lambda.send(new GetFunctionCommand({ FunctionName: other.functionName })));
    expect(error.name).toBe("AccessDeniedException");
    expect(error.$metadata?.httpStatusCode).toBe(403);
    expect(error.message).toBe(
      `User: ${sessionArn(registrar)} is not authorized to perform: lambda:GetFunction on resource: ${other.arn} because no identity-based policy allows the lambda:GetFunction action`,
    );
    // It may look at its functions, not run them.
    const invoke = await failure(
      lambda.send(new InvokeCommand({ FunctionName: fn("location/GetLocationFunction").functionName })),
    );
    expect(invoke.message).toMatch(/lambda:InvokeFunction .* because no identity-based policy allows/);
  });

  test("GetRestApi and GetStage on its own API; not on another service's", async () => {
    const apiGateway = client(APIGatewayClient, stack.awsEndpoint, fn(registrar).credentials);
    const own = await apiId("location");
    expect((await apiGateway.send(new GetRestApiCommand({ restApiId: own }))).id).toBe(own);
    expect(
      (await apiGateway.send(new GetStageCommand({ restApiId: own, stageName: "local" }))).stageName,
    ).toBe("local");
    // Authorized before it is looked up: a stage its policy does not name is refused, whether or not it exists.
    const prod = await failure(apiGateway.send(new GetStageCommand({ restApiId: own, stageName: "prod" })));
    expect(prod.name).toBe("AccessDeniedException");

    const profileApi = await apiId("profile");
    const stage = await failure(
      apiGateway.send(new GetStageCommand({ restApiId: profileApi, stageName: "local" })),
    );
    expect(stage.name).toBe("AccessDeniedException");
    expect(stage.$metadata?.httpStatusCode).toBe(403);
    expect(stage.message).toBe(
      `User: ${sessionArn(registrar)} is not authorized to perform: apigateway:GET on resource: arn:aws:apigateway:us-east-1::/restapis/${profileApi}/stages/local because no identity-based policy allows the apigateway:GET action`,
    );
    const api = await failure(apiGateway.send(new GetRestApiCommand({ restApiId: profileApi })));
    expect(api.message).toMatch(
      new RegExp(`apigateway:GET on resource: arn:aws:apigateway:us-east-1::/restapis/${profileApi} because`),
    );
  });

  test("the operator may look at and run any function and any API", async () => {
    expect.hasAssertions();
    const lambda = client(LambdaClient, stack.awsEndpoint);
    for (const info of Object.values(stack.functions)) {
      const { Configuration } = await lambda.send(new GetFunctionCommand({ FunctionName: info.arn }));
      expect(Configuration?.FunctionName).toBe(info.functionName);
    }
    const apiGateway = client(APIGatewayClient, stack.awsEndpoint);
    for (const service of ["auth", "catalog", "location", "profile"]) {
      const id = await apiId(service);
      expect(
        (await apiGateway.send(new GetStageCommand({ restApiId: id, stageName: "local" }))).stageName,
      ).toBe("local");
    }
  });

  test("unsigned and unknown-key calls: 403 with Lambda's errors", async () => {
    const url = `${stack.awsEndpoint}/2015-03-31/functions/${fn(registrar).functionName}`;
    const unsigned = await fetch(url);
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get("x-amzn-errortype")).toBe("MissingAuthenticationTokenException");
    const lambda = client(LambdaClient, stack.awsEndpoint, {
      accessKeyId: "AKIAUNKNOWNKEY000000",
      secretAccessKey: "whatever",
    });
    const error = await failure(
      lambda.send(new GetFunctionCommand({ FunctionName: fn(registrar).functionName })),
    );
    expect(error.name).toBe("UnrecognizedClientException");
  });
});
