// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Fn::Sub strings are CloudFormation syntax, not template literals

import { parseCfnYaml } from "../../../../tools/lib/cfn-yaml";
import { TemplateError } from "../../src/errors";
import type { CfnTemplate } from "../../src/project";
import { NO_VALUE, TemplateEvaluator } from "../../src/template/intrinsics";
import { localResourceModel, restApiId } from "../../src/template/resources";

const TEMPLATE = parseCfnYaml(`
Parameters:
  Environment: { Type: String }
  Mode: { Type: String }
  Names: { Type: CommaDelimitedList }
Mappings:
  Sizes:
    local: { Memory: 256 }
Conditions:
  IsLocal: !Equals [!Ref Environment, local]
  IsFast: !Equals [!Ref Mode, fast]
  LocalAndFast: !And [!Condition IsLocal, !Condition IsFast]
  LocalOrFast: !Or [!Condition IsLocal, !Condition IsFast]
  NotLocal: !Not [!Condition IsLocal]
Globals:
  Function:
    Timeout: 3
    RolePath: /from-globals/
Resources:
  Table:
    Type: AWS::DynamoDB::Table
  NamedTable:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "custom-\${Environment}"
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: x.handler
      RolePath: /meridian/
  Plain:
    Type: AWS::Serverless::Function
    Properties:
      Handler: x.handler
  ExecRole:
    Type: AWS::IAM::Role
    Properties:
      Path: !Sub /meridian/\${Environment}/svc/
      RoleName: !Sub exec-\${Environment}
  BareRole:
    Type: AWS::IAM::Role
  Secret:
    Type: AWS::SecretsManager::Secret
  Param:
    Type: AWS::SSM::Parameter
    Properties:
      Name: !Sub /meridian/\${Environment}/svc/thing/name
      Type: String
      Value: v
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: !Ref Environment
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: /x/y
  OnlyRemote:
    Type: AWS::SNS::Topic
    Condition: NotLocal
`) as CfnTemplate;

function evaluator(parameters: Record<string, string | string[]> = {}): TemplateEvaluator {
  return new TemplateEvaluator({
    template: TEMPLATE,
    stackName: "meridian-local-svc",
    region: "us-east-1",
    parameters: { Environment: "local", Mode: "slow", Names: ["a", "b", "c"], ...parameters },
    resources: localResourceModel,
  });
}

const ev = (value: unknown, parameters?: Record<string, string | string[]>) =>
  evaluator(parameters).evaluate(value);

describe("Ref", () => {
  test("parameters and pseudo parameters", () => {
    expect(ev({ Ref: "Environment" })).toBe("local");
    expect(ev({ Ref: "Names" })).toEqual(["a", "b", "c"]);
    expect(ev({ Ref: "AWS::Region" })).toBe("us-east-1");
    expect(ev({ Ref: "AWS::AccountId" })).toBe("000000000000");
    expect(ev({ Ref: "AWS::Partition" })).toBe("aws");
    expect(ev({ Ref: "AWS::URLSuffix" })).toBe("amazonaws.com");
    expect(ev({ Ref: "AWS::StackName" })).toBe("meridian-local-svc");
    expect(ev({ Ref: "AWS::StackId" })).toMatch(
      /^arn:aws:cloudformation:us-east-1:000000000000:stack\/meridian-local-svc\/[0-9a-f-]{36}$/,
    );
    expect(ev({ Ref: "AWS::NoValue" })).toBe(NO_VALUE);
  });

  test("resources resolve to their local physical ids", () => {
    expect(ev({ Ref: "Table" })).toBe("meridian-local-svc-Table");
    expect(ev({ Ref: "NamedTable" })).toBe("custom-local");
    expect(ev({ Ref: "Fn" })).toBe("meridian-local-svc-Fn");
    expect(ev({ Ref: "Param" })).toBe("/meridian/local/svc/thing/name");
    expect(ev({ Ref: "Api" })).toBe(restApiId("meridian-local-svc", "Api"));
    expect(ev({ Ref: "Api" })).toMatch(/^[a-z0-9]{10}$/);
    expect(ev({ Ref: "Api.Stage" })).toBe("local");
    expect(ev({ Ref: "Logs" })).toBe("/x/y");
    expect(ev({ Ref: "Secret" })).toMatch(
      /^arn:aws:secretsmanager:us-east-1:000000000000:secret:meridian-local-svc-Secret-[A-Za-z0-9]{6}$/,
    );
    // Deterministic: the same on every start.
    expect(ev({ Ref: "Secret" })).toBe(ev({ Ref: "Secret" }));
  });

  test("unknown names and resources whose condition is false are errors", () => {
    expect(() => ev({ Ref: "Nope" })).toThrow(TemplateError);
    expect(() => ev({ Ref: "OnlyRemote" })).toThrow(/condition 'NotLocal' is false/);
    expect(ev({ Ref: "OnlyRemote" }, { Environment: "dev" })).toBe(
      "arn:aws:sns:us-east-1:000000000000:meridian-local-svc-OnlyRemote",
    );
  });
});

