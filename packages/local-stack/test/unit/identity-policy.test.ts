// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Fn::Sub strings and policy variables are IAM/CloudFormation syntax

import { authorize, functionCaller, LocalCallers } from "../../src/iam/callers";
import {
  evaluateIdentityPolicy,
  type IdentityPolicy,
  identityDeniedMessage,
  readPolicyDocument,
} from "../../src/iam/identity-policy";
import type { CfnTemplate } from "../../src/project";
import { TemplateEvaluator } from "../../src/template/intrinsics";
import { localResourceModel } from "../../src/template/resources";
import { functionIdentityPolicy } from "../../src/template/role-policy";

const TABLE = "arn:aws:dynamodb:us-east-1:000000000000:table/meridian-local-auth-UsersTable";
const OTHER_TABLE = "arn:aws:dynamodb:us-east-1:000000000000:table/meridian-local-profile-ProfilesTable";

function policy(statements: unknown[]): { policy: IdentityPolicy; warnings: string[] } {
  const { statements: read, warnings } = readPolicyDocument({ Statement: statements }, "Policies[0]");
  return { policy: { statements: read }, warnings };
}

function decide(statements: unknown[], action: string, resource: string): string {
  return evaluateIdentityPolicy(policy(statements).policy, action, resource).decision;
}

const allow = (Action: unknown, Resource: unknown = TABLE) => ({ Effect: "Allow", Action, Resource });
const deny = (Action: unknown, Resource: unknown = TABLE) => ({ Effect: "Deny", Action, Resource });

describe("evaluating an identity policy", () => {
  test("an Allow naming the action and resource allows; anything else is an implicit deny", () => {
    const statements = [allow(["dynamodb:GetItem", "dynamodb:PutItem"])];
    expect(decide(statements, "dynamodb:GetItem", TABLE)).toBe("ALLOW");
    expect(decide(statements, "dynamodb:UpdateItem", TABLE)).toBe("IMPLICIT_DENY");
    expect(decide(statements, "dynamodb:GetItem", OTHER_TABLE)).toBe("IMPLICIT_DENY");
    expect(decide([], "dynamodb:GetItem", TABLE)).toBe("IMPLICIT_DENY");
  });

  test("an explicit Deny wins over any Allow, in any order", () => {
    expect(decide([allow("dynamodb:*"), deny("dynamodb:DeleteItem")], "dynamodb:DeleteItem", TABLE)).toBe(
      "EXPLICIT_DENY",
    );
    expect(decide([deny("dynamodb:Delete*"), allow("*", "*")], "dynamodb:DeleteItem", TABLE)).toBe(
      "EXPLICIT_DENY",
    );
    expect(decide([deny("dynamodb:Delete*"), allow("*", "*")], "dynamodb:GetItem", TABLE)).toBe("ALLOW");
  });

  test("wildcard actions: dynamodb:Get* and dynamodb:*, case-insensitively; * and ? in resources", () => {
    expect(decide([allow("dynamodb:Get*")], "dynamodb:GetItem", TABLE)).toBe("ALLOW");
    expect(decide([allow("dynamodb:Get*")], "dynamodb:PutItem", TABLE)).toBe("IMPLICIT_DENY");
    expect(decide([allow("DynamoDB:getitem")], "dynamodb:GetItem", TABLE)).toBe("ALLOW");
    expect(decide([allow("*")], "ssm:GetParameter", TABLE)).toBe("ALLOW");
    expect(
      decide(
        [allow("dynamodb:GetItem", "arn:aws:dynamodb:*:*:table/meridian-local-auth-*")],
        "dynamodb:GetItem",
        TABLE,
      ),
    ).toBe("ALLOW");
    expect(
      decide(
        [allow("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:00000000000?:table/*")],
        "dynamodb:GetItem",
        TABLE,
      ),
    ).toBe("ALLOW");
  });

  test("an index is its own resource: the table's ARN does not cover it, /index/* does", () => {
    const index = `${TABLE}/index/byOwner`;
    expect(decide([allow("dynamodb:Query")], "dynamodb:Query", index)).toBe("IMPLICIT_DENY");
    expect(decide([allow("dynamodb:Query", `${TABLE}/index/*`)], "dynamodb:Query", index)).toBe("ALLOW");
    expect(decide([allow("dynamodb:Query", `${TABLE}*`)], "dynamodb:Query", index)).toBe("ALLOW");
    expect(decide([allow("dynamodb:Query", `${TABLE}/index/*`)], "dynamodb:Query", TABLE)).toBe(
      "IMPLICIT_DENY",
    );
  });

  test("NotAction and NotResource", () => {
    const everythingButDeletes = { Effect: "Allow", NotAction: "dynamodb:Delete*", Resource: TABLE };
    expect(decide([everythingButDeletes], "dynamodb:GetItem", TABLE)).toBe("ALLOW");
    expect(decide([everythingButDeletes], "dynamodb:DeleteItem", TABLE)).toBe("IMPLICIT_DENY");
    const denyElsewhere = { Effect: "Deny", Action: "dynamodb:*", NotResource: TABLE };
    expect(decide([allow("dynamodb:*", "*"), denyElsewhere], "dynamodb:GetItem", OTHER_TABLE)).toBe(
      "EXPLICIT_DENY",
    );
    expect(decide([allow("dynamodb:*", "*"), denyElsewhere], "dynamodb:GetItem", TABLE)).toBe("ALLOW");
  });

  test("the decision names the statement that made it", () => {
    const { policy: read } = policy([
      { Sid: "ReadUsers", ...allow("dynamodb:GetItem") },
      deny("dynamodb:Scan"),
    ]);
    expect(evaluateIdentityPolicy(read, "dynamodb:GetItem", TABLE)).toEqual({
      decision: "ALLOW",
      statement: "Policies[0].Statement[0] 'ReadUsers'",
    });
    expect(evaluateIdentityPolicy(read, "dynamodb:Scan", TABLE)).toEqual({
      decision: "EXPLICIT_DENY",
      statement: "Policies[0].Statement[1]",
    });
  });
});

