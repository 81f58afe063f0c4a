import { existsSync, readFileSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { TIME_RESERVE_MS } from "../../src/pipeline/deployer/job";
import { deployerEnvironment } from "../../src/pipeline/deployer/wiring";
import { type CfnResource, loadTemplate } from "../../tools/lib/cfn-yaml";
import { withNestedStacks } from "../../tools/lib/nested-stacks";
import { loadEnvironments, loadServices, ROOT } from "../../tools/lib/project";
import { buildspecCommands, PIPELINE_TEMPLATE, parseBuildspec, pipelineActions } from "../../tools/pipeline";
import { PSEUDO_PARAMETERS, references } from "../support/cfn-references";

const template = loadTemplate(PIPELINE_TEMPLATE);
const resources = template.Resources;
const actions = pipelineActions();
const environments = loadEnvironments();
const packageJson = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  scripts: Record<string, string>;
};

function resource(logicalId: string): CfnResource {
  const found = resources[logicalId];
  if (!found) throw new Error(`pipeline.yaml has no resource ${logicalId}`);
  return found;
}

function ofType(type: string): Array<[string, CfnResource]> {
  return Object.entries(resources).filter(([, candidate]) => candidate.Type === type);
}

function userParameters(configuration: Record<string, unknown>): { environment: string; mode?: string } {
  return JSON.parse(String(configuration.UserParameters)) as { environment: string; mode?: string };
}

function deployEnvironment(configuration: Record<string, unknown>): string {
  return userParameters(configuration).environment;
}

const invokeActions = actions.filter((action) => action.category === "Invoke");
const deployActions = invokeActions.filter(
  (action) => userParameters(action.configuration).mode !== "preview",
);
const deploys = (action: (typeof actions)[number]) =>
  action.category === "Invoke" && userParameters(action.configuration).mode !== "preview";

describe("pipeline.yaml stages", () => {
  test("run Source -> Test -> Bundle -> dev + acceptance -> staging + acceptance -> prod preview + approval -> prod", () => {
    expect(actions.map((action) => [action.stage, action.name, action.category, action.provider])).toEqual([
      ["Source", "Source", "Source", "CodeCommit"],
      ["Test", "Test", "Test", "CodeBuild"],
      ["Bundle", "Bundle", "Build", "CodeBuild"],
      ["DeployDev", "Deploy", "Invoke", "Lambda"],
      ["DeployDev", "Acceptance", "Test", "CodeBuild"],
      ["DeployStaging", "Deploy", "Invoke", "Lambda"],
      ["DeployStaging", "Acceptance", "Test", "CodeBuild"],
      ["ApproveProd", "Preview", "Invoke", "Lambda"],
      ["ApproveProd", "Approve", "Approval", "Manual"],
      ["DeployProd", "Deploy", "Invoke", "Lambda"],
    ]);
  });

  test("every approval follows a preview of the environment it approves, in the same stage", () => {
    expect.hasAssertions();
    actions.forEach((action, index) => {
      if (action.category !== "Approval") return;
      const preview = actions[index - 1];
      const deploy = actions.slice(index + 1).find(deploys);
      expect(preview?.stage).toBe(action.stage);
      expect(preview?.category).toBe("Invoke");
      expect(userParameters(preview?.configuration ?? {})).toEqual({
        environment: deployEnvironment(deploy?.configuration ?? {}),
        mode: "preview",
      });
      expect(preview?.inputs).toEqual(deploy?.inputs);
    });
  });

  test("is a V2 pipeline, so a Deploy stage can be rolled back to an earlier execution", () => {
    expect(resource("Pipeline").Properties).toMatchObject({ PipelineType: "V2" });
  });

  test("the source is the configured branch, started by EventBridge rather than polling", () => {
    const source = actions[0];
    expect(source?.configuration).toMatchObject({
      BranchName: { Ref: "BranchName" },
      PollForSourceChanges: false,
      OutputArtifactFormat: "CODE_ZIP",
    });
    expect(template.Parameters?.BranchName?.Default).toBe("main");
  });

  test("every input artifact is produced by an earlier stage", () => {
    expect.hasAssertions();
    const produced = new Set<string>();
    for (const action of actions) {
      for (const input of action.inputs)
        expect({ action: action.stage, input, produced: produced.has(input) }).toEqual({
          action: action.stage,
          input,
          produced: true,
        });
      for (const output of action.outputs) produced.add(output);
    }
  });

  test("deploy actions invoke the deployer with the Bundle output and an environment environments.yaml knows", () => {
    expect(deployActions.map((action) => deployEnvironment(action.configuration))).toEqual([
      "dev",
      "staging",
      "prod",
    ]);
    for (const action of deployActions) {
      expect(action.configuration.FunctionName).toEqual({ Ref: "DeployerFunction" });
      expect(action.inputs).toEqual(["BundleOutput"]);
      expect(environments.has(deployEnvironment(action.configuration))).toBe(true);
    }
  });

  test("a manual approval comes right before every environment that requires one, and only those", () => {
    expect.hasAssertions();
    actions.forEach((action, index) => {
      if (!deploys(action)) return;
      const environment = environments.get(deployEnvironment(action.configuration));
      const previous = actions[index - 1];
      expect({ environment: environment?.name, approvedFirst: previous?.category === "Approval" }).toEqual({
        environment: environment?.name,
        approvedFirst: environment?.flags.requireApproval ?? false,
      });
    });
  });
});

