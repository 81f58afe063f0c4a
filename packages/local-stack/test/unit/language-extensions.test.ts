// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Fn::Sub strings and OutputKeys are CloudFormation syntax, not template literals

import { parseCfnYaml } from "../../../../tools/lib/cfn-yaml";
import { TemplateError } from "../../src/errors";
import type { CfnTemplate } from "../../src/project";
import { expandLanguageExtensions } from "../../src/template/language-extensions";

const expand = (yaml: string): CfnTemplate =>
  expandLanguageExtensions(parseCfnYaml(yaml) as CfnTemplate, "t.yaml");
const HEADER = "Transform: AWS::LanguageExtensions\n";

// The examples below are the ones the CloudFormation Template Reference gives for Fn::ForEach.
describe("Fn::ForEach as CloudFormation documents it", () => {
  it("replicates a resource per item, replacing ${Identifier} in the logical id and in Fn::Sub strings", () => {
    const template = expand(`${HEADER}
Resources:
  Fn::ForEach::Topics:
    - TopicName
    - [Success, Failure, Timeout, Unknown]
    - SnsTopic\${TopicName}:
        Type: AWS::SNS::Topic
        Properties:
          TopicName: !Sub "\${TopicName}.fifo"
          FifoTopic: true
`);
    expect(Object.keys(template.Resources)).toEqual([
      "SnsTopicSuccess",
      "SnsTopicFailure",
      "SnsTopicTimeout",
      "SnsTopicUnknown",
    ]);
    expect(template.Resources.SnsTopicTimeout).toEqual({
      Type: "AWS::SNS::Topic",
      // A Sub left without variables is its string, as CloudFormation (and cfn-lint) resolve it.
      Properties: { TopicName: "Timeout.fifo", FifoTopic: true },
    });
  });

  it("&{Identifier} drops the item's non-alphanumeric characters; Ref Identifier is the item itself", () => {
    const template = expand(`${HEADER}
Resources:
  Fn::ForEach::Subnets:
    - CIDR
    - [10.0.2.0/24, 10.0.3.0/24, 10.0.4.0/24]
    - Subnet&{CIDR}:
        Type: AWS::EC2::Subnet
        Properties:
          VpcId: vpc-1234567890abc
          CidrBlock: !Ref CIDR
`);
    expect(Object.keys(template.Resources)).toEqual(["Subnet1002024", "Subnet1003024", "Subnet1004024"]);
    expect(template.Resources.Subnet1003024?.Properties).toEqual({
      VpcId: "vpc-1234567890abc",
      CidrBlock: "10.0.3.0/24",
    });
  });

  it("nests loops, the inner OutputKey using both identifiers (Outputs example)", () => {
    const template = expand(`${HEADER}
Resources:
  Fn::ForEach::Buckets:
    - Identifier
    - [A, B, C]
    - S3Bucket\${Identifier}:
        Type: AWS::S3::Bucket
Outputs:
  Fn::ForEach::BucketOutputs:
    - Identifier
    - [A, B, C]
    - Fn::ForEach::GetAttLoop:
        - Property
        - [Arn, RegionalDomainName]
        - S3Bucket\${Identifier}\${Property}:
            Value: !GetAtt [!Sub "S3Bucket\${Identifier}", !Ref Property]
`);
    expect(Object.keys(template.Resources)).toEqual(["S3BucketA", "S3BucketB", "S3BucketC"]);
    expect(Object.keys(template.Outputs ?? {})).toEqual([
      "S3BucketAArn",
      "S3BucketARegionalDomainName",
      "S3BucketBArn",
      "S3BucketBRegionalDomainName",
      "S3BucketCArn",
      "S3BucketCRegionalDomainName",
    ]);
    expect(template.Outputs?.S3BucketBArn).toEqual({
      Value: { "Fn::GetAtt": ["S3BucketB", "Arn"] },
    });
  });

  it("expands inside resource properties and in Conditions, keeping the other keys in place", () => {
    const template = expand(`${HEADER}
Conditions:
  Fn::ForEach::CheckKeys:
    - Key
    - [Tag1, Tag2]
    - Is\${Key}Set: !Not [!Equals [!Ref AWS::NoValue, ""]]
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: t
      Fn::ForEach::Settings:
        - Setting
        - [A, B]
        - Option\${Setting}: !Sub "value-\${Setting}"
`);
    expect(Object.keys(template.Conditions ?? {})).toEqual(["IsTag1Set", "IsTag2Set"]);
    expect(template.Resources.Table?.Properties).toEqual({
      TableName: "t",
      OptionA: "value-A",
      OptionB: "value-B",
    });
  });

  it("leaves a template without loops as it is, and keeps Ref to other names and ${!escapes}", () => {
    const plain = parseCfnYaml("Resources:\n  A:\n    Type: AWS::SNS::Topic\n") as CfnTemplate;
    expect(expandLanguageExtensions(plain)).toBe(plain);
    const template = expand(`${HEADER}
Resources:
  Fn::ForEach::Queues:
    - Name
    - [Orders]
    - \${Name}Queue:
        Type: AWS::SQS::Queue
        Properties:
          QueueName: !Sub "\${AWS::StackName}-\${Name}-\${!Literal}"
          Tags: [{ Key: env, Value: !Ref Environment }]
`);
    expect(template.Resources.OrdersQueue?.Properties).toEqual({
      QueueName: { "Fn::Sub": "${AWS::StackName}-Orders-${!Literal}" },
      Tags: [{ Key: "env", Value: { Ref: "Environment" } }],
    });
  });
});

