// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Fn::Sub strings are CloudFormation syntax, not template literals
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { copyServices, type ServiceCopy } from "../../../../tests/support/service-copy";
import type { CfnTemplate } from "../../src/project";
import type { LocalFunctionInfo } from "../../src/stack";
import { signedFetch, type TestStack } from "../support/stack";
import { call, FIXTURE_SRC, startFixtureStack } from "./fixture";

/*
 * Identity policies on a copy of the fixtures: what the local stack cannot
 * read (a managed policy, a SAM policy template, a condition) is reported at
 * start and grants nothing; AWS_IAM routes of an API without a resource policy
 * take the caller's identity policy, as API Gateway does.
 */

const ACCOUNT = "000000000000";

function properties(template: CfnTemplate, logicalId: string): Record<string, unknown> {
  const resource = template.Resources[logicalId];
  if (!resource) throw new Error(`no resource ${logicalId}`);
  resource.Properties ??= {};
  return resource.Properties;
}

let copy: ServiceCopy;
let stack: TestStack;
let alpha: string;

function fn(id: string): LocalFunctionInfo {
  const found = stack.functions[id];
  if (!found) throw new Error(`no function ${id}`);
  return found;
}

beforeAll(async () => {
  copy = copyServices(FIXTURE_SRC, {
    alpha: (template) => {
      properties(template, "EchoFunction").Policies = [
        "AmazonDynamoDBFullAccess",
        { DynamoDBCrudPolicy: { TableName: { Ref: "ItemsTable" } } },
        {
          Statement: [
            { Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: { Ref: "SigningSecret" } },
            {
              Effect: "Allow",
              Action: "ssm:GetParameter",
              Resource: {
                "Fn::Sub":
                  "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/meridian/${Environment}/alpha/*",
              },
            },
            {
              Sid: "OnlyOnWeekdays",
              Effect: "Allow",
              Action: "dynamodb:*",
              Resource: "*",
              Condition: { StringEquals: { "aws:RequestedRegion": "us-east-1" } },
            },
            {
              Effect: "Allow",
              Action: "execute-api:Invoke",
              Resource: {
                "Fn::Sub":
                  "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${AlphaApi}/*/*/iam",
              },
            },
          ],
        },
      ];
      properties(template, "FailFunction").Policies = [
        {
          Statement: [
            { Effect: "Allow", Action: "*", Resource: "*" },
            { Sid: "NoApiCalls", Effect: "Deny", Action: "execute-api:*", Resource: "*" },
          ],
        },
      ];
    },
  });
  stack = await startFixtureStack({ srcDir: copy.srcDir });
  alpha = stack.endpoints.alpha ?? "";
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  copy?.remove();
});

test("what cannot be read is reported at start", () => {
  const warnings = stack.logs
    .filter((entry) => entry.source === "stack" && entry.level === "WARN")
    .map((entry) => entry.message);
  const where = "src/alpha/template.yaml: Resources.EchoFunction.Properties.Policies";
  expect(warnings).toEqual(
    expect.arrayContaining([
      `${where}[0]: managed policy 'AmazonDynamoDBFullAccess' is not read locally; it grants nothing here (write its statements out under Statement: to have them enforced)`,
      `${where}[1]: SAM policy template 'DynamoDBCrudPolicy' is not expanded locally; it grants nothing here (write its statements out under Statement: to have them enforced)`,
      `${where}[2].Statement[2] 'OnlyOnWeekdays': conditions are not evaluated locally; an Allow with it never applies, a Deny always does`,
    ]),
  );
});

test("so the function's DynamoDB write is denied: GET /aws fails, with AccessDeniedException in the gateway's log", async () => {
  const from = stack.logs.length;
  const reply = await call("GET", `${alpha}/aws`);
  expect(reply.status).toBe(502);
  const access = stack.logs.slice(from).find((entry) => entry.source === "gateway");
  expect(String(access?.fields.detail)).toMatch(
    /AccessDeniedException: User: arn:aws:sts::000000000000:assumed-role\/meridian-local-alpha-EchoFunctionRole\/meridian-local-alpha-EchoFunction is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table\/meridian-local-alpha-ItemsTable because no identity-based policy allows the dynamodb:PutItem action/,
  );
});

test("an Allow on everything covers everything its Deny does not", async () => {
  const dynamodb = new DynamoDBClient({
    endpoint: stack.dynamodbEndpoint,
    region: stack.region,
    credentials: fn("alpha/FailFunction").credentials,
  });
  try {
    const read = await dynamodb.send(
      new GetItemCommand({
        TableName: "meridian-local-alpha-ItemsTable",
        Key: { pk: { S: "none" }, sk: { S: "none" } },
      }),
    );
    expect(read.Item).toBeUndefined();
  } finally {
    dynamodb.destroy();
  }
});

describe("an AWS_IAM route of an API with no resource policy: the caller's identity policy decides", () => {
  const methodArn = (apiId: string) => `arn:aws:execute-api:us-east-1:\\*{8}0000:${apiId}/local/GET/iam`;

  test("allowed by its identity policy: 200", async () => {
    expect((await signedFetch(stack, `${alpha}/iam`, {}, fn("alpha/EchoFunction").credentials)).status).toBe(
      200,
    );
  });

  test("no statement allows it: 403 with API Gateway's identity-based message", async () => {
    const reply = await signedFetch(stack, `${alpha}/iam`, {}, fn("alpha/AuthorizerFunction").credentials);
    expect(reply.status).toBe(403);
    const { event } = (await call("GET", `${alpha}/echo`)).body as {
      event: { requestContext: { apiId: string } };
    };
    expect(((await reply.json()) as { error: { code: string; message: string } }).error).toEqual({
      code: "ACCESS_DENIED",
      message: expect.stringMatching(
        new RegExp(
          `^User: arn:aws:sts::${ACCOUNT}:assumed-role/meridian-local-alpha-AuthorizerFunctionRole/meridian-local-alpha-AuthorizerFunction ` +
            `is not authorized to perform: execute-api:Invoke on resource: ${methodArn(event.requestContext.apiId)} ` +
            "because no identity-based policy allows the execute-api:Invoke action$",
        ),
      ),
    });
  });

  test("an explicit Deny in its identity policy: 403, whatever else allows it", async () => {
    const reply = await signedFetch(stack, `${alpha}/iam`, {}, fn("alpha/FailFunction").credentials);
    expect(reply.status).toBe(403);
    expect(((await reply.json()) as { error: { message: string } }).error.message).toMatch(
      /assumed-role\/meridian-local-alpha-FailFunctionRole\/.* with an explicit deny in an identity-based policy$/,
    );
    const denial = stack.logs.findLast(
      (entry) => entry.source === "gateway" && entry.message.includes("/iam"),
    );
    expect(denial?.fields.detail).toMatch(/identity policy: denied by statement .*'NoApiCalls'/);
  });

  test("the operator: passes", async () => {
    expect((await signedFetch(stack, `${alpha}/iam`)).status).toBe(200);
  });
});