describe("Fn::GetAtt", () => {
  test("ARNs and attributes", () => {
    expect(ev({ "Fn::GetAtt": ["Fn", "Arn"] })).toBe(
      "arn:aws:lambda:us-east-1:000000000000:function:meridian-local-svc-Fn",
    );
    expect(ev({ "Fn::GetAtt": ["Table", "Arn"] })).toBe(
      "arn:aws:dynamodb:us-east-1:000000000000:table/meridian-local-svc-Table",
    );
    expect(ev({ "Fn::GetAtt": "NamedTable.Arn" })).toBe(
      "arn:aws:dynamodb:us-east-1:000000000000:table/custom-local",
    );
    expect(ev({ "Fn::GetAtt": ["Param", "Value"] })).toBe("v");
    expect(ev({ "Fn::GetAtt": ["Logs", "Arn"] })).toBe(
      "arn:aws:logs:us-east-1:000000000000:log-group:/x/y:*",
    );
    expect(ev({ "Fn::GetAtt": ["Secret", "Id"] })).toBe(ev({ Ref: "Secret" }));
  });

  test("SAM's generated function role, with RolePath (the function's, else Globals')", () => {
    expect(ev({ "Fn::GetAtt": ["FnRole", "Arn"] })).toBe(
      "arn:aws:iam::000000000000:role/meridian/meridian-local-svc-FnRole",
    );
    expect(ev({ "Fn::GetAtt": ["PlainRole", "Arn"] })).toBe(
      "arn:aws:iam::000000000000:role/from-globals/meridian-local-svc-PlainRole",
    );
    expect(ev({ "Fn::GetAtt": ["FnRole", "RoleId"] })).toMatch(/^AROA[A-Z0-9]{17}$/);
  });

  test("AWS::IAM::Role: its name (RoleName, else generated) and an ARN with its Path", () => {
    expect(ev({ Ref: "ExecRole" })).toBe("exec-local");
    expect(ev({ "Fn::GetAtt": ["ExecRole", "Arn"] })).toBe(
      "arn:aws:iam::000000000000:role/meridian/local/svc/exec-local",
    );
    expect(ev({ "Fn::GetAtt": ["BareRole", "Arn"] })).toBe(
      "arn:aws:iam::000000000000:role/meridian-local-svc-BareRole",
    );
    expect(ev({ "Fn::GetAtt": ["BareRole", "RoleId"] })).not.toBe(
      ev({ "Fn::GetAtt": ["ExecRole", "RoleId"] }),
    );
  });

  test("an unsupported attribute is a clear error", () => {
    expect(() => ev({ "Fn::GetAtt": ["Table", "Nope"] })).toThrow(/Table.Nope/);
  });
});

