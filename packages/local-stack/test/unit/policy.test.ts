import { evaluatePolicy, parseAuthorizerResult, wildcardMatch } from "../../src/iam/policy";

const ARN = "arn:aws:execute-api:us-east-1:000000000000:abcdef1234/local/PUT/locations/u-1";
const allow = (resource: string | string[], action: string | string[] = "execute-api:Invoke") => ({
  Effect: "Allow",
  Action: action,
  Resource: resource,
});
const deny = (resource: string | string[]) => ({
  Effect: "Deny",
  Action: "execute-api:Invoke",
  Resource: resource,
});

describe("wildcards", () => {
  test("* spans any characters, ? exactly one; the rest is literal", () => {
    expect(wildcardMatch("arn:aws:execute-api:*:*:abcdef1234/*", ARN)).toBe(true);
    expect(
      wildcardMatch("arn:aws:execute-api:us-east-1:000000000000:abcdef1234/local/???/locations/*", ARN),
    ).toBe(true);
    expect(
      wildcardMatch("arn:aws:execute-api:us-east-1:000000000000:abcdef1234/local/??/locations/*", ARN),
    ).toBe(false);
    expect(wildcardMatch("arn:aws:execute-api:us-east-1:000000000000:abcdef1234/local/GET/*", ARN)).toBe(
      false,
    );
    expect(wildcardMatch("arn.aws", "arnXaws")).toBe(false);
    expect(wildcardMatch("a+b(c)", "a+b(c)")).toBe(true);
  });
});

describe("evaluatePolicy", () => {
  test("an Allow covering the method ARN allows", () => {
    expect(evaluatePolicy({ Statement: [allow(ARN)] }, ARN)).toBe("ALLOW");
    expect(evaluatePolicy({ Statement: [allow("*")] }, ARN)).toBe("ALLOW");
    expect(evaluatePolicy({ Statement: [allow(["x", "arn:aws:execute-api:*:*:*/local/PUT/*"])] }, ARN)).toBe(
      "ALLOW",
    );
  });

  test("nothing matching is an implicit deny", () => {
    expect(evaluatePolicy({ Statement: [allow("arn:aws:execute-api:*:*:*/local/GET/*")] }, ARN)).toBe(
      "IMPLICIT_DENY",
    );
    expect(evaluatePolicy({ Statement: [allow("*", "s3:GetObject")] }, ARN)).toBe("IMPLICIT_DENY");
  });

  test("an explicit Deny wins over any Allow, in any order", () => {
    expect(evaluatePolicy({ Statement: [allow("*"), deny(ARN)] }, ARN)).toBe("EXPLICIT_DENY");
    expect(evaluatePolicy({ Statement: [deny("*/PUT/*"), allow("*")] }, ARN)).toBe("EXPLICIT_DENY");
  });

  test("actions match case-insensitively and with wildcards", () => {
    expect(evaluatePolicy({ Statement: [allow("*", "EXECUTE-API:invoke")] }, ARN)).toBe("ALLOW");
    expect(evaluatePolicy({ Statement: [allow("*", "execute-api:*")] }, ARN)).toBe("ALLOW");
    expect(evaluatePolicy({ Statement: [allow("*", "*")] }, ARN)).toBe("ALLOW");
  });

  test("NotResource and NotAction", () => {
    expect(
      evaluatePolicy(
        { Statement: [{ Effect: "Allow", Action: "execute-api:Invoke", NotResource: "*/GET/*" }] },
        ARN,
      ),
    ).toBe("ALLOW");
    expect(evaluatePolicy({ Statement: [{ Effect: "Allow", NotAction: "s3:*", Resource: "*" }] }, ARN)).toBe(
      "ALLOW",
    );
    expect(
      evaluatePolicy(
        { Statement: [{ Effect: "Deny", Action: "execute-api:Invoke", NotResource: "*/GET/*" }, allow("*")] },
        ARN,
      ),
    ).toBe("EXPLICIT_DENY");
  });
});

describe("parseAuthorizerResult", () => {
  const valid = { principalId: "u-1", policyDocument: { Version: "2012-10-17", Statement: [allow("*")] } };

  test("accepts a valid result; context values become strings", () => {
    const parsed = parseAuthorizerResult({
      ...valid,
      context: { userId: "u-1", admin: false, level: 3, gone: null },
    });
    expect(parsed).toEqual({ ...valid, context: { userId: "u-1", admin: "false", level: "3" } });
  });

  test("a single Statement object is accepted", () => {
    expect(parseAuthorizerResult({ ...valid, policyDocument: { Statement: allow("*") } })).toMatchObject({
      principalId: "u-1",
    });
  });

  test.each([
    [undefined, /no object/],
    [{ policyDocument: valid.policyDocument }, /principalId/],
    [{ principalId: "x" }, /policyDocument/],
    [{ principalId: "x", policyDocument: { Statement: [] } }, /no Statement/],
    [{ principalId: "x", policyDocument: { Statement: [{ Effect: "Maybe", Resource: "*" }] } }, /Effect/],
    [{ ...valid, context: { nested: { a: 1 } } }, /context.nested/],
  ])("rejects %j", (payload, reason) => {
    expect(parseAuthorizerResult(payload)).toMatch(reason);
  });
});
