import {
  accessDeniedMessage,
  arnLike,
  evaluateResourcePolicy,
  expandResource,
  type PolicyCaller,
  parseResourcePolicy,
  type ResourcePolicy,
} from "../../src/iam/resource-policy";

const scope = { partition: "aws", region: "us-east-1", accountId: "000000000000", apiId: "abcdef1234" };
const API = "arn:aws:execute-api:us-east-1:000000000000:abcdef1234";
const GET_LOCATION = `${API}/local/GET/locations/u-1`;
const PUT_LOCATION = `${API}/local/PUT/locations/u-1`;

function role(path: string, name: string): PolicyCaller {
  return {
    kind: "role",
    roleArn: `arn:aws:iam::000000000000:role${path}${name}`,
    sessionArn: `arn:aws:sts::000000000000:assumed-role/${name}/fn-${name}`,
    accountId: "000000000000",
  };
}

const profile = role("/meridian/local/profile/", "meridian-local-profile-GetProfileFunctionRole");
const login = role("/", "meridian-local-auth-LoginFunctionRole");
const registrar = role("/meridian/local/registrar/", "meridian-local-location-RegistrarFunctionRole");
const anonymous: PolicyCaller = { kind: "anonymous" };

function parse(statements: unknown[] | Record<string, unknown>): {
  policy: ResourcePolicy;
  warnings: string[];
} {
  const raw = Array.isArray(statements) ? { CustomStatements: statements } : statements;
  const { policy, warnings } = parseResourcePolicy(raw, scope, "svc/Api");
  if (!policy) throw new Error("expected a policy");
  return { policy, warnings };
}

function decide(
  statements: unknown[] | Record<string, unknown>,
  caller: PolicyCaller,
  methodArn = GET_LOCATION,
  sourceIp = "127.0.0.1",
): string {
  return evaluateResourcePolicy(parse(statements).policy, { caller, methodArn, sourceIp }).decision;
}

const allowAll = {
  Effect: "Allow",
  Principal: "*",
  Action: "execute-api:Invoke",
  Resource: "execute-api:/*",
};
const denyGetUnlessProfile = {
  Effect: "Deny",
  Principal: "*",
  Action: "execute-api:Invoke",
  Resource: "execute-api:/*/GET/locations/*",
  Condition: {
    ArnNotLike: { "aws:PrincipalArn": "arn:aws:iam::000000000000:role/meridian/local/profile/*" },
  },
};

describe("reading Auth.ResourcePolicy", () => {
  test("execute-api:/ shorthand becomes this API's method ARNs; full ARNs stay", () => {
    expect(expandResource("execute-api:/*", scope)).toBe(`${API}/*`);
    expect(expandResource("execute-api:/*/GET/locations/*", scope)).toBe(`${API}/*/GET/locations/*`);
    expect(expandResource("arn:aws:execute-api:*:*:other/*", scope)).toBe("arn:aws:execute-api:*:*:other/*");
    const { policy, warnings } = parse([allowAll, denyGetUnlessProfile]);
    expect(warnings).toEqual([]);
    expect(policy.statements.map((statement) => statement.match.Resource)).toEqual([
      [`${API}/*`],
      [`${API}/*/GET/locations/*`],
    ]);
  });

  test("no policy, or no statements, is no policy", () => {
    expect(parseResourcePolicy(undefined, scope, "svc/Api")).toEqual({ warnings: [] });
    expect(parseResourcePolicy({ CustomStatements: [] }, scope, "svc/Api").policy).toBeUndefined();
  });

  test("a single statement map is read like a list of one", () => {
    expect(decide({ CustomStatements: allowAll }, login)).toBe("ALLOW");
  });
});

