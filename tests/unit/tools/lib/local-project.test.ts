import { describeApis, evaluateIdentityPolicy, LOCAL_ACCOUNT_ID, planService } from "@meridian/local-stack";
import { meridianProject } from "../../../../tools/lib/local-project";
import { deployOrder, loadEnvironment, loadServices } from "../../../../tools/lib/project";

/** How the local stack reads this repository's own templates (roles, policies). */

const BOUNDARY_ARN = `arn:aws:iam::${LOCAL_ACCOUNT_ID}:policy/meridian-local-permissions-boundary`;

describe("planService on the repository's own templates", () => {
  const real = deployOrder(loadServices());
  const local = loadEnvironment("local");
  const plan = async (name: string) => {
    const service = real.find((candidate) => candidate.name === name);
    if (!service) throw new Error(`no service ${name}`);
    // Every SSM input resolves to a placeholder ARN, the boundary to ops' policy: only roles and policies are looked at here.
    const context = {
      project: meridianProject,
      environment: local,
      apis: describeApis(meridianProject, real, local).map((api) => ({
        ...api,
        origin: "http://127.0.0.1:3001",
      })),
      managedPolicies: new Map<string, unknown>(),
      lookupParameter: async (parameter: string) =>
        parameter.endsWith("/ops/boundary/arn")
          ? BOUNDARY_ARN
          : "arn:aws:lambda:us-east-1:000000000000:function:placeholder",
    };
    const ops = real.find((candidate) => candidate.name === "ops");
    if (ops) await planService(ops, context);
    return planService(service, context);
  };

  test("every function's permissions boundary is ops' managed policy, read and enforced as a ceiling", async () => {
    const location = await plan("location");
    for (const fn of location.functions) {
      expect([fn.logicalId, fn.identityPolicy.boundary]).toEqual([fn.logicalId, BOUNDARY_ARN]);
      expect(fn.identityPolicy.boundaryStatements?.length).toBeGreaterThan(0);
    }
    const put = location.functions.find((fn) => fn.logicalId === "PutLocationFunction");
    if (!put) throw new Error("no PutLocationFunction");
    const table = `arn:aws:dynamodb:us-east-1:${LOCAL_ACCOUNT_ID}:table/meridian-local-location-LocationsTable`;
    expect(evaluateIdentityPolicy(put.identityPolicy, "dynamodb:PutItem", table).decision).toBe("ALLOW");
    // The identity policy is widened past the boundary: the boundary still says no.
    const widened = {
      ...put.identityPolicy,
      statements: [
        ...put.identityPolicy.statements,
        {
          label: "widened",
          effect: "Allow" as const,
          match: { Effect: "Allow", Action: "*", Resource: "*" },
        },
      ],
    };
    expect(evaluateIdentityPolicy(widened, "iam:CreateUser", "*")).toEqual({
      decision: "IMPLICIT_DENY",
      by: "boundary",
    });
    expect(
      evaluateIdentityPolicy(
        widened,
        "dynamodb:PutItem",
        `arn:aws:dynamodb:us-east-1:${LOCAL_ACCOUNT_ID}:table/other`,
      ),
    ).toEqual({
      decision: "IMPLICIT_DENY",
      by: "boundary",
    });
  });

  test("function roles follow RolePath: Globals for the service, a function's own where it sets one", async () => {
    const profile = await plan("profile");
    const roles = Object.fromEntries(profile.functions.map((fn) => [fn.logicalId, fn.roleArn]));
    expect(roles).toMatchObject({
      PutProfileFunction:
        "arn:aws:iam::000000000000:role/meridian/local/profile/meridian-local-profile-PutProfileFunctionRole",
      GetProfileFunction:
        "arn:aws:iam::000000000000:role/meridian/local/profile/location-reader/meridian-local-profile-GetProfileFunctionRole",
      RegistrarFunction:
        "arn:aws:iam::000000000000:role/meridian/local/registrar/meridian-local-profile-Registrar-RegistrarFunctionRole",
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