describe("where an item is applied", () => {
  it("in keys, Fn::Sub strings, Ref and Ref: !Sub, and FindInMap resolves; other strings and condition names stay", () => {
    const template = expand(`${HEADER}
Mappings:
  Logs:
    Orders: { Name: orders-log }
Conditions:
  HasOrders: !Equals [a, a]
Resources:
  Fn::ForEach::Queues:
    - Name
    - [Orders]
    - \${Name}Queue:
        Type: AWS::SQS::Queue
        Properties:
          Literal: "\${Name} stays"
          Log: !FindInMap [Logs, !Ref Name, Name]
          Self: !Ref { "Fn::Sub": "\${Name}Queue" }
          Other: !Ref Elsewhere
          Ampersand: !Sub "&{Name}-x"
          Choice: !If [HasOrders, !Sub "\${Name}-yes", no]
`);
    expect(template.Resources.OrdersQueue?.Properties).toEqual({
      Literal: "${Name} stays",
      Log: "orders-log",
      Self: { Ref: "OrdersQueue" },
      Other: { Ref: "Elsewhere" },
      // &{} is a key's form only: CloudFormation leaves it in a Sub as written.
      Ampersand: { "Fn::Sub": "&{Name}-x" },
      Choice: { "Fn::If": ["HasOrders", "Orders-yes", "no"] },
    });
  });
});

describe("what the local stack cannot expand fails closed, naming the loop", () => {
  const fails = (yaml: string, message: RegExp): void => {
    expect(() => expand(yaml)).toThrow(TemplateError);
    expect(() => expand(yaml)).toThrow(message);
  };

  it("a collection that only CloudFormation can resolve (Ref to a CommaDelimitedList)", () => {
    fails(
      `${HEADER}
Parameters:
  Names: { Type: CommaDelimitedList }
Resources:
  Fn::ForEach::Queues: [Name, !Ref Names, { "\${Name}Queue": { Type: AWS::SQS::Queue } }]
`,
      /t\.yaml: Resources\.Fn::ForEach::Queues: the collection must be a literal list/,
    );
  });

  it("an OutputKey without the identifier, a malformed loop, a duplicate key", () => {
    fails(
      `${HEADER}Resources:\n  Fn::ForEach::Q: [Name, [A], { Queue: { Type: AWS::SQS::Queue } }]\n`,
      /must contain \$\{Name\}/,
    );
    fails(`${HEADER}Resources:\n  Fn::ForEach::Q: [Name, [A]]\n`, /expected \[Identifier, Collection/);
    fails(
      `${HEADER}Resources:\n  AQueue: { Type: AWS::SQS::Queue }\n  Fn::ForEach::Q: [Name, [A], { "\${Name}Queue": { Type: AWS::SQS::Queue } }]\n`,
      /'AQueue' is declared twice/,
    );
  });

  it("a loop without the transform, or in a section CloudFormation does not expand", () => {
    fails(
      `Resources:\n  Fn::ForEach::Q: [N, [A], { "\${N}Q": { Type: AWS::SQS::Queue } }]\n`,
      /needs 'Transform: AWS::LanguageExtensions'/,
    );
    fails(
      `${HEADER}Parameters:\n  Fn::ForEach::P: [N, [A], { "\${N}P": { Type: String } }]\nResources: {}\n`,
      /Parameters: Fn::ForEach may stand only in Conditions, Resources and Outputs/,
    );
  });
});
