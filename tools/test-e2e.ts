/**
 * npm run test:e2e -- --env <name> [--region <region>]
 *
 * The acceptance journey (tests/e2e/journey.ts) against one environment,
 * its base URLs read from SSM (/meridian/<env>/<service>/api/url). The
 * pipeline runs it after each deploy; a failure stops promotion. `--env local`
 * runs it against the stack `npm start` runs, or, when none is running,
 * against a temporary one started for the run and stopped after it.
 */
import { SSMClient } from "@aws-sdk/client-ssm";
import { startTestStack } from "@meridian/local-stack";
import { readEndpoints } from "../tests/e2e/endpoints";
import { runJourney, type StepResult } from "../tests/e2e/journey";
import { requireAwsCredentials } from "./lib/aws-credentials";
import { parseCli, progress, runMain, seconds, UsageError } from "./lib/cli";
import { meridianProject } from "./lib/local-project";
import { loadEnvironment } from "./lib/project";
import { readStackState } from "./lib/stack-state";
import { writeSite } from "./lib/web-site";

const USAGE = `usage: npm run test:e2e -- --env <name> [--region <region>]

Runs the acceptance journey (register, log in, location, profile, the public
read, comments and the 400/401/403/404/409 error paths) against an
environment whose API URLs are in SSM under /meridian/<env>/<service>/api/url.
  --env local   the stack \`npm start\` runs, or a temporary one when none runs
  --env dev     a deployed environment: AWS credentials and its region
                (environments.yaml, or --region) are needed`;

interface Target {
  label: string;
  environment: string;
  ssm: SSMClient;
  stop?: () => Promise<void>;
}

/** The running `npm start` stack's SSM endpoint, or a temporary stack's. */
async function localTarget(): Promise<Target> {
  const state = readStackState();
  if (typeof state !== "string") {
    const { awsEndpoint, region, credentials, environment } = state;
    const ssm = new SSMClient({ endpoint: awsEndpoint, region, credentials });
    return { label: `the local stack (pid ${state.pid})`, environment, ssm };
  }
  progress("no local stack is running (npm start): starting a temporary one");
  // As npm start does first: the web stack serves (and its function bundles) the built page.
  await writeSite();
  const stack = await startTestStack({ project: meridianProject });
  const { awsEndpoint: endpoint, region, credentials } = stack;
  const ssm = new SSMClient({ endpoint, region, credentials });
  return { label: "a temporary local stack", environment: stack.environment, ssm, stop: () => stack.stop() };
}

async function awsTarget(name: string, region: string | undefined): Promise<Target> {
  const environment = loadEnvironment(name);
  await requireAwsCredentials();
  const resolvedRegion = region ?? environment.region;
  return {
    label: `${name} (${resolvedRegion})`,
    environment: name,
    ssm: new SSMClient({ region: resolvedRegion }),
  };
}

function printStep({ step, ms }: StepResult): void {
  console.log(`  ✓ ${step} (${ms} ms)`);
}

export async function main(): Promise<void> {
  const { values } = parseCli(
    {
      options: { env: { type: "string" }, region: { type: "string" }, help: { type: "boolean", short: "h" } },
    },
    USAGE,
  );
  if (values.help) return void console.log(USAGE);
  if (!values.env)
    throw new UsageError("--env is required (local, dev, staging, prod); `npm run test:e2e -- --help`");
  const startedAt = process.hrtime.bigint();
  const target = values.env === "local" ? await localTarget() : await awsTarget(values.env, values.region);
  try {
    const endpoints = await readEndpoints(target.ssm, target.environment);
    console.log(`Acceptance journey against ${target.label}`);
    const { steps } = await runJourney(endpoints, { onStep: printStep });
    console.log(`\n${steps.length} steps passed against ${target.label} in ${seconds(startedAt)}`);
  } finally {
    target.ssm.destroy();
    await target.stop?.();
  }
}

if (require.main === module) runMain(main);
