import { type CfnResource, loadTemplate, samProperties } from "../../tools/lib/cfn-yaml";
import { withNestedStacks } from "../../tools/lib/nested-stacks";
import { loadServices } from "../../tools/lib/project";
import { PIPELINE_TEMPLATE } from "../../tools/pipeline";

/**
 * What keeps a push to main from becoming an administrator: every role a
 * service template creates carries its environment's permissions boundary
 * (the ops stack's), the deploy role may create or change roles only with
 * that boundary and may not change the boundary, API Gateway writes need
 * Meridian's tag, and only the Bundle build may write the deploy artifact.
 */
interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const pipeline = loadTemplate(PIPELINE_TEMPLATE);
const services = loadServices().map(withNestedStacks);
const ENVIRONMENTS = ["dev", "staging", "prod"];
/** CloudFormation's `${Environment}`, spelled so it is not read as a JavaScript placeholder. */
const ENV = "$" + "{Environment}";
const boundaryArn = (environment: string) =>
  `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:policy/meridian-${environment}-permissions-boundary`;

function statementsOf(logicalId: string): Statement[] {
  const role = pipeline.Resources[logicalId] as CfnResource;
  const policies = (role.Properties?.Policies ?? []) as Array<{ PolicyDocument: { Statement: Statement[] } }>;
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

const actionsOf = (statement: Statement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];
const resourcesOf = (statement: Statement): unknown[] =>
  Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
const subText = (value: unknown): string => {
  const sub = (value as { "Fn::Sub"?: unknown })["Fn::Sub"];
  return typeof sub === "string" ? sub : JSON.stringify(value);
};

describe("every role a service template creates carries the ops stack's permissions boundary", () => {
  const ops = services.find((service) => service.name === "ops");

  test("ops defines one boundary per environment and publishes its ARN in SSM", () => {
    const policy = ops?.template.Resources.PermissionsBoundaryPolicy;
    expect(policy?.Type).toBe("AWS::IAM::ManagedPolicy");
    expect(policy?.Properties?.ManagedPolicyName).toEqual({
      "Fn::Sub": `meridian-${ENV}-permissions-boundary`,
    });
    const statements = (policy?.Properties?.PolicyDocument as { Statement: Statement[] }).Statement;
    for (const statement of statements) {
      expect(statement.Effect).toBe("Allow");
      for (const action of actionsOf(statement)) expect(action).not.toMatch(/^(iam|sts|organizations):|\*$/);
    }
    expect(ops?.template.Resources.PermissionsBoundaryArnParameter?.Properties).toMatchObject({
      Name: { "Fn::Sub": `/meridian/${ENV}/ops/boundary/arn` },
      Value: { Ref: "PermissionsBoundaryPolicy" },
    });
  });

  test.each(
    services.filter((service) => service.name !== "ops").map((service) => [service.name, service] as const),
  )("%s: functions (Globals) and every AWS::IAM::Role", (_name, service) => {
    const boundary = { Ref: "PermissionsBoundaryArn" };
    expect(service.template.Parameters?.PermissionsBoundaryArn?.Type).toBe(
      "AWS::SSM::Parameter::Value<String>",
    );
    expect(service.metadata.parameters.PermissionsBoundaryArn).toBe(
      "/meridian/{Environment}/ops/boundary/arn",
    );
    for (const [logicalId, resource] of Object.entries(service.template.Resources)) {
      if (resource.Type === "AWS::Serverless::Function") {
        // As SAM merges it: from Globals, or its own in a nested stack (Globals are per template).
        expect([logicalId, samProperties(service.template, logicalId).PermissionsBoundary]).toEqual([
          logicalId,
          boundary,
        ]);
      }
      if (resource.Type === "AWS::IAM::Role") {
        expect([logicalId, resource.Properties?.PermissionsBoundary]).toEqual([logicalId, boundary]);
      }
    }
  });
});

describe("the boundary leaves every function what its own policy grants", () => {
  const ops = services.find((service) => service.name === "ops");
  const boundary = (
    ops?.template.Resources.PermissionsBoundaryPolicy?.Properties?.PolicyDocument as {
      Statement: Statement[];
    }
  ).Statement;
  const allowedByBoundary = (action: string) =>
    boundary.some((statement) =>
      actionsOf(statement).some((allowed) => new RegExp(`^${allowed.replace(/\*/g, ".*")}$`).test(action)),
    );

  test.each(
    services.filter((service) => service.name !== "ops").map((service) => [service.name, service] as const),
  )("%s: every action its functions' policies allow is within the boundary", (_name, service) => {
    const outside = Object.entries(service.template.Resources)
      .filter(([, resource]) => resource.Type === "AWS::Serverless::Function")
      .flatMap(([logicalId, resource]) =>
        ((resource.Properties?.Policies ?? []) as Array<{ Statement?: Statement[] }>)
          .flatMap((policy) => policy.Statement ?? [])
          .filter((statement) => statement.Effect === "Allow")
          .flatMap(actionsOf)
          .filter((action) => !allowedByBoundary(action))
          .map((action) => `${logicalId}: ${action}`),
      );
    expect(outside).toEqual([]);
  });
});

describe("the stack execution role", () => {
  const statements = statementsOf("StackExecutionRole");
  const ROLE_CHANGES = [
    "iam:CreateRole",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
  ];

  test("creates and changes roles' permissions only with an environment's boundary attached", () => {
    const granting = statements.filter(
      (statement) =>
        statement.Effect === "Allow" && actionsOf(statement).some((action) => ROLE_CHANGES.includes(action)),
    );
    expect(
      granting
        .flatMap(actionsOf)
        .filter((action) => ROLE_CHANGES.includes(action))
        .sort(),
    ).toEqual([...ROLE_CHANGES].sort());
    for (const statement of granting) {
      const condition = statement.Condition?.ArnEquals?.["iam:PermissionsBoundary"] as unknown[];
      expect([statement.Sid, condition?.map(subText)]).toEqual([
        statement.Sid,
        ENVIRONMENTS.map(boundaryArn),
      ]);
    }
  });

  test("may never remove a boundary, nor change or delete one", () => {
    expect.hasAssertions();
    const denied = statements.filter((statement) => statement.Effect === "Deny").flatMap(actionsOf);
    for (const action of [
      "iam:DeleteRolePermissionsBoundary",
      "iam:CreatePolicyVersion",
      "iam:SetDefaultPolicyVersion",
      "iam:DeletePolicyVersion",
      "iam:DeletePolicy",
    ]) {
      expect(denied).toContain(action);
    }
    const policyGrants = statements
      .filter((statement) => statement.Effect === "Allow")
      .filter((statement) =>
        actionsOf(statement).some(
          (action) => /^iam:.*Policy(Version)?s?$/.test(action) && !/Role/.test(action),
        ),
      );
    for (const statement of policyGrants) {
      expect(resourcesOf(statement).map(subText).sort()).toEqual(ENVIRONMENTS.map(boundaryArn).sort());
    }
  });

  test("writes only to Meridian's APIs (tagged Project=meridian)", () => {
    const apiWrites = statements.filter((statement) =>
      actionsOf(statement).some((action) =>
        /^apigateway:(POST|PUT|PATCH|DELETE|UpdateRestApiPolicy)$/.test(action),
      ),
    );
    expect(apiWrites.length).toBeGreaterThan(0);
    for (const statement of apiWrites) {
      const tags = statement.Condition?.StringEquals ?? {};
      expect([statement.Sid, tags["aws:ResourceTag/Project"] ?? tags["aws:RequestTag/Project"]]).toEqual([
        statement.Sid,
        "meridian",
      ]);
    }
  });

  test("may pass roles only to Lambda (functions) and CodeDeploy (traffic shifting)", () => {
    expect.hasAssertions();
    const passes = statements.filter((statement) => actionsOf(statement).includes("iam:PassRole"));
    for (const statement of passes) {
      expect(statement.Condition).toEqual({
        StringEquals: { "iam:PassedToService": ["lambda.amazonaws.com", "codedeploy.amazonaws.com"] },
      });
    }
  });
});

describe("the build roles", () => {
  const projects = Object.values(pipeline.Resources).filter(
    (resource) => resource.Type === "AWS::CodeBuild::Project",
  );

  test("Test and Bundle run as different roles", () => {
    const roles = projects.map((project) => JSON.stringify(project.Properties?.ServiceRole));
    expect(new Set(roles).size).toBe(projects.length);
  });

  test("only Bundle may write the artifact; Test writes its own cache alone", () => {
    const writes = (role: string) =>
      statementsOf(role)
        .filter((statement) => actionsOf(statement).includes("s3:PutObject"))
        .flatMap(resourcesOf)
        .map(subText);
    expect(writes("TestBuildRole")).toEqual([`\${ArtifactBucket.Arn}/cache/test/*`]);
    expect(writes("BundleBuildRole")).toEqual([`\${ArtifactBucket.Arn}/*`]);
  });
});

test("the deployer may read CodeDeploy deployments, to name the alarm behind a rollback", () => {
  const reads = statementsOf("DeployerRole").filter((statement) =>
    actionsOf(statement).includes("codedeploy:GetDeployment"),
  );
  expect(reads.flatMap(resourcesOf).map(subText)).toEqual(
    ENVIRONMENTS.map(
      (environment) =>
        `arn:\${AWS::Partition}:codedeploy:\${AWS::Region}:\${AWS::AccountId}:deploymentgroup:meridian-${environment}-*/*`,
    ),
  );
});
