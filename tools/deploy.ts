/**
 * npm run deploy -- --env dev [--service auth[,location]] [--bucket <artifact bucket>]
 *                   [--region <region>] [--prefix <s3 prefix>] [--poll <seconds>] [--approve] [--dry-run]
 *
 * Deploys each service's own stack (meridian-<env>-<service>) in dependency
 * order without SAM CLI: bundle, zip and upload every function, upload the
 * packaged template, then create and execute one change set per service with
 * the same step function the pipeline's deployer Lambda uses
 * (src/pipeline/stack-deployer.ts). Exits non-zero naming the failing
 * resource and CloudFormation's reason.
 */
import { join } from "node:path";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { startDeployment } from "../src/pipeline/deployment";
import type { StackTarget } from "../src/pipeline/stack-deployer";
import { type ArtifactStore, DirectoryArtifactStore, S3ArtifactStore } from "./lib/artifacts";
import { list, parseCli, runMain, seconds } from "./lib/cli";
import { loadProject, selectServices } from "./lib/configurations";
import { packageService } from "./lib/package";
import { displayPath, ROOT, stackName, templateConfiguration } from "./lib/project";
import { describeFailure, runDeployment } from "./lib/stack-runner";

const USAGE =
  "usage: npm run deploy -- --env <name> [--service <name>[,<name>...]] [--bucket <artifact bucket>] [--region <region>] [--prefix <s3 prefix>] [--poll <seconds>] [--approve] [--dry-run]\n" +
  "       the bucket can also come from MERIDIAN_ARTIFACT_BUCKET";

async function main(): Promise<void> {
  const startedAt = process.hrtime.bigint();
  const { values: args } = parseCli(
    {
      options: {
        env: { type: "string" },
        service: { type: "string", multiple: true },
        bucket: { type: "string" },
        region: { type: "string" },
        prefix: { type: "string" },
        poll: { type: "string", default: "5" },
        approve: { type: "boolean", default: false },
        "dry-run": { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    },
    USAGE,
  );
  if (args.help) {
    console.log(USAGE);
    return;
  }
  if (!args.env) throw new Error(`--env is required\n${USAGE}`);
  const project = loadProject();
  const environment = project.environments.get(args.env);
  if (!environment) {
    throw new Error(
      `unknown environment '${args.env}' (${project.environmentsFile} has: ${[...project.environments.keys()].join(", ")})`,
    );
  }
  if (environment.name === "local") throw new Error("environment 'local' runs with `npm start`, not on AWS");
  const dryRun = args["dry-run"];
  if (environment.flags.requireApproval && !args.approve && !dryRun) {
    throw new Error(
      `environment '${environment.name}' requires approval: review the change and pass --approve`,
    );
  }
  const bucket = args.bucket ?? process.env.MERIDIAN_ARTIFACT_BUCKET;
  if (!bucket && !dryRun) throw new Error(`--bucket (or MERIDIAN_ARTIFACT_BUCKET) is required\n${USAGE}`);
  const pollSeconds = Number(args.poll);
  if (!Number.isFinite(pollSeconds) || pollSeconds <= 0)
    throw new Error(`--poll: expected seconds, got '${args.poll}'`);
  const region = args.region ?? environment.region;
  const prefix = args.prefix ?? `meridian/${environment.name}`;
  const services = selectServices(project.services, list(args.service));
  const buildDir = join(ROOT, "dist", "deploy", environment.name);

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
  const cfn = new CloudFormationClient({ region });
  const final = await runDeployment(cfn, targetFor, startDeployment([...targets.keys()], "deploy"), {
    pollMs: pollSeconds * 1000,
  });
  const failure = describeFailure(final);
  if (failure) throw new Error(`deploy failed: ${failure}`);
  const summary = final.outcomes.map((entry) => `${entry.service} ${entry.outcome}`).join(", ");
  console.log(`\nDeployed ${environment.name}: ${summary} in ${seconds(startedAt)}`);
}

runMain(main);