describe("the push trigger", () => {
  const [[, rule] = ["", { Type: "" }]] = ofType("AWS::Events::Rule").filter(
    ([, candidate]) =>
      (candidate.Properties?.EventPattern as { source?: string[] } | undefined)?.source?.[0] ===
      "aws.codecommit",
  );

  test("matches pushes to the branch of the repository", () => {
    expect(rule.Properties?.EventPattern).toEqual({
      source: ["aws.codecommit"],
      "detail-type": ["CodeCommit Repository State Change"],
      resources: [
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
        { "Fn::Sub": "arn:${AWS::Partition}:codecommit:${AWS::Region}:${AWS::AccountId}:${RepositoryName}" },
      ],
      detail: {
        event: ["referenceCreated", "referenceUpdated"],
        referenceType: ["branch"],
        referenceName: [{ Ref: "BranchName" }],
      },
    });
  });

  test("starts the pipeline through a role allowed to do only that", () => {
    const [target] = (rule.Properties?.Targets ?? []) as Array<{
      Arn: unknown;
      RoleArn: { "Fn::GetAtt": [string, string] };
    }>;
    expect(target?.Arn).toEqual({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
      "Fn::Sub": "arn:${AWS::Partition}:codepipeline:${AWS::Region}:${AWS::AccountId}:${Pipeline}",
    });
    const role = resource(target?.RoleArn["Fn::GetAtt"][0] ?? "");
    expect(allowStatements(role.Properties?.Policies)).toEqual([
      expect.objectContaining({ Action: "codepipeline:StartPipelineExecution", Resource: target?.Arn }),
    ]);
  });
});

/** `npm ci`, `npm run lint`, `npm test`: the command and script, without arguments. */
function npmCommands(commands: string[]): string[] {
  return commands.flatMap((command) => {
    const match = /^\s*npm\s+(\S+)(?:\s+([^\s-][^\s]*))?/.exec(command);
    if (!match) return [];
    const verb = match[1] ?? "";
    return [verb === "run" || verb === "run-script" ? `npm run ${match[2] ?? ""}` : `npm ${verb}`];
  });
}