describe("what cannot be read fails closed, with a warning", () => {
  test("a Condition: such an Allow never applies, such a Deny always does", () => {
    const conditional = {
      ...allow("dynamodb:GetItem"),
      Condition: { StringEquals: { "aws:RequestedRegion": "us-east-1" } },
    };
    const { policy: read, warnings } = policy([conditional]);
    expect(warnings).toEqual([
      "Policies[0].Statement[0]: conditions are not evaluated locally; an Allow with it never applies, a Deny always does",
    ]);
    expect(evaluateIdentityPolicy(read, "dynamodb:GetItem", TABLE).decision).toBe("IMPLICIT_DENY");
    const conditionalDeny = {
      ...deny("dynamodb:GetItem"),
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    };
    expect(decide([allow("*", "*"), conditionalDeny], "dynamodb:GetItem", TABLE)).toBe("EXPLICIT_DENY");
    // It still applies only to the actions it names.
    expect(decide([allow("*", "*"), conditionalDeny], "dynamodb:PutItem", TABLE)).toBe("ALLOW");
  });

  test("a Principal, a policy variable, a missing Resource, a bad Effect", () => {
    const { policy: read, warnings } = policy([
      { ...allow("dynamodb:GetItem"), Principal: "*" },
      allow("dynamodb:GetItem", "arn:aws:dynamodb:*:*:table/${aws:username}"),
      { Effect: "Allow", Action: "dynamodb:GetItem" },
      { Effect: "Allowed", Action: "dynamodb:GetItem", Resource: TABLE },
    ]);
    expect(warnings.map((warning) => warning.replace(/; an Allow.*$/, ""))).toEqual([
      "Policies[0].Statement[0]: an identity-based policy cannot name a Principal",
      "Policies[0].Statement[1]: it uses a policy variable, which is not resolved locally",
      "Policies[0].Statement[2]: the statement has no Resource",
      "Policies[0].Statement[3]: Effect 'Allowed' is neither Allow nor Deny",
    ]);
    // A Deny whose resource has a policy variable applies to every resource.
    const variableDeny = deny("dynamodb:GetItem", "arn:aws:dynamodb:*:*:table/${aws:username}");
    expect(decide([allow("*", "*"), variableDeny], "dynamodb:GetItem", TABLE)).toBe("EXPLICIT_DENY");
    // The malformed Effect counts as a Deny.
    expect(evaluateIdentityPolicy(read, "dynamodb:GetItem", TABLE).decision).toBe("EXPLICIT_DENY");
    expect(evaluateIdentityPolicy(read, "dynamodb:PutItem", TABLE).decision).toBe("IMPLICIT_DENY");
  });

  test("a permissions boundary that is not read allows nothing", () => {
    const read: IdentityPolicy = { ...policy([allow("*", "*")]).policy, boundary: "PermissionsBoundary" };
    expect(evaluateIdentityPolicy(read, "dynamodb:GetItem", TABLE)).toEqual({
      decision: "IMPLICIT_DENY",
      by: "boundary",
    });
  });
});

