/**
 * npm run deploy -- --env dev [--bucket <artifact bucket>] [--region <region>]
 *                   [--prefix <s3 prefix>] [--poll <seconds>] [--preview | --approve] [--dry-run]
 *
 * Deploys the environment's one stack, meridian-<env>: the root template
 * with a nested stack per service, the same stack, template and parameters
 * `sam deploy --config-env <env>` and the pipeline use (tools/lib/root-stack.ts).
 * Without SAM CLI: bundle, zip and upload every function, upload each
 * service's packaged template and the root pointing at them, then create and
 * execute one change set (nested stacks included) with the step function the
 * pipeline's deployer Lambda uses (src/pipeline/stack-deployer.ts). Exits
 * non-zero naming the failing resource (inside its nested stack) and its
 * reason, or the alarm that rolled a gradual deployment back. `--preview`
 * stops at the change set: it prints each service's resource changes
 * (replacements flagged) and deletes it, so an environment that requires
 * approval is reviewed first.
 */
import { join } from "node:path";
import { startDeployment } from "../src/pipeline/deployment";
import type { StackTarget } from "../src/pipeline/stack-deployer";
import { type ArtifactStore, DirectoryArtifactStore, S3ArtifactStore } from "./lib/artifacts";
import { requireAwsCredentials } from "./lib/aws-credentials";
import { helpHint, parseCli, runMain, seconds, UsageError } from "./lib/cli";
import type { Project } from "./lib/configurations";
import { displayPath, type Environment, ROOT } from "./lib/project";
import { packageRoot, ROOT_STACK, type RootPackageOptions, rootDeployment } from "./lib/root-stack";
import { pollMs, projectAndEnvironment, runStacks, STACK_CLI_OPTIONS } from "./lib/stack-runner";

const USAGE =
  "usage: npm run deploy -- --env <name> [--bucket <artifact bucket>] [--region <region>] [--prefix <s3 prefix>] [--poll <seconds>] [--preview | --approve] [--dry-run]\n" +
  "       the bucket can also come from MERIDIAN_ARTIFACT_BUCKET";

/**
 * Packages everything into `store` and returns the change set's target: the
 * root stack, its packaged template and the environment's root parameters.
 * Everything is packaged before any stack changes, so a build error never
 * leaves half an environment updated.
 */
export async function deployTarget(
  project: Project,
  environment: Environment,
  options: RootPackageOptions & { log?: (line: string) => void },
): Promise<StackTarget> {
  const log = options.log ?? (() => {});
  const packaged = await packageRoot(project, options);
  for (const service of packaged.services) {
    const kib = service.functions.reduce((sum, fn) => sum + fn.bytes, 0) / 1024;
    log(
      `Packaged ${service.service}: ${service.functions.length} function(s), ${kib.toFixed(0)} KiB -> ${service.templateArtifact.url}`,
    );
  }
  log(`Packaged the root template -> ${packaged.templateArtifact.url}`);
  const deployment = rootDeployment(environment, project.environmentsFile);
  return {
    stackName: deployment.stackName,
    templateURL: packaged.templateArtifact.url,
    parameters: deployment.parameters,
    tags: deployment.tags,
  };
}

export async function main(): Promise<void> {
  const startedAt = process.hrtime.bigint();
  const { values: args } = parseCli(
    {
      options: {
        ...STACK_CLI_OPTIONS,
        bucket: { type: "string" },
        prefix: { type: "string" },
        approve: { type: "boolean", default: false },
        preview: { type: "boolean", default: false },
        "dry-run": { type: "boolean", default: false },
      },
    },
    USAGE,
  );
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const { project, environment } = projectAndEnvironment(args.env, USAGE);
  if (environment.name === "local") throw new Error("environment 'local' runs with `npm start`, not on AWS");
  const dryRun = args["dry-run"];
  const preview = args.preview;
  if (preview && args.approve)
    throw new UsageError(`--preview and --approve exclude each other; ${helpHint(USAGE)}`);
  if (environment.flags.requireApproval && !args.approve && !preview && !dryRun) {
    throw new Error(
      `environment '${environment.name}' requires approval: review the changes with --preview, then deploy with --approve`,
    );
  }
  const bucket = args.bucket ?? process.env.MERIDIAN_ARTIFACT_BUCKET;
  if (!bucket && !dryRun)
    throw new UsageError(
      `--bucket <s3 bucket> (or MERIDIAN_ARTIFACT_BUCKET) is required: the functions and templates are uploaded there (--dry-run packages without AWS)`,
    );
  const poll = pollMs(args.poll);
  const region = args.region ?? environment.region;
  const prefix = args.prefix ?? `meridian/${environment.name}`;
  const buildDir = join(ROOT, "dist", "deploy", environment.name);
  if (!dryRun) await requireAwsCredentials();
  const services = project.services.map((service) => service.name).join(" -> ");
  console.log(
    `Environment ${environment.name} (${region}): stack meridian-${environment.name}, nested ${services}`,
  );
  const store: ArtifactStore = dryRun
    ? new DirectoryArtifactStore(join(buildDir, "artifacts"))
    : new S3ArtifactStore({ bucket: bucket ?? "", region });
  const packaged = await deployTarget(project, environment, { store, buildDir, prefix, log: console.log });
  const target: StackTarget = preview ? { ...packaged, previewOnly: true } : packaged;
  if (dryRun) {
    console.log(
      `Dry run: ${target.stackName} with ${Object.keys(target.parameters ?? {}).length} parameter(s); packaged artifacts are under ${displayPath(join(buildDir, "artifacts"))}; no stack was changed (${seconds(startedAt)})`,
    );
    return;
  }
  const summary = await runStacks(
    preview ? "preview" : "deploy",
    region,
    () => target,
    startDeployment([ROOT_STACK], "deploy"),
    { pollMs: poll },
  );
  if (preview) {
    console.log(`\nPreviewed ${environment.name}: ${summary}; no stack was changed (${seconds(startedAt)})`);
    return;
  }
  console.log(`\nDeployed ${environment.name}: ${summary} in ${seconds(startedAt)}`);
}

if (require.main === module) runMain(main);