describe("buildspecs and local CI cannot drift", () => {
  const projects = actions.filter((action) => action.provider === "CodeBuild");
  const ciRun = readFileSync(join(ROOT, ".ci", "run"), "utf8").split("\n");

  test.each(
    projects.map((action) => [action.stage, action.buildspec ?? ""]),
  )("%s: %s exists and every npm script it runs is in package.json", (_stage, buildspec) => {
    const spec = parseBuildspec(join(ROOT, buildspec));
    const commands = npmCommands(buildspecCommands(spec));
    // Every project installs and runs something with npm; none would leave this test with nothing to check.
    expect(commands).toContain("npm ci");
    for (const command of commands) {
      const script = command.startsWith("npm run ") ? command.slice("npm run ".length) : command.slice(4);
      if (command === "npm ci") continue;
      expect({ command, inPackageJson: script in packageJson.scripts }).toEqual({
        command,
        inPackageJson: true,
      });
    }
  });

  test("the Test stage can run the browser tests: a Debian image that installs Chromium, as .ci/run does", () => {
    const test = projects.find((action) => action.category === "Test");
    const spec = parseBuildspec(join(ROOT, test?.buildspec ?? ""));
    const project = resources.TestProject as CfnResource;
    const environment = project.Properties?.Environment as { Image?: string };
    expect(environment.Image).toMatch(/^public\.ecr\.aws\/docker\/library\/node:22-bookworm$/);
    expect(spec.runtimeVersions).toEqual({});
    expect(buildspecCommands(spec).some((command) => /apt-get install .*\bchromium\b/.test(command))).toBe(
      true,
    );
    expect(ciRun.some((line) => /apt-get install .*\bchromium\b/.test(line))).toBe(true);
  });

  test("the Test stage runs exactly the npm commands .ci/run runs, in order", () => {
    const test = projects.find((action) => action.category === "Test");
    const spec = parseBuildspec(join(ROOT, test?.buildspec ?? ""));

    expect(npmCommands(buildspecCommands(spec))).toEqual(npmCommands(ciRun));
    expect(npmCommands(ciRun)).toEqual(
      expect.arrayContaining(["npm ci", "npm run lint", "npm run typecheck", "npm test"]),
    );
  });

  test("the Bundle stage installs as CI does and its artifact is the packaged directory", () => {
    const bundle = projects.find((action) => action.stage === "Bundle");
    const spec = parseBuildspec(join(ROOT, bundle?.buildspec ?? ""));
    const commands = buildspecCommands(spec);

    expect(npmCommands(commands)[0]).toBe(npmCommands(ciRun)[0]);
    expect(commands.join("\n")).toContain(`npm run package -- --out ${spec.artifacts?.baseDirectory}`);
    expect(commands.join("\n")).toContain(
      `npm run configs -- --out ${spec.artifacts?.baseDirectory}/configs`,
    );
    expect(spec.artifacts?.files).toEqual(["**/*"]);
  });

  test("CodeBuild projects take their source and artifacts from the pipeline", () => {
    expect.hasAssertions();
    for (const [, project] of ofType("AWS::CodeBuild::Project")) {
      expect(project.Properties).toMatchObject({
        Source: { Type: "CODEPIPELINE" },
        Artifacts: { Type: "CODEPIPELINE" },
      });
    }
  });
});

// ------------------------------------------------------------------ IAM

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Principal?: unknown;
}

/** Every policy statement anywhere under `value`, both branches of an Fn::If included. */
function statements(value: unknown): Statement[] {
  if (Array.isArray(value)) return value.flatMap(statements);
  if (value === null || typeof value !== "object") return [];
  const record = value as Record<string, unknown>;
  if (Array.isArray(record.Statement)) {
    return record.Statement.flatMap((statement: unknown) => {
      const branches = (statement as { "Fn::If"?: unknown[] })["Fn::If"];
      return (branches ? branches.slice(1) : [statement]).filter(
        (candidate): candidate is Statement =>
          typeof candidate === "object" && candidate !== null && "Effect" in candidate,
      );
    });
  }
  return Object.values(record).flatMap(statements);
}

function allowStatements(value: unknown): Statement[] {
  return statements(value).filter((statement) => statement.Effect === "Allow");
}

function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

function resourcesOf(statement: Statement): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

