// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Fn::Sub strings are CloudFormation syntax, not template literals
import { randomUUID } from "node:crypto";
import { copyServices, type ServiceCopy } from "../../../../tests/support/service-copy";
import { SRC } from "../../../../tools/lib/project";
import type { CfnTemplate } from "../../src/project";
import type { LocalFunctionInfo } from "../../src/stack";
import { signedFetch, startTestStack, type TestStack } from "../support/stack";
import { call, FIXTURE_ENVIRONMENTS, FIXTURE_SRC } from "./fixture";

/*
 * Resource policies on copies of the templates changed for the test (the
 * originals stay as they are): the fixtures with policies covering every kind
 * of route, and the real services with a role path broken, which must show
 * the way it would in AWS.
 */

const ACCOUNT = "000000000000";
const json = { "content-type": "application/json" };

function properties(template: CfnTemplate, logicalId: string): Record<string, unknown> {
  const resource = template.Resources[logicalId];
  if (!resource) throw new Error(`no resource ${logicalId}`);
  resource.Properties ??= {};
  return resource.Properties;
}

function setResourcePolicy(template: CfnTemplate, apiId: string, policy: unknown): void {
  const api = properties(template, apiId);
  api.Auth = { ...(api.Auth as Record<string, unknown> | undefined), ResourcePolicy: policy };
}

function functionInfo(stack: TestStack, id: string): LocalFunctionInfo {
  const found = stack.functions[id];
  if (!found) throw new Error(`no function ${id}`);
  return found;
}

const invoke = { Effect: "Allow", Principal: "*", Action: "execute-api:Invoke" };

describe("fixtures with resource policies on every kind of route", () => {
  let copy: ServiceCopy;
  let stack: TestStack;
  let alpha: string;
  let beta: string;

  beforeAll(async () => {
    copy = copyServices(FIXTURE_SRC, {
      alpha: (template) =>
        setResourcePolicy(template, "AlphaApi", {
          CustomStatements: [
            {
              ...invoke,
              Resource: [
                "execute-api:/*/*/echo",
                "execute-api:/*/*/iam",
                "execute-api:/*/*/private/*",
                "execute-api:/*/*/things/*",
              ],
            },
            {
              ...invoke,
              Sid: "NoPrivateReadsFromHere",
              Effect: "Deny",
              Resource: "execute-api:/*/GET/private/*",
              Condition: { IpAddress: { "aws:SourceIp": ["127.0.0.0/8", "::1/128"] } },
            },
            {
              ...invoke,
              Sid: "IamForTheAuthorizerRoleOnly",
              Effect: "Deny",
              Resource: "execute-api:/*/*/iam",
              Condition: {
                ArnNotLike: {
                  "aws:PrincipalArn": {
                    "Fn::Sub":
                      "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${AWS::StackName}-AuthorizerFunctionRole",
                  },
                },
              },
            },
            {
              ...invoke,
              Sid: "Unreadable",
              Effect: "Deny",
              Resource: "execute-api:/*/GET/things/*",
              Condition: { DateGreaterThan: { "aws:CurrentTime": "2020-01-01T00:00:00Z" } },
            },
          ],
        }),
      beta: (template) => setResourcePolicy(template, "BetaApi", { AwsAccountWhitelist: [ACCOUNT] }),
    });
    stack = await startTestStack({ srcDir: copy.srcDir, environmentsFile: FIXTURE_ENVIRONMENTS });
    alpha = stack.endpoints.alpha ?? "";
    beta = stack.endpoints.beta ?? "";
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    copy?.remove();
  });

  test("what cannot be evaluated is reported at start", () => {
    const warnings = stack.logs
      .filter((entry) => entry.source === "stack" && entry.level === "WARN")
      .map((entry) => entry.message);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^alpha\/AlphaApi: ResourcePolicy.CustomStatements 'Unreadable': condition operator 'DateGreaterThan' is not evaluated locally/,
        ),
        expect.stringMatching(/^beta\/BetaApi: ResourcePolicy.AwsAccountWhitelist is not emulated locally/),
      ]),
    );
  });

  test("no authorization: an Allow lets anyone in; without one it is an implicit deny", async () => {
    expect((await call("GET", `${alpha}/echo`)).status).toBe(200);
    const denied = await call("GET", `${alpha}/files/a.txt`);
    expect(denied.status).toBe(403);
    expect(denied.body.error).toEqual({
      code: "ACCESS_DENIED",
      message: expect.stringMatching(
        /^User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:\*{8}0000:[a-z0-9]{10}\/local\/GET\/files\/a\.txt because no resource-based policy allows the execute-api:Invoke action$/,
      ),
    });
  });

  test("a Lambda authorizer route: an explicit Deny answers before the authorizer is called", async () => {
    // "boom" makes the authorizer throw (a 500) if it is called at all.
    const denied = await call("GET", `${alpha}/private/u-1`, { headers: { Authorization: "Bearer boom" } });
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toMatch(/^User: anonymous .* with an explicit deny$/);
    const allowed = await call("PUT", `${alpha}/private/u-1`, {
      headers: { Authorization: "Bearer allow u-1" },
    });
    expect(allowed.status).toBe(200);
  });

  test("AWS_IAM: the role the condition names passes, with its identity in the event; another role does not", async () => {
    const authorizer = functionInfo(stack, "alpha/AuthorizerFunction");
    const reply = await signedFetch(stack, `${alpha}/iam`, {}, authorizer.credentials);
    expect(reply.status).toBe(200);
    const { event } = (await reply.json()) as {
      event: { requestContext: { identity: Record<string, unknown> } };
    };
    expect(event.requestContext.identity).toMatchObject({
      accessKey: authorizer.credentials.accessKeyId,
      accountId: ACCOUNT,
      caller: expect.stringMatching(/^AROA[A-Z0-9]{17}:meridian-local-alpha-AuthorizerFunction$/),
      user: expect.stringMatching(/^AROA[A-Z0-9]{17}:meridian-local-alpha-AuthorizerFunction$/),
      userArn: `arn:aws:sts::${ACCOUNT}:assumed-role/meridian-local-alpha-AuthorizerFunctionRole/meridian-local-alpha-AuthorizerFunction`,
    });

    const echo = functionInfo(stack, "alpha/EchoFunction");
    const denied = await signedFetch(stack, `${alpha}/iam`, {}, echo.credentials);
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: { message: string } }).error.message).toMatch(
      /^User: arn:aws:sts::000000000000:assumed-role\/meridian-local-alpha-EchoFunctionRole\/meridian-local-alpha-EchoFunction is not authorized .* with an explicit deny$/,
    );
    const denial = stack.logs.findLast(
      (entry) =>
        entry.source === "gateway" && String(entry.fields.detail ?? "").startsWith("resource policy"),
    );
    expect(denial?.fields.detail).toMatch(/statement 'IamForTheAuthorizerRoleOnly'/);
  });

  test("AWS_IAM with the operator's credentials: not subject to the policy; the identity is the local user", async () => {
    const reply = await signedFetch(stack, `${alpha}/iam`);
    expect(reply.status).toBe(200);
    const { event } = (await reply.json()) as {
      event: { requestContext: { identity: { userArn: string } } };
    };
    expect(event.requestContext.identity.userArn).toBe(`arn:aws:iam::${ACCOUNT}:user/local`);
  });

  test("a statement that cannot be evaluated fails closed: its Deny applies", async () => {
    const denied = await call("GET", `${alpha}/things/1`);
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe("ACCESS_DENIED");
  });

  test("an API whose policy uses a SAM shorthand key denies every request", async () => {
    const denied = await call("GET", `${beta}/open`);
    expect(denied.status).toBe(403);
    expect(denied.body).toEqual({ message: expect.stringMatching(/with an explicit deny$/) });
  });
});

