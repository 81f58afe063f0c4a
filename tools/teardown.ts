/**
 * npm run teardown -- --env dev [--service profile[,location]] [--region <region>] [--poll <seconds>] [--yes]
 *
 * Deletes each service's stack in reverse dependency order, so no stack goes
 * while another still resolves its SSM names. Tables are Retain: they and
 * their data outlive the stacks (delete them by hand if that is the intent).
 */
import { startDeployment } from "../src/pipeline/deployment";
import type { StackTarget } from "../src/pipeline/stack-deployer";
import { requireAwsCredentials } from "./lib/aws-credentials";
import { list, parseCli, runMain, seconds } from "./lib/cli";
import { selectServices } from "./lib/configurations";
import { stackName } from "./lib/project";
import { pollMs, projectAndEnvironment, runStacks, STACK_CLI_OPTIONS } from "./lib/stack-runner";

const USAGE =
  "usage: npm run teardown -- --env <name> [--service <name>[,<name>...]] [--region <region>] [--poll <seconds>] [--yes]";

async function main(): Promise<void> {
  const startedAt = process.hrtime.bigint();
  const { values: args } = parseCli(
    {
      options: {
        ...STACK_CLI_OPTIONS,
        yes: { type: "boolean", default: false },
      },
    },
    USAGE,
  );
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const { project, environment } = projectAndEnvironment(args.env, USAGE);
  if (environment.name === "local")
    throw new Error("environment 'local' has no stacks; `npm start -- --reset` wipes local data");
  if (environment.flags.requireApproval && !args.yes) {
    throw new Error(`environment '${environment.name}' requires approval: pass --yes to delete its stacks`);
  }
  const poll = pollMs(args.poll);
  const region = args.region ?? environment.region;
  const services = selectServices(project.services, list(args.service)).reverse();
  await requireAwsCredentials();
  console.log(
    `Tearing down ${environment.name} (${region}): ${services.map((service) => service.name).join(" -> ")}`,
  );

  const targetFor = (service: string): StackTarget => ({ stackName: stackName(environment.name, service) });
  const summary = await runStacks(
    "teardown",
    region,
    targetFor,
    startDeployment(
      services.map((service) => service.name),
      "delete",
    ),
    { pollMs: poll },
  );
  console.log(
    `\nTore down ${environment.name}: ${summary} in ${seconds(startedAt)} (Retain tables are kept)`,
  );
}

runMain(main);