describe("evaluation", () => {
  test("an Allow covering the method ARN allows anyone it names", () => {
    expect(decide([allowAll], login)).toBe("ALLOW");
    expect(decide([allowAll], anonymous)).toBe("ALLOW");
  });

  test("an explicit Deny wins over an Allow, in any order", () => {
    const deny = { ...allowAll, Effect: "Deny", Resource: "execute-api:/*/GET/*" };
    expect(decide([allowAll, deny], profile)).toBe("EXPLICIT_DENY");
    expect(decide([deny, allowAll], profile)).toBe("EXPLICIT_DENY");
    expect(decide([allowAll, deny], profile, PUT_LOCATION)).toBe("ALLOW");
  });

  test("nothing allowing the request is an implicit deny", () => {
    const onlyPut = { ...allowAll, Resource: "execute-api:/*/PUT/*" };
    expect(decide([onlyPut], profile)).toBe("IMPLICIT_DENY");
    expect(decide([{ ...allowAll, Action: "execute-api:ManageConnections" }], profile)).toBe("IMPLICIT_DENY");
  });

  test("ArnNotLike on aws:PrincipalArn: only roles under the profile path get past the Deny", () => {
    const policy = [allowAll, denyGetUnlessProfile];
    expect(decide(policy, profile)).toBe("ALLOW");
    expect(decide(policy, login)).toBe("EXPLICIT_DENY");
    expect(decide(policy, registrar)).toBe("EXPLICIT_DENY");
    // No principal ARN at all: a negated operator holds for a missing key, so the Deny applies.
    expect(decide(policy, anonymous)).toBe("EXPLICIT_DENY");
    // The Deny covers GET only; the PUT is left to the Allow.
    expect(decide(policy, login, PUT_LOCATION)).toBe("ALLOW");
    // A role whose path merely starts like the profile one is not under it.
    expect(decide(policy, role("/meridian/local/profile-admin/", "x"))).toBe("EXPLICIT_DENY");
  });

  test("ArnLike, ArnEquals, StringEquals and StringLike on aws:PrincipalArn; a list of values is an OR", () => {
    const allowIf = (Condition: unknown) => [{ ...allowAll, Condition }];
    const profileArn = profile.kind === "role" ? profile.roleArn : "";
    expect(
      decide(
        allowIf({ ArnLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/meridian/*/profile/*" } }),
        profile,
      ),
    ).toBe("ALLOW");
    expect(decide(allowIf({ ArnEquals: { "aws:PrincipalArn": profileArn } }), profile)).toBe("ALLOW");
    expect(decide(allowIf({ ArnEquals: { "aws:PrincipalArn": profileArn } }), login)).toBe("IMPLICIT_DENY");
    expect(decide(allowIf({ StringEquals: { "aws:PrincipalArn": [profileArn, "x"] } }), profile)).toBe(
      "ALLOW",
    );
    expect(decide(allowIf({ StringNotEquals: { "aws:PrincipalArn": profileArn } }), profile)).toBe(
      "IMPLICIT_DENY",
    );
    expect(decide(allowIf({ StringLike: { "aws:principalarn": "*:role/meridian/*" } }), registrar)).toBe(
      "ALLOW",
    );
    expect(decide(allowIf({ StringNotLike: { "aws:PrincipalArn": "*:role/meridian/*" } }), login)).toBe(
      "ALLOW",
    );
    // Keys of one operator, and operators, must all hold.
    expect(
      decide(
        allowIf({
          ArnLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/meridian/*" },
          StringEquals: { "aws:PrincipalAccount": "111111111111" },
        }),
        profile,
      ),
    ).toBe("IMPLICIT_DENY");
  });

  test("ARN patterns match part by part: a wildcard does not run across a colon", () => {
    expect(arnLike("arn:aws:iam::*:role/*", "arn:aws:iam::000000000000:role/a/b")).toBe(true);
    expect(arnLike("arn:aws:iam::000000000000:*", "arn:aws:iam::000000000000:role/a")).toBe(true);
    expect(arnLike("arn:*", "arn:aws:iam::000000000000:role/a")).toBe(false);
    expect(arnLike("arn:aws:iam::000000000000:role/a", "not-an-arn")).toBe(false);
  });

  test("...IfExists and Null treat a missing key as IAM does", () => {
    const denyUnless = (Condition: unknown) => [allowAll, { ...allowAll, Effect: "Deny", Condition }];
    const notProfile = {
      ArnNotLikeIfExists: { "aws:PrincipalArn": "arn:aws:iam::*:role/meridian/*/profile/*" },
    };
    expect(decide(denyUnless(notProfile), anonymous)).toBe("EXPLICIT_DENY");
    const profileOnly = {
      ArnLikeIfExists: { "aws:PrincipalArn": "arn:aws:iam::*:role/meridian/*/profile/*" },
    };
    expect(decide(denyUnless(profileOnly), anonymous)).toBe("EXPLICIT_DENY");
    expect(decide(denyUnless(profileOnly), login)).toBe("ALLOW");
    expect(decide(denyUnless({ Null: { "aws:PrincipalArn": "true" } }), anonymous)).toBe("EXPLICIT_DENY");
    expect(decide(denyUnless({ Null: { "aws:PrincipalArn": "true" } }), login)).toBe("ALLOW");
  });

  test("IpAddress and NotIpAddress on aws:SourceIp", () => {
    const allowFrom = (ranges: string[]) => [
      { ...allowAll, Condition: { IpAddress: { "aws:SourceIp": ranges } } },
    ];
    expect(decide(allowFrom(["127.0.0.0/8"]), anonymous)).toBe("ALLOW");
    expect(decide(allowFrom(["192.0.2.0/24", "::1"]), anonymous, GET_LOCATION, "::1")).toBe("ALLOW");
    expect(decide(allowFrom(["192.0.2.0/24"]), anonymous)).toBe("IMPLICIT_DENY");
    const denyOutside = [
      allowAll,
      { ...allowAll, Effect: "Deny", Condition: { NotIpAddress: { "aws:SourceIp": "10.0.0.0/8" } } },
    ];
    expect(decide(denyOutside, profile, GET_LOCATION, "10.1.2.3")).toBe("ALLOW");
    expect(decide(denyOutside, profile, GET_LOCATION, "127.0.0.1")).toBe("EXPLICIT_DENY");
  });

  test('Principal: "*", {AWS: *}, the account, its root, the role or the session; others never match', () => {
    const allowFor = (AWS: unknown) => [{ ...allowAll, Principal: { AWS } }];
    const loginArn = login.kind === "role" ? login.roleArn : "";
    const loginSession = login.kind === "role" ? login.sessionArn : "";
    expect(decide(allowFor("*"), anonymous)).toBe("ALLOW");
    expect(decide(allowFor("000000000000"), login)).toBe("ALLOW");
    expect(decide(allowFor("arn:aws:iam::000000000000:root"), login)).toBe("ALLOW");
    expect(decide(allowFor([loginArn]), login)).toBe("ALLOW");
    expect(decide(allowFor(loginSession), login)).toBe("ALLOW");
    expect(decide(allowFor(loginArn), profile)).toBe("IMPLICIT_DENY");
    expect(decide(allowFor("111111111111"), login)).toBe("IMPLICIT_DENY");
    expect(decide(allowFor("000000000000"), anonymous)).toBe("IMPLICIT_DENY");
    expect(decide([{ ...allowAll, Principal: { Service: "lambda.amazonaws.com" } }], login)).toBe(
      "IMPLICIT_DENY",
    );
  });
});

describe("what cannot be evaluated locally fails closed, with a warning", () => {
  test("an unsupported condition operator: a Deny always applies, an Allow never does", () => {
    const dated = { DateGreaterThan: { "aws:CurrentTime": "2020-01-01T00:00:00Z" } };
    const deny = { ...allowAll, Sid: "Dated", Effect: "Deny", Condition: dated };
    const { warnings } = parse([allowAll, deny]);
    expect(warnings).toEqual([
      "svc/Api: ResourcePolicy.CustomStatements 'Dated': condition operator 'DateGreaterThan' is not evaluated locally; a Deny with it always applies, an Allow never does",
    ]);
    expect(decide([allowAll, deny], profile)).toBe("EXPLICIT_DENY");
    expect(decide([allowAll, deny], anonymous)).toBe("EXPLICIT_DENY");
    expect(decide([{ ...allowAll, Condition: dated }], profile)).toBe("IMPLICIT_DENY");
  });

  test("an unknown condition key, a policy variable, NotPrincipal, a bad CIDR: the same", () => {
    expect.hasAssertions();
    const cases = [
      { Condition: { StringEquals: { "aws:SourceVpce": "vpce-1" } } },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a template literal
      { Condition: { StringLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/${aws:username}" } } },
      { Condition: { "ForAnyValue:StringEquals": { "aws:PrincipalArn": "x" } } },
      { Condition: { IpAddress: { "aws:SourceIp": "not-an-ip" } } },
      { Principal: undefined, NotPrincipal: { AWS: "x" } },
    ];
    for (const change of cases) {
      const statement = { ...allowAll, Effect: "Deny", ...change };
      const { warnings } = parse([allowAll, statement]);
      expect(warnings).toHaveLength(1);
      expect(decide([allowAll, statement], profile)).toBe("EXPLICIT_DENY");
      expect(decide([{ ...statement, Effect: "Allow" }], profile)).toBe("IMPLICIT_DENY");
    }
  });

  test("an Effect that is neither Allow nor Deny counts as a Deny", () => {
    const odd = { ...allowAll, Effect: "Maybe" };
    expect(parse([allowAll, odd]).warnings).toEqual([expect.stringContaining("Effect 'Maybe'")]);
    expect(decide([allowAll, odd], profile)).toBe("EXPLICIT_DENY");
  });

  test("SAM's shorthand keys are not emulated: every request is denied", () => {
    const { policy, warnings } = parse({ CustomStatements: [allowAll], IpRangeWhitelist: ["127.0.0.1"] });
    expect(warnings).toEqual([
      expect.stringContaining("ResourcePolicy.IpRangeWhitelist is not emulated locally"),
    ]);
    expect(policy.unsupportedKeys).toEqual(["IpRangeWhitelist"]);
    expect(decide({ AwsAccountWhitelist: ["000000000000"] }, profile)).toBe("EXPLICIT_DENY");
    expect(decide({ AwsAccountWhitelist: ["000000000000"] }, anonymous, PUT_LOCATION)).toBe("EXPLICIT_DENY");
  });
});

describe("the denial message", () => {
  test("AWS's wording, with the account masked in the resource", () => {
    const caller = role("/meridian/local/auth/", "LoginRole");
    expect(accessDeniedMessage(caller, GET_LOCATION, "EXPLICIT_DENY")).toBe(
      "User: arn:aws:sts::000000000000:assumed-role/LoginRole/fn-LoginRole is not authorized to perform: " +
        "execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:********0000:abcdef1234/local/GET/locations/u-1 with an explicit deny",
    );
    expect(accessDeniedMessage(anonymous, GET_LOCATION, "IMPLICIT_DENY")).toBe(
      "User: anonymous is not authorized to perform: execute-api:Invoke on resource: " +
        "arn:aws:execute-api:us-east-1:********0000:abcdef1234/local/GET/locations/u-1 because no resource-based policy allows the execute-api:Invoke action",
    );
  });
});