/** A Fn::Sub's text; in the [text, variables] form, with the variables that are literal strings put in. */
function subText(value: unknown): string {
  const sub = (value as { "Fn::Sub"?: unknown })["Fn::Sub"];
  if (typeof sub === "string") return sub;
  if (Array.isArray(sub) && typeof sub[0] === "string") {
    const variables = (sub[1] ?? {}) as Record<string, unknown>;
    return sub[0].replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
      const literal = variables[name];
      return typeof literal === "string" ? literal : whole;
    });
  }
  return JSON.stringify(value);
}

/** Actions AWS offers no resource-level permissions for. */
const RESOURCE_STAR_ALLOWED = new Set([
  "codepipeline:PutJobSuccessResult",
  "codepipeline:PutJobFailureResult",
  "secretsmanager:GetRandomPassword",
]);

describe("least privilege", () => {
  const allows = allowStatements(resources);

  test("no Allow grants every action, or every action of a service", () => {
    expect.hasAssertions();
    for (const statement of allows) {
      for (const action of actionsOf(statement)) {
        expect({ sid: statement.Sid, action, wildcard: action === "*" || action.endsWith(":*") }).toEqual({
          sid: statement.Sid,
          action,
          wildcard: false,
        });
      }
    }
  });

  test("Resource '*' only for actions that have no resource-level permissions", () => {
    expect.hasAssertions();
    for (const statement of allows.filter((candidate) => resourcesOf(candidate).includes("*"))) {
      expect(actionsOf(statement).filter((action) => !RESOURCE_STAR_ALLOWED.has(action))).toEqual([]);
    }
  });

  test("no role carries an AWS managed admin or power-user policy", () => {
    expect.hasAssertions();
    for (const [, role] of ofType("AWS::IAM::Role")) {
      expect(JSON.stringify(role.Properties?.ManagedPolicyArns ?? [])).not.toMatch(
        /AdministratorAccess|PowerUserAccess|IAMFullAccess/,
      );
    }
  });

  test("the deployer changes only Meridian's environment stacks and their nested stacks, for every environment the pipeline deploys", () => {
    const deployer = allowStatements(resource("DeployerRole").Properties);
    const stackStatements = deployer.filter((statement) =>
      actionsOf(statement).some(
        (action) => action.startsWith("cloudformation:") && action !== "cloudformation:CreateChangeSet",
      ),
    );
    const stackArns = stackStatements.flatMap(resourcesOf).map(subText);
    expect(stackArns.length).toBeGreaterThan(0);
    for (const arn of stackArns) expect(arn).toMatch(/:stack\/meridian-[a-z]+(-\*)?\/\*$/);
    for (const environment of deployActions.map((action) => deployEnvironment(action.configuration))) {
      expect(stackArns).toContainEqual(expect.stringContaining(`:stack/meridian-${environment}/*`));
      expect(stackArns).toContainEqual(expect.stringContaining(`:stack/meridian-${environment}-*/*`));
    }
    // CreateChangeSet beyond the stacks: only the SAM transform.
    const transform = deployer
      .filter((statement) => !stackStatements.includes(statement))
      .filter((statement) => actionsOf(statement).includes("cloudformation:CreateChangeSet"));
    expect(transform.flatMap(resourcesOf).map(subText)).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
      "arn:${AWS::Partition}:cloudformation:${AWS::Region}:aws:transform/Serverless-2016-10-31",
    ]);
  });

  test("the deployer may pass only the stack execution role, and only to CloudFormation", () => {
    const passes = allowStatements(resource("DeployerRole").Properties).filter((statement) =>
      actionsOf(statement).includes("iam:PassRole"),
    );
    expect(passes).toEqual([
      expect.objectContaining({
        Resource: { "Fn::GetAtt": ["StackExecutionRole", "Arn"] },
        Condition: { StringEquals: { "iam:PassedToService": "cloudformation.amazonaws.com" } },
      }),
    ]);
    expect(resource("StackExecutionRole").Properties?.AssumeRolePolicyDocument).toMatchObject({
      Statement: [{ Principal: { Service: "cloudformation.amazonaws.com" }, Action: "sts:AssumeRole" }],
    });
  });

  test("the execution role passes and edits only the environments' roles", () => {
    expect.hasAssertions();
    const roleStatements = allowStatements(resource("StackExecutionRole").Properties).filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith("iam:")),
    );
    for (const statement of roleStatements) {
      const onBoundaries = statement.Sid === "CreateBoundaries";
      for (const arn of resourcesOf(statement).map(subText)) {
        if (onBoundaries) expect(arn).toMatch(/:policy\/meridian-(dev|staging|prod)-permissions-boundary$/);
        else expect(arn).toMatch(/:role\/meridian(-(dev|staging|prod)-|\/(dev|staging|prod)\/)\*$/);
      }
      if (actionsOf(statement).includes("iam:PassRole")) {
        expect(statement.Condition).toEqual({
          StringEquals: { "iam:PassedToService": ["lambda.amazonaws.com", "codedeploy.amazonaws.com"] },
        });
      }
      if (actionsOf(statement).includes("iam:AttachRolePolicy"))
        expect(statement.Condition?.ArnEquals).toBeDefined();
    }
  });
});

