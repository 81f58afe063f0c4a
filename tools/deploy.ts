/**
 * npm run deploy -- --env dev [--service auth[,location]] [--bucket <artifact bucket>]
 *                   [--region <region>] [--prefix <s3 prefix>] [--poll <seconds>]
 *                   [--preview | --approve] [--dry-run]
 *
 * Deploys each service's own stack (meridian-<env>-<service>) in dependency
 * order without SAM CLI: bundle, zip and upload every function, upload the
 * packaged template, then create and execute one change set per service with
 * the same step function the pipeline's deployer Lambda uses
 * (src/pipeline/stack-deployer.ts). Exits non-zero naming the failing
 * resource and CloudFormation's reason. `--preview` stops at the change sets:
 * it prints each service's resource changes (replacements flagged) and
 * deletes them, so an environment that requires approval is reviewed first.
 */
import { join } from "node:path";
import { startDeployment } from "../src/pipeline/deployment";
import type { StackTarget } from "../src/pipeline/stack-deployer";
import { type ArtifactStore, DirectoryArtifactStore, S3ArtifactStore } from "./lib/artifacts";
import { requireAwsCredentials } from "./lib/aws-credentials";
import { helpHint, list, parseCli, runMain, seconds, UsageError } from "./lib/cli";
import { selectServices } from "./lib/configurations";
import { packageService } from "./lib/package";
import { displayPath, ROOT, stackName, templateConfiguration } from "./lib/project";
import { pollMs, projectAndEnvironment, runStacks, STACK_CLI_OPTIONS } from "./lib/stack-runner";

const USAGE =
  "usage: npm run deploy -- --env <name> [--service <name>[,<name>...]] [--bucket <artifact bucket>] [--region <region>] [--prefix <s3 prefix>] [--poll <seconds>] [--preview | --approve] [--dry-run]\n" +
  "       the bucket can also come from MERIDIAN_ARTIFACT_BUCKET";

async function main(): Promise<void> {
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
  const services = selectServices(project.services, list(args.service));
  const buildDir = join(ROOT, "dist", "deploy", environment.name);
  if (!dryRun) await requireAwsCredentials();

  console.log(
    `Environment ${environment.name} (${region}); order: ${services.map((service) => service.name).join(" -> ")}`,
  );
  const store: ArtifactStore = dryRun
    ? new DirectoryArtifactStore(join(buildDir, "artifacts"))
    : new S3ArtifactStore({ bucket: bucket ?? "", region });

  // Everything is packaged before any stack changes, so a build error never leaves half an environment updated.
  const targets = new Map<string, StackTarget>();
  for (const service of services) {
    const packaged = await packageService(service, { store, buildDir, prefix });
    const configuration = templateConfiguration(service, environment, project.environmentsFile);
    const kib = packaged.functions.reduce((sum, fn) => sum + fn.bytes, 0) / 1024;
    console.log(
      `Packaged ${service.name}: ${packaged.functions.length} function(s), ${kib.toFixed(0)} KiB -> ${packaged.templateArtifact.url}`,
    );
    targets.set(service.name, {
      stackName: stackName(environment.name, service.name),
      templateURL: packaged.templateArtifact.url,
      parameters: configuration.Parameters,
      tags: configuration.Tags,
      ...(preview ? { previewOnly: true } : {}),
    });
  }
  if (dryRun) {
    console.log(
      `Dry run: packaged artifacts are under ${displayPath(join(buildDir, "artifacts"))}; no stack was changed (${seconds(startedAt)})`,
    );
    return;
  }

  const targetFor = (service: string): StackTarget => {
    const target = targets.get(service);
    if (!target) throw new Error(`no packaged target for ${service}`);
    return target;
  };
  const summary = await runStacks(
    preview ? "preview" : "deploy",
    region,
    targetFor,
    startDeployment([...targets.keys()], "deploy"),
    { pollMs: poll },
  );
  if (preview) {
    // Each change set was made against the environment as it is now, so a
    // service whose dependency has pending changes may look different once
    // the dependency is deployed.
    console.log(`\nPreviewed ${environment.name}: ${summary}; no stack was changed (${seconds(startedAt)})`);
    return;
  }
  console.log(`\nDeployed ${environment.name}: ${summary} in ${seconds(startedAt)}`);
}

runMain(main);
