import { allowPolicy, bearerToken, stageWideResource } from "../../../src/auth/domain/authorizer-policy";

const METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/dev/PUT/locations/user-1";

describe("authorizer policy", () => {
  it("allows the whole stage, since API Gateway reuses it for every method", () => {
    expect(allowPolicy({ userId: "user-1", username: "alice" }, METHOD_ARN)).toEqual({
      principalId: "user-1",
      policyDocument: {
        Version: "2012-10-17",
        Statement: [
          {
            Action: "execute-api:Invoke",
            Effect: "Allow",
            Resource: "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/dev/*/*",
          },
        ],
      },
      context: { userId: "user-1", username: "alice" },
    });
  });

  it("handles other partitions, root paths and unrecognisable ARNs", () => {
    expect(stageWideResource("arn:aws-cn:execute-api:cn-north-1:123456789012:abc/prod/GET/")).toBe(
      "arn:aws-cn:execute-api:cn-north-1:123456789012:abc/prod/*/*",
    );
    expect(stageWideResource("not-an-arn")).toBe("not-an-arn");
  });

  it("extracts a bearer token, case-insensitively on the scheme, and nothing else", () => {
    expect(bearerToken("Bearer aaa.bbb.ccc")).toBe("aaa.bbb.ccc");
    expect(bearerToken("bearer aaa.bbb.ccc")).toBe("aaa.bbb.ccc");
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken("Basic dXNlcjpwYXNz")).toBeUndefined();
    expect(bearerToken("Bearer")).toBeUndefined();
    expect(bearerToken("Bearer aaa.bbb.ccc extra")).toBeUndefined();
  });
});
