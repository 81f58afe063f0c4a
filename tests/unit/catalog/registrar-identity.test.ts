import { createRegistrarCheck, roleSessionName } from "../../../src/catalog/domain/registrar-identity";
import { ForbiddenError } from "../../../src/shared/errors";

const PATTERN = "meridian-dev-{service}-registrar";
const session = (role: string, name: string) => `arn:aws:sts::123456789012:assumed-role/${role}/${name}`;

describe("registrar identity", () => {
  const check = createRegistrarCheck(PATTERN);

  test("a session of the service's registrar function may change its registration", () => {
    expect(() =>
      check.assertMayChange(
        "location",
        session("meridian-dev-RegistrarRole-AB12", "meridian-dev-location-registrar"),
      ),
    ).not.toThrow();
  });

  test.each([
    ["another service's registrar", session("r", "meridian-dev-auth-registrar")],
    ["the same service in another environment", session("r", "meridian-prod-location-registrar")],
    ["an IAM user", "arn:aws:iam::123456789012:user/admin"],
    ["the role itself rather than a session", "arn:aws:iam::123456789012:role/meridian/dev/registrar/r"],
    ["a name that only starts alike", session("r", "meridian-dev-location-registrar-2")],
    ["no caller at all", undefined],
  ])("%s may not: 403", (_, caller) => {
    expect(() => check.assertMayChange("location", caller)).toThrow(ForbiddenError);
  });

  test("reads the session name of an assumed-role ARN only", () => {
    expect(roleSessionName(session("role", "fn"))).toBe("fn");
    expect(roleSessionName("arn:aws-cn:sts::123456789012:assumed-role/role/fn")).toBe("fn");
    expect(roleSessionName("arn:aws:iam::123456789012:user/fn")).toBeUndefined();
  });

  test("a pattern without {service} is a configuration error at cold start", () => {
    expect(() => createRegistrarCheck("meridian-dev-registrar")).toThrow(/must contain \{service\}/);
  });
});