function evaluatorFor(
  resources: CfnTemplate["Resources"],
  globals?: CfnTemplate["Globals"],
): TemplateEvaluator {
  return new TemplateEvaluator({
    template: {
      Conditions: {
        IsLocal: { "Fn::Equals": [{ Ref: "Environment" }, "local"] },
        IsProd: { "Fn::Equals": [{ Ref: "Environment" }, "prod"] },
      },
      Resources: resources,
      ...(globals ? { Globals: globals } : {}),
    } as CfnTemplate,
    stackName: "meridian-local-svc",
    region: "us-east-1",
    parameters: { Environment: "local" },
    resources: localResourceModel,
  });
}

const table = { Type: "AWS::DynamoDB::Table", Properties: {} };
const fn = (properties: Record<string, unknown>) => ({
  Type: "AWS::Serverless::Function",
  Properties: properties,
});
const SVC_TABLE = "arn:aws:dynamodb:us-east-1:000000000000:table/meridian-local-svc-ItemsTable";

function read(resources: CfnTemplate["Resources"], logicalId = "Fn", globals?: CfnTemplate["Globals"]) {
  const evaluator = evaluatorFor(resources, globals);
  const resource = resources[logicalId];
  if (!resource) throw new Error(`no ${logicalId}`);
  return functionIdentityPolicy(evaluator, logicalId, resource, "src/svc/template.yaml");
}