/**
 * What the stack execution role must allow for each resource type and SAM
 * event source the services use. A service adding a new type fails here
 * until StackExecutionRole (and this map) grants it.
 */
const EXECUTION_ROLE_COVERS: Record<string, string[]> = {
  "AWS::DynamoDB::Table": ["dynamodb:CreateTable", "dynamodb:UpdateTable", "dynamodb:DeleteTable"],
  "AWS::Serverless::Function": [
    "lambda:CreateFunction",
    "lambda:UpdateFunctionCode",
    "lambda:PublishVersion",
    "lambda:CreateAlias",
    "lambda:UpdateAlias",
    "codedeploy:CreateApplication",
    "codedeploy:CreateDeploymentGroup",
    "codedeploy:CreateDeployment",
    "iam:CreateRole",
    "iam:PassRole",
    "s3:GetObject",
  ],
  "AWS::IAM::ManagedPolicy": ["iam:CreatePolicy", "iam:GetPolicy"],
  // A shared template nested in a service's (src/shared/templates): a stack meridian-<env>-...-<LogicalId>-*.
  "AWS::Serverless::Application": [
    "cloudformation:CreateStack",
    "cloudformation:UpdateStack",
    "cloudformation:DeleteStack",
    "s3:GetObject",
  ],
  "AWS::Serverless::Api": ["apigateway:POST", "apigateway:PATCH", "lambda:AddPermission"],
  // The roles API Gateway assumes for AWS service integrations (comments); it passes them too.
  "AWS::IAM::Role": ["iam:CreateRole", "iam:PutRolePolicy", "iam:PassRole"],
  "AWS::Logs::LogGroup": ["logs:CreateLogGroup", "logs:PutRetentionPolicy"],
  "AWS::SSM::Parameter": ["ssm:PutParameter", "ssm:DeleteParameter"],
  "AWS::SecretsManager::Secret": ["secretsmanager:CreateSecret", "secretsmanager:GetRandomPassword"],
  "AWS::CloudWatch::Alarm": ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms"],
  "AWS::CloudWatch::Dashboard": ["cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards"],
  "AWS::SNS::Topic": ["sns:CreateTopic", "sns:DeleteTopic"],
  "AWS::SNS::Subscription": ["sns:Subscribe", "sns:Unsubscribe"],
  "AWS::S3::Bucket": ["s3:CreateBucket", "s3:PutEncryptionConfiguration", "s3:PutBucketPublicAccessBlock"],
  "AWS::S3::BucketPolicy": ["s3:PutBucketPolicy", "s3:DeleteBucketPolicy"],
  "AWS::CloudFront::Distribution": ["cloudfront:CreateDistribution", "cloudfront:UpdateDistribution"],
  "AWS::CloudFront::OriginAccessControl": ["cloudfront:CreateOriginAccessControl"],
  "AWS::CloudFront::ResponseHeadersPolicy": ["cloudfront:CreateResponseHeadersPolicy"],
  "AWS::CloudFront::Function": ["cloudfront:CreateFunction", "cloudfront:PublishFunction"],
  // CloudFormation invokes the custom resource's function with the stack's role.
  "Custom::SiteContent": ["lambda:InvokeFunction"],
  // API Gateway's invoke of a function a DefinitionBody integrates (catalog's lookup).
  "AWS::Lambda::Permission": ["lambda:AddPermission", "lambda:RemovePermission"],
};
const EVENT_SOURCES_COVER: Record<string, string[]> = {
  Api: ["apigateway:POST", "lambda:AddPermission"],
  Schedule: ["events:PutRule", "events:PutTargets", "lambda:AddPermission"],
};
/** Explicit physical names must fall inside the execution role's meridian-<env>-* and /meridian/<env>/ patterns. */
const ENV = "$" + "{Environment}";
const NAME_PROPERTIES: Record<string, string> = {
  TableName: `meridian-${ENV}-`,
  FunctionName: `meridian-${ENV}-`,
  AlarmName: `meridian-${ENV}-`,
  TopicName: `meridian-${ENV}-`,
  DashboardName: `meridian-${ENV}`,
  RoleName: `meridian-${ENV}-`,
  LogGroupName: `/meridian/${ENV}/`,
  RolePath: `/meridian/${ENV}/`,
};

