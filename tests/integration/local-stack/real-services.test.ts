import { randomUUID } from "node:crypto";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import {
  GetParametersByPathCommand,
  type Parameter,
  paginateGetParametersByPath,
  SSMClient,
} from "@aws-sdk/client-ssm";
import { deployOrder, loadServices } from "../../../tools/lib/project";
import { call } from "../../support/json-call";
import { releaseTestStack, sharedTestStack, type TestStack } from "../../support/local-stack";

/** The stack on the repository's own services: whatever src/ holds today. */

const services = deployOrder(loadServices());
let stack: TestStack;

beforeAll(async () => {
  stack = await sharedTestStack();
}, 120_000);

afterAll(() => releaseTestStack(stack));

test("every service with an API gets an endpoint of its own, its stage once, as API Gateway serves it", () => {
  expect.hasAssertions();
  for (const service of services) {
    const hasApi = Object.values(service.template.Resources).some(
      (resource) => resource.Type === "AWS::Serverless::Api",
    );
    if (hasApi)
      expect({ service: service.name, url: stack.endpoints[service.name] }).toEqual({
        service: service.name,
        url: expect.stringMatching(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/${stack.environment}$`)),
      });
  }
});

test("every table declared in the templates exists under its stack name", async () => {
  expect.hasAssertions();
  const dynamodb = new DynamoDBClient({
    endpoint: stack.dynamodbEndpoint,
    region: stack.region,
    credentials: stack.credentials,
  });
  const tables = (await dynamodb.send(new ListTablesCommand({}))).TableNames ?? [];
  dynamodb.destroy();
  for (const service of services) {
    for (const [logicalId, resource] of Object.entries(service.template.Resources)) {
      if (resource.Type !== "AWS::DynamoDB::Table" || resource.Condition !== undefined) continue;
      expect(tables).toContain(`meridian-local-${service.name}-${logicalId}`);
    }
  }
});

test("published parameters follow /meridian/local/<service>/<name>/<type>; URLs point at the gateway", async () => {
  expect.hasAssertions();
  const ssm = new SSMClient({
    endpoint: stack.awsEndpoint,
    region: stack.region,
    credentials: stack.credentials,
  });
  const parameters: Parameter[] = [];
  for await (const page of paginateGetParametersByPath(
    { client: ssm },
    { Path: "/meridian/local", Recursive: true },
  )) {
    parameters.push(...(page.Parameters ?? []));
  }
  const names = parameters.map((parameter) => parameter.Name);
  for (const name of names) expect(name).toMatch(/^\/meridian\/local\/[a-z0-9-]+\/[a-z0-9-]+\/[a-z0-9-]+$/);
  for (const [service, url] of Object.entries(stack.endpoints)) {
    const published = await ssm.send(
      new GetParametersByPathCommand({ Path: `/meridian/local/${service}/api` }),
    );
    const value = published.Parameters?.find((parameter) => parameter.Name?.endsWith("/api/url"))?.Value;
    expect({ service, url: value }).toEqual({ service, url });
  }
  ssm.destroy();
  const arn = parameters.find((parameter) => parameter.Name === "/meridian/local/auth/authorizer/arn")?.Value;
  // The alias `live`: other services' APIs call the version CodeDeploy shifted traffic to.
  expect(arn).toBe(`${stack.functions["auth/AuthorizerFunction"]?.arn}:live`);
});

test("a real token from auth's routes passes location's token authorizer; a forged one does not", async () => {
  const username = `stack-${randomUUID().slice(0, 8)}`;
  const password = "a long enough password";
  const json = { "Content-Type": "application/json" };
  const registered = await call("POST", `${stack.endpoints.auth}/users`, {
    body: JSON.stringify({ username, password }),
    headers: json,
  });
  expect(registered.status).toBe(201);
  const login = await call("POST", `${stack.endpoints.auth}/tokens`, {
    body: JSON.stringify({ username, password }),
    headers: json,
  });
  expect(login.status).toBe(201);
  const url = `${stack.endpoints.location}/locations/${registered.body.userId}`;
  const body = JSON.stringify({ latitude: 10, longitude: 20 });
  const put = await call("PUT", url, {
    body,
    headers: { ...json, Authorization: `Bearer ${login.body.token}` },
  });
  expect(put.status).toBe(200);
  const forged = await call("PUT", url, {
    body,
    headers: { ...json, Authorization: `Bearer ${login.body.token}x` },
  });
  expect(forged.status).toBe(401);
  const none = await call("PUT", url, { body, headers: json });
  expect(none.status).toBe(401);
});

test("a service's registrar finds its parts through the local Lambda / API Gateway endpoints and registers in the catalog", async () => {
  const outcome = await stack.invoke("location/RegistrarFunction", {
    source: "aws.events",
    "detail-type": "Scheduled Event",
  });
  expect(outcome).toMatchObject({ ok: true, payload: { action: "registered", status: "healthy" } });
  const registrar = services.find((service) => service.name === "location")?.template.Resources
    .RegistrarFunction;
  const version = (
    registrar?.Properties?.Environment as { Variables?: { SERVICE_VERSION?: unknown } } | undefined
  )?.Variables?.SERVICE_VERSION;
  if (typeof version === "string") {
    const entry = await call("GET", `${stack.endpoints.catalog}/catalog/location/${version}`);
    expect(entry.body).toMatchObject({ endpoint_url: stack.endpoints.location, status: "healthy" });
  }
});