describe("a function's policies, read from its template", () => {
  test("inline Statement documents with intrinsics resolved; SAM's implicit policies add nothing locally", () => {
    const { policy: own, warnings } = read({
      ItemsTable: table,
      Fn: fn({
        Tracing: "Active",
        Policies: [
          {
            Statement: [
              {
                Effect: "Allow",
                Action: ["dynamodb:GetItem"],
                Resource: { "Fn::GetAtt": ["ItemsTable", "Arn"] },
              },
              {
                Effect: "Allow",
                Action: "ssm:GetParameter",
                Resource: {
                  "Fn::Sub":
                    "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/meridian/${Environment}/svc/*",
                },
              },
            ],
          },
        ],
      }),
    });
    expect(warnings).toEqual([]);
    expect(evaluateIdentityPolicy(own, "dynamodb:GetItem", SVC_TABLE).decision).toBe("ALLOW");
    expect(
      evaluateIdentityPolicy(
        own,
        "ssm:GetParameter",
        "arn:aws:ssm:us-east-1:000000000000:parameter/meridian/local/svc/a",
      ).decision,
    ).toBe("ALLOW");
    expect(evaluateIdentityPolicy(own, "logs:PutLogEvents", "*").decision).toBe("IMPLICIT_DENY");
  });

  test("managed policies and SAM policy templates grant nothing, and say so", () => {
    const { policy: own, warnings } = read({
      ItemsTable: table,
      Fn: fn({
        Policies: [
          "AmazonDynamoDBFullAccess",
          "arn:aws:iam::aws:policy/AdministratorAccess",
          { DynamoDBCrudPolicy: { TableName: { Ref: "ItemsTable" } } },
        ],
      }),
    });
    expect(own.statements).toEqual([]);
    expect(warnings).toEqual([
      "src/svc/template.yaml: Resources.Fn.Properties.Policies[0]: managed policy 'AmazonDynamoDBFullAccess' is not read locally; it grants nothing here (write its statements out under Statement: to have them enforced)",
      "src/svc/template.yaml: Resources.Fn.Properties.Policies[1]: managed policy 'arn:aws:iam::aws:policy/AdministratorAccess' is not read locally; it grants nothing here (write its statements out under Statement: to have them enforced)",
      "src/svc/template.yaml: Resources.Fn.Properties.Policies[2]: SAM policy template 'DynamoDBCrudPolicy' is not expanded locally; it grants nothing here (write its statements out under Statement: to have them enforced)",
    ]);
    expect(evaluateIdentityPolicy(own, "dynamodb:GetItem", SVC_TABLE).decision).toBe("IMPLICIT_DENY");
  });

  test("a single policy (not a list) and one behind Fn::If", () => {
    const single = read({
      ItemsTable: table,
      Fn: fn({ Policies: { Statement: { Effect: "Allow", Action: "dynamodb:*", Resource: "*" } } }),
    });
    expect(evaluateIdentityPolicy(single.policy, "dynamodb:GetItem", SVC_TABLE).decision).toBe("ALLOW");
    const conditional = (condition: string) =>
      read({
        Fn: fn({
          Policies: [
            {
              "Fn::If": [
                condition,
                { Statement: [{ Effect: "Allow", Action: "dynamodb:GetItem", Resource: "*" }] },
                { Ref: "AWS::NoValue" },
              ],
            },
          ],
        }),
      }).policy;
    expect(evaluateIdentityPolicy(conditional("IsLocal"), "dynamodb:GetItem", SVC_TABLE).decision).toBe(
      "ALLOW",
    );
    expect(conditional("IsProd").statements).toEqual([]);
  });

  test("a statement that cannot be resolved fails closed on its own", () => {
    const { policy: own, warnings } = read({
      ItemsTable: table,
      Fn: fn({
        Policies: [
          {
            Statement: [
              {
                Effect: "Allow",
                Action: "dynamodb:GetItem",
                Resource: { "Fn::GetAtt": ["ItemsTable", "StreamArn"] },
              },
              {
                Effect: "Allow",
                Action: "dynamodb:PutItem",
                Resource: { "Fn::GetAtt": ["ItemsTable", "Nope"] },
              },
            ],
          },
        ],
      }),
    });
    expect(warnings).toEqual([
      expect.stringMatching(
        /^src\/svc\/template.yaml: Resources.Fn.Properties.Policies\[0\].Statement\[1\]: cannot be resolved locally .*Nope.*; an Allow with it never applies/,
      ),
    ]);
    expect(evaluateIdentityPolicy(own, "dynamodb:PutItem", SVC_TABLE).decision).toBe("IMPLICIT_DENY");
  });

  test("policies attached to the generated role by their own resources count too", () => {
    const { policy: own } = read({
      ItemsTable: table,
      Fn: fn({}),
      ExtraPolicy: {
        Type: "AWS::IAM::Policy",
        Properties: {
          PolicyName: "extra",
          Roles: [{ Ref: "FnRole" }],
          PolicyDocument: { Statement: [{ Effect: "Allow", Action: "dynamodb:Scan", Resource: "*" }] },
        },
      },
      Unrelated: {
        Type: "AWS::IAM::Policy",
        Properties: {
          PolicyName: "other",
          Roles: ["someone-else"],
          PolicyDocument: { Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] },
        },
      },
    });
    expect(evaluateIdentityPolicy(own, "dynamodb:Scan", SVC_TABLE).decision).toBe("ALLOW");
    expect(evaluateIdentityPolicy(own, "dynamodb:GetItem", SVC_TABLE).decision).toBe("IMPLICIT_DENY");
  });

  test("Role: the template's AWS::IAM::Role's inline policies (SAM then ignores Policies)", () => {
    const { policy: own, warnings } = read({
      Fn: fn({
        Role: { "Fn::GetAtt": ["SharedRole", "Arn"] },
        Policies: [{ Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }],
      }),
      SharedRole: {
        Type: "AWS::IAM::Role",
        Properties: {
          Policies: [
            {
              PolicyName: "read",
              PolicyDocument: { Statement: [{ Effect: "Allow", Action: "dynamodb:GetItem", Resource: "*" }] },
            },
          ],
          ManagedPolicyArns: ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
        },
      },
    });
    expect(evaluateIdentityPolicy(own, "dynamodb:GetItem", SVC_TABLE).decision).toBe("ALLOW");
    expect(evaluateIdentityPolicy(own, "dynamodb:PutItem", SVC_TABLE).decision).toBe("IMPLICIT_DENY");
    expect(warnings).toEqual([
      "src/svc/template.yaml: Resources.Fn.Properties.Policies: SAM ignores Policies when Role is set; so does the local stack",
      "src/svc/template.yaml: Resources.SharedRole.Properties.ManagedPolicyArns: managed policy 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' is not read locally; it grants nothing here",
    ]);
  });

  test("a role from outside the template, or a permissions boundary: nothing is allowed", () => {
    const outside = read({ Fn: fn({ Role: "arn:aws:iam::000000000000:role/made-elsewhere" }) });
    expect(outside.policy.statements).toEqual([]);
    expect(outside.warnings).toEqual([
      "src/svc/template.yaml: Resources.Fn.Properties.Role: a role not declared in this template; its policies are unknown locally, so it is allowed nothing",
    ]);
    const bounded = read(
      { Fn: fn({ Policies: [{ Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }] }) },
      "Fn",
      { Function: { PermissionsBoundary: "arn:aws:iam::000000000000:policy/boundary" } },
    );
    expect(bounded.warnings).toEqual([
      "src/svc/template.yaml: Resources.Fn.Properties: PermissionsBoundary 'arn:aws:iam::000000000000:policy/boundary' is not a managed policy declared in a template run locally; it allows nothing here, so every AWS call of this function is denied",
    ]);
    expect(evaluateIdentityPolicy(bounded.policy, "dynamodb:GetItem", SVC_TABLE).decision).toBe(
      "IMPLICIT_DENY",
    );
  });
});