describe("the stack execution role covers what the services deploy", () => {
  const services = loadServices().map(withNestedStacks);
  const granted = new Set(allowStatements(resource("StackExecutionRole").Properties).flatMap(actionsOf));

  test.each(services.map((service) => [service.name, service] as const))("%s", (_name, service) => {
    const missing: string[] = [];
    for (const [logicalId, used] of Object.entries(service.template.Resources)) {
      const needed = EXECUTION_ROLE_COVERS[used.Type];
      if (!needed) missing.push(`${logicalId}: ${used.Type} is not in EXECUTION_ROLE_COVERS`);
      for (const action of needed ?? []) if (!granted.has(action)) missing.push(`${logicalId}: ${action}`);
      const events = (used.Properties?.Events ?? {}) as Record<string, { Type: string }>;
      for (const [eventId, event] of Object.entries(events)) {
        const eventNeeds = EVENT_SOURCES_COVER[event.Type];
        if (!eventNeeds)
          missing.push(`${logicalId}.Events.${eventId}: ${event.Type} is not in EVENT_SOURCES_COVER`);
        for (const action of eventNeeds ?? []) {
          if (!granted.has(action)) missing.push(`${logicalId}.Events.${eventId}: ${action}`);
        }
      }
      for (const [property, prefix] of Object.entries(NAME_PROPERTIES)) {
        // A permission's FunctionName names the function it is on, not a new resource.
        if (used.Type === "AWS::Lambda::Permission" && property === "FunctionName") continue;
        const value = used.Properties?.[property];
        if (value === undefined) continue;
        const text = subText(value);
        if (!text.startsWith(prefix))
          missing.push(`${logicalId}.${property}: ${text} does not start with ${prefix}`);
      }
    }
    expect(missing).toEqual([]);
  });

  test("roles under a /meridian/<env>/ path can be created and passed", () => {
    const iam = allowStatements(resource("StackExecutionRole").Properties).filter((statement) =>
      actionsOf(statement).some((action) => action === "iam:CreateRole" || action === "iam:PassRole"),
    );
    expect(iam.length).toBeGreaterThan(0);
    for (const statement of iam) {
      for (const environment of ["dev", "staging", "prod"]) {
        expect(resourcesOf(statement).map(subText)).toContainEqual(
          expect.stringMatching(new RegExp(`:role/meridian/${environment}/\\*$`)),
        );
      }
    }
  });
});

