import { describeApis, planService } from "@meridian/local-stack";
import { meridianProject } from "../../../tools/lib/local-project";
import { deployOrder, loadEnvironment, loadServices } from "../../../tools/lib/project";

/** How the local stack reads this repository's own templates (roles, policies). */

describe("planService on the repository's own templates", () => {
  const real = deployOrder(loadServices());
  const local = loadEnvironment("local");
  const plan = (name: string) => {
    const service = real.find((candidate) => candidate.name === name);
    if (!service) throw new Error(`no service ${name}`);
    // Every SSM input resolves to a placeholder ARN: only roles and policies are looked at here.
    return planService(service, {
      project: meridianProject,
      environment: local,
      apis: describeApis(meridianProject, real, local, "http://127.0.0.1:3000"),
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