describe("the real services with profile's role path broken", () => {
  let copy: ServiceCopy;
  let stack: TestStack;

  beforeAll(async () => {
    copy = copyServices(SRC, {
      // What a wrong RolePath on GetProfile would do in AWS: location's policy no longer admits it.
      profile: (template) => {
        properties(template, "GetProfileFunction").RolePath = {
          "Fn::Sub": "/meridian/${Environment}/elsewhere/",
        };
      },
      // And a registrar outside /meridian/<env>/registrar/: the catalog refuses its registration
      // (auth's copy of the shared registrar template alone).
      auth: (_template, nested) =>
        nested("Registrar", (registrar) => {
          properties(registrar, "RegistrarFunction").RolePath = {
            "Fn::Sub": "/meridian/${Environment}/auth/",
          };
        }),
    });
    stack = await startTestStack({ srcDir: copy.srcDir });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    copy?.remove();
  });

  test("profile's read of the location is denied, so the profile degrades to location: null", async () => {
    const username = `broken-${randomUUID().slice(0, 8)}`;
    const credentials = JSON.stringify({ username, password: "correct horse battery staple" });
    const user = await call("POST", `${stack.endpoints.auth}/users`, { body: credentials, headers: json });
    const login = await call("POST", `${stack.endpoints.auth}/tokens`, { body: credentials, headers: json });
    const userId: string = user.body.userId;
    const bearer = { ...json, Authorization: `Bearer ${login.body.token}` };
    const put = await call("PUT", `${stack.endpoints.location}/locations/${userId}`, {
      body: JSON.stringify({ latitude: 1.5, longitude: 2.5 }),
      headers: bearer,
    });
    expect(put.status).toBe(200);
    await call("PUT", `${stack.endpoints.profile}/profiles/${userId}`, {
      body: JSON.stringify({ displayName: "Broken" }),
      headers: bearer,
    });

    const from = stack.logs.length;
    const read = await call("GET", `${stack.endpoints.profile}/profiles/${userId}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ location: null, locationStatus: "unavailable" });
    const gatewayLines = stack.logs
      .slice(from)
      .filter((entry) => entry.source === "gateway")
      .map((entry) => `${entry.service}: ${entry.message}`);
    expect(gatewayLines).toContain(`location: GET /local/locations/${userId} -> 403`);
    expect(functionInfo(stack, "profile/GetProfileFunction").roleArn).toBe(
      `arn:aws:iam::${ACCOUNT}:role/meridian/local/elsewhere/meridian-local-profile-GetProfileFunctionRole`,
    );
  });

  test("the auth registrar's registration is refused; the others still register", async () => {
    const runs = await stack.runSchedules();
    const failed = runs.filter((run) => !run.outcome.ok);
    expect(failed.map((run) => run.functionId)).toEqual(["auth/RegistrarFunction"]);
    const outcome = failed[0]?.outcome;
    expect(outcome && !outcome.ok ? outcome.error.errorMessage : "").toMatch(
      /POST \/catalog\/register answered 403: .*ACCESS_DENIED/,
    );
    expect((await call("GET", `${stack.endpoints.catalog}/catalog/auth/v1`)).status).toBe(404);
    expect((await call("GET", `${stack.endpoints.catalog}/catalog/location/v1`)).status).toBe(200);
  });
});
