/**
 * npm run teardown -- --env dev [--service profile[,location]] [--region <region>] [--poll <seconds>] [--yes]
 *
 * Deletes each service's stack in reverse dependency order, so no stack goes
 * while another still resolves its SSM names. Tables are Retain: they and
 * their data outlive the stacks (delete them by hand if that is the intent).
 */
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { startDeployment } from "../src/pipeline/deployment";
import type { StackTarget } from "../src/pipeline/stack-deployer";
import { list, parseCli, runMain, seconds } from "./lib/cli";
import { loadProject, selectServices } from "./lib/configurations";
import { stackName } from "./lib/project";
import { describeFailure, runDeployment } from "./lib/stack-runner";

const USAGE =
  "usage: npm run teardown -- --env <name> [--service <name>[,<name>...]] [--region <region>] [--poll <seconds>] [--yes]";

async function main(): Promise<void> {
  const startedAt = process.hrtime.bigint();
  const { values: args } = parseCli(
    {
      options: {
        env: { type: "string" },
        service: { type: "string", multiple: true },
        region: { type: "string" },
        poll: { type: "string", default: "5" },
        yes: { type: "boolean", default: false },
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
  if (environment.name === "local")
    throw new Error("environment 'local' has no stacks; `npm start -- --reset` wipes local data");
  if (environment.flags.requireApproval && !args.yes) {
    throw new Error(`environment '${environment.name}' requires approval: pass --yes to delete its stacks`);
  }
  const pollSeconds = Number(args.poll);
  if (!Number.isFinite(pollSeconds) || pollSeconds <= 0)
    throw new Error(`--poll: expected seconds, got '${args.poll}'`);
  const region = args.region ?? environment.region;
  const services = selectServices(project.services, list(args.service)).reverse();
  console.log(
    `Tearing down ${environment.name} (${region}): ${services.map((service) => service.name).join(" -> ")}`,
  );

  const targetFor = (service: string): StackTarget => ({ stackName: stackName(environment.name, service) });
  const cfn = new CloudFormationClient({ region });
  const final = await runDeployment(
    cfn,
    targetFor,
    startDeployment(
      services.map((service) => service.name),
      "delete",
    ),
    { pollMs: pollSeconds * 1000 },
  );
  const failure = describeFailure(final);
  if (failure) throw new Error(`teardown failed: ${failure}`);
  const summary = final.outcomes.map((entry) => `${entry.service} ${entry.outcome}`).join(", ");
  console.log(
    `\nTore down ${environment.name}: ${summary} in ${seconds(startedAt)} (Retain tables are kept)`,
  );
}

runMain(main);
