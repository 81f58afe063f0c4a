import { join } from "node:path";
import { deployOrder, loadEnvironment, loadServices } from "../../../tools/lib/project";
import {
  describeApis,
  localizeApiUrls,
  mergeGlobals,
  planService,
  resolveParameters,
  scheduleIntervalMs,
} from "../../../tools/local/plan";
import { generateSecretString } from "../../../tools/local/secret-store";
import { AwsError, ParameterStore } from "../../../tools/local/ssm-store";

const FIXTURES = join(__dirname, "..", "..", "integration", "local-stack", "fixtures");
const services = loadServices(join(FIXTURES, "src"));
const environment = loadEnvironment("local", join(FIXTURES, "environments.yaml"));
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

  test("execute-api URLs of local APIs become gateway URLs; others are left alone", () => {
    const apis = [
      {
        service: "auth",
        logicalId: "AuthApi",
        apiId: "abcdefghij",
        mount: "auth",
        baseUrl: "http://127.0.0.1:3000/auth",
      },
    ];
    expect(localizeApiUrls("https://abcdefghij.execute-api.us-east-1.amazonaws.com/local", apis)).toBe(
      "http://127.0.0.1:3000/auth",
    );
    expect(localizeApiUrls("https://abcdefghij.execute-api.us-east-1.amazonaws.com/local/users", apis)).toBe(
      "http://127.0.0.1:3000/auth/users",
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
    expect(await resolveParameters(alpha, environment, async () => undefined)).toEqual({
      Environment: "local",
      LogLevel: "DEBUG",
      TableBillingMode: "PAY_PER_REQUEST",
      Greeting: "hello from environments.yaml",
    });
    const lookups: string[] = [];
    const values = await resolveParameters(beta, environment, async (name) => {
      lookups.push(name);
      return `value of ${name}`;
    });
    expect(lookups.sort()).toEqual(["/meridian/local/alpha/api/url", "/meridian/local/alpha/authorizer/arn"]);
    expect(values.AlphaApiUrl).toBe("value of /meridian/local/alpha/api/url");
  });

  test("a parameter no service published is a clear error naming its owner", async () => {
    if (!beta) throw new Error("fixtures missing");
    await expect(resolveParameters(beta, environment, async () => undefined)).rejects.toThrow(
      /reads SSM parameter \/meridian\/local\/alpha\/.*published by service 'alpha'/,
    );
  });

  test("AllowedValues are enforced as CloudFormation does", async () => {
    if (!alpha) throw new Error("fixtures missing");
    await expect(
      resolveParameters(alpha, { ...environment, name: "prod" }, async () => undefined),
    ).rejects.toThrow(/'prod' is not one of/);
  });
});

describe("planService", () => {
  test("reads tables, secrets, parameters, functions and routes from the template", async () => {
    if (!alpha) throw new Error("fixtures missing");
    const apis = describeApis(services, environment, "http://127.0.0.1:3000");
    const plan = await planService(alpha, { environment, apis, lookupParameter: async () => undefined });
    expect(plan.tables.map((table) => table.input.TableName)).toEqual(["meridian-local-alpha-ItemsTable"]);
    expect(plan.tables[0]?.input.ProvisionedThroughput).toBeUndefined();
    expect(plan.secrets.map((secret) => secret.name)).toEqual(["meridian-local-alpha-SigningSecret"]);
    expect(plan.ssmParameters.find((parameter) => parameter.name.endsWith("/api/url"))?.value).toBe(
      "http://127.0.0.1:3000/alpha",
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

describe("planService on the repository's own templates", () => {
  const real = deployOrder(loadServices());
  const local = loadEnvironment("local");
  const plan = (name: string) => {
    const service = real.find((candidate) => candidate.name === name);
    if (!service) throw new Error(`no service ${name}`);
    // Every SSM input resolves to a placeholder ARN: only roles and policies are looked at here.
    return planService(service, {
      environment: local,
      apis: describeApis(real, local, "http://127.0.0.1:3000"),
      lookupParameter: async () => "arn:aws:lambda:us-east-1:000000000000:function:placeholder",
    });
  };

  test("function roles follow RolePath: Globals for the service, a function's own where it sets one", async () => {
    const profile = await plan("profile");
    const roles = Object.fromEntries(profile.functions.map((fn) => [fn.logicalId, fn.roleArn]));
    expect(roles).toMatchObject({
      PutProfileFunction:
        "arn:aws:iam::000000000000:role/meridian/local/profile/meridian-local-profile-PutProfileFunctionRole",
      GetProfileFunction:
        "arn:aws:iam::000000000000:role/meridian/local/profile/location-reader/meridian-local-profile-GetProfileFunctionRole",
      RegistrarFunction:
        "arn:aws:iam::000000000000:role/meridian/local/registrar/meridian-local-profile-RegistrarFunctionRole",
    });
  });

  test("location's resource policy: the shorthand expanded to its API, GetProfile's path in the condition", async () => {
    const location = await plan("location");
    expect(location.warnings).toEqual([]);
    const api = location.apis[0];
    const statements = api?.resourcePolicy?.statements ?? [];
    expect(statements.map((statement) => [statement.effect, statement.match.Resource])).toEqual([
      ["Allow", [`arn:aws:execute-api:us-east-1:000000000000:${api?.apiId}/*`]],
      ["Deny", [`arn:aws:execute-api:us-east-1:000000000000:${api?.apiId}/*/GET/locations/*`]],
    ]);
    expect(statements[1]?.conditions).toEqual([
      {
        operator: "ArnNotLike",
        ifExists: false,
        key: "aws:principalarn",
        values: ["arn:aws:iam::000000000000:role/meridian/local/profile/location-reader/*"],
      },
    ]);
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
