import { join } from "node:path";
import { AwsError } from "../../src/errors";
import { generateSecretString } from "../../src/services/secret-store";
import { ParameterStore } from "../../src/services/ssm-store";
import { mergeGlobals } from "../../src/template/globals";
import {
  atOrigins,
  describeApis,
  localizeApiUrls,
  planService,
  resolveParameters,
  scheduleIntervalMs,
} from "../../src/template/plan";
import { restApiId } from "../../src/template/resources";
import { testProject } from "../support/stack";

const FIXTURES = join(__dirname, "..", "integration", "fixtures");
const services = testProject.loadServices(join(FIXTURES, "src"));
const environment = testProject.loadEnvironment("local", join(FIXTURES, "environments.yaml"));
const alpha = services.find((service) => service.name === "alpha");
const beta = services.find((service) => service.name === "beta");

describe("template helpers", () => {
  test("Globals merge like SAM: maps merge, lists concatenate, scalars override", () => {
    expect(
      mergeGlobals(
        { Timeout: 3, Environment: { Variables: { A: "1", B: "1" } }, Layers: ["x"] },
        { Timeout: 10, Environment: { Variables: { B: "2" } }, Layers: ["y"] },
      ),
    ).toEqual({ Timeout: 10, Environment: { Variables: { A: "1", B: "2" } }, Layers: ["x", "y"] });
    expect(mergeGlobals({ Ref: "A" }, { Ref: "B" })).toEqual({ Ref: "B" });
    expect(mergeGlobals("x", undefined)).toBe("x");
  });

  test("execute-api URLs of local APIs become their own origin, stage kept once; others are left alone", () => {
    const apis = [
      {
        service: "auth",
        logicalId: "AuthApi",
        apiId: "abcdefghij",
        mount: "auth",
        origin: "http://127.0.0.1:3001",
      },
    ];
    expect(localizeApiUrls("https://abcdefghij.execute-api.us-east-1.amazonaws.com/local", apis)).toBe(
      "http://127.0.0.1:3001/local",
    );
    expect(localizeApiUrls("https://abcdefghij.execute-api.us-east-1.amazonaws.com/local/users", apis)).toBe(
      "http://127.0.0.1:3001/local/users",
    );
    expect(localizeApiUrls("https://zzzzzzzzzz.execute-api.us-east-1.amazonaws.com/prod", apis)).toBe(
      "https://zzzzzzzzzz.execute-api.us-east-1.amazonaws.com/prod",
    );
  });

  test("rate() schedules", () => {
    expect(scheduleIntervalMs("rate(5 minutes)")).toBe(300_000);
    expect(scheduleIntervalMs("rate(1 hour)")).toBe(3_600_000);
    expect(scheduleIntervalMs("rate(2 days)")).toBe(172_800_000);
    expect(scheduleIntervalMs("cron(0 12 * * ? *)")).toBeUndefined();
  });

  test("generated secrets follow GenerateSecretString", () => {
    expect(generateSecretString({ PasswordLength: 64, ExcludePunctuation: true })).toMatch(
      /^[A-Za-z0-9]{64}$/,
    );
    expect(
      generateSecretString({
        PasswordLength: 20,
        ExcludeUppercase: true,
        ExcludeNumbers: true,
        ExcludePunctuation: true,
      }),
    ).toMatch(/^[a-z]{20}$/);
    expect(generateSecretString({})).toHaveLength(32);
    const json = JSON.parse(
      generateSecretString({ SecretStringTemplate: '{"user":"a"}', GenerateStringKey: "password" }),
    );
    expect(json).toEqual({ user: "a", password: expect.stringMatching(/^.{32}$/) });
    const withEach = generateSecretString({ PasswordLength: 4, RequireEachIncludedType: true });
    expect(withEach).toMatch(/[a-z]/);
    expect(withEach).toMatch(/[A-Z]/);
    expect(withEach).toMatch(/[0-9]/);
  });
});