describe("Fn::Sub", () => {
  test("parameters, pseudo parameters, attributes and escapes", () => {
    expect(ev({ "Fn::Sub": "arn:${AWS::Partition}:x:${AWS::Region}:${AWS::AccountId}:${Environment}" })).toBe(
      "arn:aws:x:us-east-1:000000000000:local",
    );
    expect(ev({ "Fn::Sub": "${Table.Arn}/index/*" })).toBe(
      "arn:aws:dynamodb:us-east-1:000000000000:table/meridian-local-svc-Table/index/*",
    );
    expect(ev({ "Fn::Sub": "${!Literal} and ${Environment}" })).toBe("${Literal} and local");
  });

  test("the variable-map form", () => {
    expect(
      ev({ "Fn::Sub": ["${Greeting}, ${Environment}", { Greeting: { "Fn::Join": ["", ["he", "llo"]] } }] }),
    ).toBe("hello, local");
  });

  test("a list in a string is an error", () => {
    expect(() => ev({ "Fn::Sub": "${Names}" })).toThrow(/not a string/);
  });
});

describe("conditions", () => {
  test("Equals, Not, And, Or and Fn::If", () => {
    const local = evaluator();
    expect(local.condition("IsLocal")).toBe(true);
    expect(local.condition("LocalAndFast")).toBe(false);
    expect(local.condition("LocalOrFast")).toBe(true);
    expect(local.condition("NotLocal")).toBe(false);
    expect(evaluator({ Mode: "fast" }).condition("LocalAndFast")).toBe(true);
    expect(ev({ "Fn::If": ["IsLocal", "yes", "no"] })).toBe("yes");
    expect(ev({ "Fn::If": ["IsFast", "yes", "no"] })).toBe("no");
  });

  test("Fn::If with AWS::NoValue drops the key or list item", () => {
    expect(ev({ keep: 1, drop: { "Fn::If": ["IsFast", 1, { Ref: "AWS::NoValue" }] } })).toEqual({ keep: 1 });
    expect(ev(["a", { "Fn::If": ["IsFast", "b", { Ref: "AWS::NoValue" }] }, "c"])).toEqual(["a", "c"]);
  });

  test("an unknown condition is an error", () => {
    expect(() => ev({ "Fn::If": ["Nope", 1, 2] })).toThrow(/unknown condition 'Nope'/);
  });
});

describe("list and string functions", () => {
  test("Join, Select, Split, FindInMap, Base64, GetAZs, Length, ToJsonString", () => {
    expect(ev({ "Fn::Join": [",", { Ref: "Names" }] })).toBe("a,b,c");
    expect(ev({ "Fn::Select": [1, { Ref: "Names" }] })).toBe("b");
    expect(ev({ "Fn::Select": ["2", { "Fn::Split": ["/", "x/y/z"] }] })).toBe("z");
    expect(ev({ "Fn::FindInMap": ["Sizes", { Ref: "Environment" }, "Memory"] })).toBe(256);
    expect(ev({ "Fn::Base64": "hi" })).toBe("aGk=");
    expect(ev({ "Fn::GetAZs": "" })).toEqual(["us-east-1a", "us-east-1b", "us-east-1c"]);
    expect(ev({ "Fn::Length": { Ref: "Names" } })).toBe(3);
    expect(ev({ "Fn::ToJsonString": { a: { Ref: "Environment" } } })).toBe('{"a":"local"}');
  });

  test("out of range and unsupported functions are errors", () => {
    expect(() => ev({ "Fn::Select": [5, ["a"]] })).toThrow(/out of range/);
    expect(() => ev({ "Fn::ImportValue": "x" })).toThrow(/not supported/);
  });
});

describe("rewriteString", () => {
  test("applies to every string of a result", () => {
    const rewriting = new TemplateEvaluator({
      template: TEMPLATE,
      stackName: "s",
      region: "us-east-1",
      parameters: { Environment: "local", Mode: "x", Names: [] },
      resources: localResourceModel,
      rewriteString: (value) => value.toUpperCase(),
    });
    expect(rewriting.evaluate({ a: [{ "Fn::Sub": "${Environment}" }] })).toEqual({ a: ["LOCAL"] });
  });
});