describe("the artifact bucket", () => {
  const bucket = resource("ArtifactBucket");

  test("is encrypted, versioned, private and retained", () => {
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: expect.any(String) } },
        ],
      },
      VersioningConfiguration: { Status: "Enabled" },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    expect(bucket.DeletionPolicy).toBe("Retain");
  });

  test("refuses every request that is not over TLS", () => {
    const [[, policy] = ["", { Type: "" }]] = ofType("AWS::S3::BucketPolicy");
    expect(policy.Properties?.Bucket).toEqual({ Ref: "ArtifactBucket" });
    expect(statements(policy.Properties)).toContainEqual(
      expect.objectContaining({
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
        Resource: [{ "Fn::GetAtt": ["ArtifactBucket", "Arn"] }, { "Fn::Sub": "${ArtifactBucket.Arn}/*" }],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      }),
    );
  });

  test("is the pipeline's artifact store", () => {
    expect(resource("Pipeline").Properties?.ArtifactStore).toEqual({
      Type: "S3",
      Location: { Ref: "ArtifactBucket" },
    });
  });
});

describe("the deployer function", () => {
  const fn = resource("DeployerFunction");

  test("builds from its handler with esbuild, as the services' functions do", () => {
    const metadata = fn.Metadata as { BuildMethod: string; BuildProperties: { EntryPoints: string[] } };
    const [entry] = metadata.BuildProperties.EntryPoints;
    expect(metadata.BuildMethod).toBe("esbuild");
    expect(existsSync(join(ROOT, entry ?? ""))).toBe(true);
    expect(fn.Properties?.Handler).toBe(`${basename(entry ?? "", extname(entry ?? ""))}.handler`);
    expect(fn.Properties?.CodeUri).toBe("./");
  });

  test("gets every variable its wiring reads (Lambda sets AWS_REGION)", () => {
    const variables =
      (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    const read = Object.keys(deployerEnvironment).filter((name) => name !== "AWS_REGION");
    expect(read.sort()).toEqual(["ARTIFACT_BUCKET", "STACK_EXECUTION_ROLE_ARN"]);
    for (const name of read) expect(variables[name]).toBeDefined();
    expect(variables.ARTIFACT_BUCKET).toEqual({ Ref: "ArtifactBucket" });
    expect(variables.STACK_EXECUTION_ROLE_ARN).toEqual({ "Fn::GetAtt": ["StackExecutionRole", "Arn"] });
  });

  test("has time for a round after the deployer stops starting new ones", () => {
    expect(Number(fn.Properties?.Timeout) * 1000).toBeGreaterThan(TIME_RESERVE_MS * 2);
  });
});

describe("pipeline.yaml references", () => {
  const all = [
    ...Object.entries(resources).flatMap(([id, candidate]) =>
      references(candidate, id, new Set(candidate.Condition ? [candidate.Condition] : [])),
    ),
    ...references(template.Outputs ?? {}, "Outputs", new Set()),
    ...references(template.Conditions ?? {}, "Conditions", new Set()),
  ];

  test("every Ref, GetAtt and Sub names a parameter, resource or pseudo parameter", () => {
    const declared = new Set([
      ...Object.keys(template.Parameters ?? {}),
      ...Object.keys(resources),
      ...PSEUDO_PARAMETERS,
    ]);
    const unresolved = all
      .filter((ref) => ref.kind !== "Condition" && !declared.has(ref.name))
      .map((ref) => `${ref.path}: ${ref.kind} ${ref.name}`);
    expect(unresolved).toEqual([]);
  });

  test("every condition used is declared", () => {
    const declared = new Set(Object.keys(template.Conditions ?? {}));
    const unresolved = [
      ...all.filter((ref) => ref.kind === "Condition").map((ref) => ref.name),
      ...Object.values(resources).flatMap((candidate) => (candidate.Condition ? [candidate.Condition] : [])),
    ].filter((name) => !declared.has(name));
    expect(unresolved).toEqual([]);
  });

  test("a conditional resource is only referenced where its condition holds", () => {
    const unguarded = all
      .filter((ref) => ref.kind !== "Condition")
      .filter((ref) => {
        const condition = resources[ref.name]?.Condition;
        return condition !== undefined && !ref.guards.has(condition);
      })
      .map(
        (ref) => `${ref.path}: ${ref.kind} ${ref.name} without condition ${resources[ref.name]?.Condition}`,
      );
    expect(unguarded).toEqual([]);
  });
});