describe("AWS's messages and who is exempt", () => {
  const user =
    "arn:aws:sts::000000000000:assumed-role/meridian-local-auth-LoginFunctionRole/meridian-local-auth-LoginFunction";
  const check = { action: "dynamodb:GetItem", resource: OTHER_TABLE };

  test("implicit deny, explicit deny, permissions boundary", () => {
    expect(identityDeniedMessage(user, check, { decision: "IMPLICIT_DENY", by: "identity" })).toBe(
      `User: ${user} is not authorized to perform: dynamodb:GetItem on resource: ${OTHER_TABLE} because no identity-based policy allows the dynamodb:GetItem action`,
    );
    expect(identityDeniedMessage(user, check, { decision: "EXPLICIT_DENY", statement: "#1" })).toBe(
      `User: ${user} is not authorized to perform: dynamodb:GetItem on resource: ${OTHER_TABLE} with an explicit deny in an identity-based policy`,
    );
    expect(identityDeniedMessage(user, check, { decision: "IMPLICIT_DENY", by: "boundary" })).toMatch(
      /because no permissions boundary allows the dynamodb:GetItem action$/,
    );
  });

  test("authorize: a function is held to its policy, every check must pass; the operator is exempt", () => {
    const operator = { accessKeyId: "AKIALOCALOPERATOR", secretAccessKey: "s" };
    const callers = new LocalCallers(operator);
    const login = functionCaller(
      "auth/LoginFunction",
      "meridian-local-auth-LoginFunction",
      "arn:aws:iam::000000000000:role/meridian-local-auth-LoginFunctionRole",
      { accessKeyId: "ASIALOCALLOGIN", secretAccessKey: "t", sessionToken: "token" },
      "000000000000",
      policy([allow(["dynamodb:GetItem", "dynamodb:UpdateItem"])]).policy,
    );
    callers.add(login);
    expect(authorize(login, [{ action: "dynamodb:GetItem", resource: TABLE }])).toBeUndefined();
    const denial = authorize(login, [
      { action: "dynamodb:GetItem", resource: TABLE },
      { action: "dynamodb:GetItem", resource: OTHER_TABLE },
    ]);
    expect(denial?.message).toBe(
      `User: ${user} is not authorized to perform: dynamodb:GetItem on resource: ${OTHER_TABLE} because no identity-based policy allows the dynamodb:GetItem action`,
    );
    const admin = callers.byAccessKey(operator.accessKeyId);
    if (!admin) throw new Error("no operator");
    expect(authorize(admin, [{ action: "iam:CreateUser", resource: "*" }])).toBeUndefined();
  });
});