describe("parameters", () => {
  test("environments.yaml, then template defaults, then SSM for AWS::SSM::Parameter::Value", async () => {
    if (!alpha || !beta) throw new Error("fixtures missing");
    expect(await resolveParameters(testProject, alpha, environment, async () => undefined)).toEqual({
      Environment: "local",
      LogLevel: "DEBUG",
      TableBillingMode: "PAY_PER_REQUEST",
      Greeting: "hello from environments.yaml",
    });
    const lookups: string[] = [];
    const values = await resolveParameters(testProject, beta, environment, async (name) => {
      lookups.push(name);
      return `value of ${name}`;
    });
    expect(lookups.sort()).toEqual(["/meridian/local/alpha/api/url", "/meridian/local/alpha/authorizer/arn"]);
    expect(values.AlphaApiUrl).toBe("value of /meridian/local/alpha/api/url");
  });

  test("a parameter no service published is a clear error naming its owner", async () => {
    if (!beta) throw new Error("fixtures missing");
    await expect(resolveParameters(testProject, beta, environment, async () => undefined)).rejects.toThrow(
      /reads SSM parameter \/meridian\/local\/alpha\/.*published by service 'alpha'/,
    );
  });

  test("AllowedValues are enforced as CloudFormation does", async () => {
    if (!alpha) throw new Error("fixtures missing");
    await expect(
      resolveParameters(testProject, alpha, { ...environment, name: "prod" }, async () => undefined),
    ).rejects.toThrow(/'prod' is not one of/);
  });
});

describe("planService", () => {
  test("reads tables, secrets, parameters, functions and routes from the template", async () => {
    if (!alpha) throw new Error("fixtures missing");
    const apis = atOrigins(describeApis(testProject, services, environment), {
      [restApiId("meridian-local-alpha", "AlphaApi")]: "http://127.0.0.1:3001",
    });
    const plan = await planService(alpha, {
      project: testProject,
      environment,
      apis,
      lookupParameter: async () => undefined,
    });
    expect(plan.tables.map((table) => table.input.TableName)).toEqual(["meridian-local-alpha-ItemsTable"]);
    expect(plan.tables[0]?.input.ProvisionedThroughput).toBeUndefined();
    expect(plan.secrets.map((secret) => secret.name)).toEqual(["meridian-local-alpha-SigningSecret"]);
    expect(plan.ssmParameters.find((parameter) => parameter.name.endsWith("/api/url"))?.value).toBe(
      "http://127.0.0.1:3001/local",
    );
    const echo = plan.functions.find((fn) => fn.logicalId === "EchoFunction");
    expect(echo).toMatchObject({
      timeoutSeconds: 5,
      memorySize: 256,
      functionName: "meridian-local-alpha-EchoFunction",
    });
    expect(plan.functions.find((fn) => fn.logicalId === "FailFunction")?.timeoutSeconds).toBe(1);
    // No Role and no RolePath: SAM's generated role, at path /.
    expect(echo?.roleArn).toBe("arn:aws:iam::000000000000:role/meridian-local-alpha-EchoFunctionRole");
    const api = plan.apis[0];
    expect(api).toMatchObject({ mount: "alpha", stage: "local", binaryMediaTypes: ["image/png"] });
    const routes = Object.fromEntries(
      (api?.routes ?? []).map((route) => [`${route.method} ${route.path}`, route.auth.kind]),
    );
    expect(routes).toMatchObject({
      "GET /echo": "NONE",
      "ANY /iam": "AWS_IAM",
      "ANY /private/{userId}": "LAMBDA",
      "GET /files/{proxy+}": "NONE",
    });
  });
});

