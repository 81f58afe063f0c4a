import { join } from "node:path";
import { type CfnResource, loadTemplate } from "../../tools/lib/cfn-yaml";
import { ROOT } from "../../tools/lib/project";
import {
  ACCEPTANCE_VARIABLE,
  buildspecCommands,
  isAcceptance,
  PIPELINE_TEMPLATE,
  type PipelineAction,
  parseBuildspec,
  pipelineActions,
} from "../../tools/pipeline";

/**
 * The acceptance actions: tests/e2e against each environment right after its
 * deploy, and a failure stops promotion to the next one.
 */

const template = loadTemplate(PIPELINE_TEMPLATE);
const actions = pipelineActions();
const acceptances = actions.filter(isAcceptance);

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

function resource(logicalId: string): CfnResource {
  const found = template.Resources[logicalId];
  if (!found) throw new Error(`pipeline.yaml has no resource ${logicalId}`);
  return found;
}

function deployedEnvironment(action: PipelineAction): string | undefined {
  if (action.category !== "Invoke") return undefined;
  const parameters = JSON.parse(String(action.configuration.UserParameters)) as {
    environment: string;
    mode?: string;
  };
  return parameters.mode === undefined ? parameters.environment : undefined;
}

function projectOf(action: PipelineAction): CfnResource {
  return resource((action.configuration.ProjectName as { Ref: string }).Ref);
}

function roleStatements(action: PipelineAction): Statement[] {
  const roleId =
    (projectOf(action).Properties?.ServiceRole as { "Fn::GetAtt": string[] })["Fn::GetAtt"][0] ?? "";
  const policies = (resource(roleId).Properties?.Policies ?? []) as Array<{
    PolicyDocument: { Statement: Statement[] };
  }>;
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

/** A statement as [actions, resources], Fn::Sub and GetAtt spelled as text. */
function grant(statement: Statement): [string[], string[]] {
  const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
  const text = (value: unknown): string => {
    const node = value as { "Fn::Sub"?: string; "Fn::GetAtt"?: string[] };
    return node["Fn::Sub"] ?? (node["Fn::GetAtt"] ? node["Fn::GetAtt"].join(".") : JSON.stringify(value));
  };
  return [list(statement.Action), list(statement.Resource).map(text)];
}

test("dev and staging each get an acceptance action, prod none", () => {
  expect(acceptances.map((action) => [action.stage, action.variables[ACCEPTANCE_VARIABLE]])).toEqual([
    ["DeployDev", "dev"],
    ["DeployStaging", "staging"],
  ]);
});

test.each(
  acceptances.map((action) => [action.variables[ACCEPTANCE_VARIABLE] ?? "", action] as const),
)("%s: runs after its environment's deploy in the same stage, and before the next environment's deploy", (environment, acceptance) => {
  const index = actions.indexOf(acceptance);
  const deploy = actions.find((action) => deployedEnvironment(action) === environment);
  if (!deploy) throw new Error(`no deploy of ${environment}`);
  // Same stage, a higher RunOrder: it starts only once the deploy succeeded, and its failure fails the stage.
  expect([deploy.stage, deploy.runOrder]).toEqual([acceptance.stage, acceptance.runOrder - 1]);
  expect(actions.indexOf(deploy)).toBeLessThan(index);
  // Every later stage, the next environment's deploy among them, waits for this stage.
  const later = actions.slice(index + 1);
  const nextDeploy = later.find((action) => deployedEnvironment(action) !== undefined);
  expect(nextDeploy?.stage).not.toBe(acceptance.stage);
  expect(later.every((action) => action.stage !== acceptance.stage)).toBe(true);
});

test.each(
  acceptances.map((action) => [action.variables[ACCEPTANCE_VARIABLE] ?? "", action] as const),
)("%s: the buildspec runs `npm run test:e2e -- --env <that environment>` on the source", (environment, acceptance) => {
  const spec = parseBuildspec(join(ROOT, acceptance.buildspec ?? ""));
  const commands = buildspecCommands(spec).map((command) =>
    command.replace(`"$${ACCEPTANCE_VARIABLE}"`, acceptance.variables[ACCEPTANCE_VARIABLE] ?? ""),
  );
  expect(commands).toEqual(["npm ci --no-audit --no-fund", `npm run test:e2e -- --env ${environment}`]);
  expect(acceptance.inputs).toEqual(["SourceOutput"]);
  expect(acceptance.outputs).toEqual([]);
  expect(spec.artifacts).toBeUndefined();
});

test.each(
  acceptances.map((action) => [action.variables[ACCEPTANCE_VARIABLE] ?? "", action] as const),
)("%s: its role reads that environment's parameters and the source, and writes only its own log", (environment, acceptance) => {
  const project = projectOf(acceptance);
  const logGroup = (project.Properties?.LogsConfig as { CloudWatchLogs: { GroupName: { Ref: string } } })
    .CloudWatchLogs.GroupName.Ref;
  const statements = roleStatements(acceptance);
  expect(statements.every((statement) => statement.Effect === "Allow")).toBe(true);
  expect(statements.map(grant)).toEqual([
    [["logs:CreateLogStream", "logs:PutLogEvents"], [`${logGroup}.Arn`]],
    [["s3:GetObject", "s3:GetObjectVersion"], [`\${ArtifactBucket.Arn}/*`]],
    [["s3:GetBucketLocation", "s3:GetBucketAcl"], ["ArtifactBucket.Arn"]],
    [
      ["ssm:GetParameters"],
      [`arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/meridian/${environment}/*`],
    ],
  ]);
  // No S3 cache: it would need a write to the artifact bucket.
  expect(project.Properties?.Cache).toBeUndefined();
});

test("the pipeline may start the acceptance builds", () => {
  expect.hasAssertions();
  const pipelineRole = resource("PipelineRole").Properties?.Policies as Array<{
    PolicyDocument: { Statement: Array<{ Sid?: string; Resource: unknown }> };
  }>;
  const builds = pipelineRole
    .flatMap((policy) => policy.PolicyDocument.Statement)
    .find((s) => s.Sid === "Builds");
  for (const acceptance of acceptances) {
    const project = (acceptance.configuration.ProjectName as { Ref: string }).Ref;
    expect(builds?.Resource).toContainEqual({ "Fn::GetAtt": [project, "Arn"] });
  }
});