describe("a template nested from a local Location", () => {
  const worker = {
    Transform: "AWS::Serverless-2016-10-31",
    Parameters: {
      Environment: { Type: "String" },
      Greeting: { Type: "String" },
      Names: { Type: "CommaDelimitedList", Default: "" },
    },
    Resources: {
      WorkerFunction: {
        Type: "AWS::Serverless::Function",
        Metadata: { BuildMethod: "esbuild", BuildProperties: { EntryPoints: ["src/worker.ts"] } },
        Properties: {
          FunctionName: { "Fn::Sub": `meridian-\${Environment}-worker` },
          Handler: "worker.handler",
          RolePath: "/workers/",
          Environment: {
            Variables: { GREETING: { Ref: "Greeting" }, FIRST: { "Fn::Select": [0, { Ref: "Names" }] } },
          },
        },
      },
    },
    Outputs: { WorkerName: { Value: { Ref: "WorkerFunction" } } },
  };

  function nesting(
    parameters: Record<string, unknown>,
    applications = { Nested: { templatePath: "worker.yaml", template: worker } },
  ) {
    if (!alpha) throw new Error("fixtures missing");
    const service = structuredClone(alpha);
    Object.assign(service.template.Resources, {
      Nested: {
        Type: "AWS::Serverless::Application",
        Properties: { Location: "worker.yaml", Parameters: parameters },
      },
      WorkerNameParameter: {
        Type: "AWS::SSM::Parameter",
        Properties: {
          Name: "/meridian/local/alpha/worker/name",
          Type: "String",
          Value: { "Fn::GetAtt": ["Nested", "Outputs.WorkerName"] },
        },
      },
    });
    return planService(
      { ...service, applications },
      {
        project: testProject,
        environment,
        apis: describeApis(testProject, [service], environment).map((api) => ({
          ...api,
          origin: "http://127.0.0.1:3001",
        })),
        lookupParameter: async () => undefined,
      },
    );
  }

  test("its functions run with what the parent passes, in a stack of their own; the parent reads its outputs", async () => {
    const plan = await nesting({
      Environment: { Ref: "Environment" },
      Greeting: { "Fn::Sub": `hi from \${AWS::StackName}` },
      Names: "a,b",
    });
    const fn = plan.functions.find((candidate) => candidate.logicalId === "WorkerFunction");
    expect(fn).toMatchObject({
      id: "alpha/WorkerFunction",
      service: "alpha",
      functionName: "meridian-local-worker",
      environment: { GREETING: "hi from meridian-local-alpha", FIRST: "a" },
      roleArn: "arn:aws:iam::000000000000:role/workers/meridian-local-alpha-Nested-WorkerFunctionRole",
    });
    expect(plan.ssmParameters.find((parameter) => parameter.logicalId === "WorkerNameParameter")?.value).toBe(
      "meridian-local-worker",
    );
  });

  test("a parameter it does not declare, one left without a value, or no local template is an error", async () => {
    await expect(nesting({ Environment: "local", Greeting: "hi", Other: "x" })).rejects.toThrow(
      /Parameters\.Other: not a parameter of the nested template/,
    );
    await expect(nesting({ Environment: "local" })).rejects.toThrow(/Parameters\.Greeting: no value/);
    await expect(nesting({ Environment: "local", Greeting: "hi" }, {} as never)).rejects.toThrow(
      /Resources\.Nested: a nested stack is run locally only from a local template path/,
    );
  });
});

describe("an API with a DefinitionBody", () => {
  async function routesOf(properties: Record<string, unknown>) {
    if (!alpha) throw new Error("fixtures missing");
    const service = structuredClone(alpha);
    const [apiId] = Object.entries(service.template.Resources).find(
      ([, resource]) => resource.Type === "AWS::Serverless::Api",
    ) ?? [""];
    Object.assign(service.template.Resources[apiId]?.Properties ?? {}, {
      DefinitionBody: {
        swagger: "2.0",
        paths: {
          "/defined": {
            get: {
              "x-amazon-apigateway-integration": {
                type: "aws",
                httpMethod: "POST",
                uri: {
                  "Fn::Sub": `arn:aws:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${EchoFunction.Alias}/invocations`,
                },
              },
            },
          },
        },
      },
      ...properties,
    });
    const plan = await planService(service, {
      project: testProject,
      environment,
      apis: describeApis(testProject, [service], environment).map((api) => ({
        ...api,
        origin: "http://127.0.0.1:3001",
      })),
      lookupParameter: async () => undefined,
    });
    return {
      routes: (plan.apis[0]?.routes ?? []).map((route) => `${route.method} ${route.path}`),
      warnings: plan.warnings,
    };
  }

  test("serves the functions' Api events too only under MergeDefinitions, as SAM deploys it", async () => {
    const merged = await routesOf({ MergeDefinitions: true });
    expect(merged.routes).toEqual(expect.arrayContaining(["GET /defined", "GET /echo"]));

    const alone = await routesOf({});
    expect(alone.routes).toEqual(["GET /defined"]);
    expect(alone.warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /without MergeDefinitions: true, so SAM leaves out its functions' Api events \(.*GET \/echo/,
        ),
      ]),
    );
  });
});

describe("ParameterStore", () => {
  test("names are validated and versions increase only on change when published", () => {
    const store = new ParameterStore();
    expect(store.publish({ name: "/a/b", value: "1", type: "String" }).version).toBe(1);
    expect(store.publish({ name: "/a/b", value: "1", type: "String" }).version).toBe(1);
    expect(store.publish({ name: "/a/b", value: "2", type: "String" }).version).toBe(2);
    expect(() => store.put({ name: "a/b", value: "x", type: "String" })).toThrow(AwsError);
    expect(() => store.put({ name: "/ssm/x", value: "x", type: "String" })).toThrow(/prefixed/);
    expect(() => store.put({ name: "/x", value: "x".repeat(5000), type: "String" })).toThrow(/4096/);
    expect(store.byPath("/a", false).map((parameter) => parameter.name)).toEqual(["/a/b"]);
  });
});
