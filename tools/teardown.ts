/**
 * npm run teardown -- --env dev --yes
 * npm run teardown -- --env prod --yes --confirm-environment prod
 *
 * Deletes the environment's one stack, meridian-<env>; CloudFormation
 * deletes its nested service stacks in reverse dependency order. It first
 * prints what goes and what stays; without `--yes` (and, for an environment
 * that requires approval, `--confirm-environment <its name>` typed out) it
 * exits non-zero having deleted nothing. Tables are Retain: they and their
 * data outlive the stack (the README shows how to delete them too).
 */
import { startDeployment } from "../src/pipeline/deployment";
import { requireAwsCredentials } from "./lib/aws-credentials";
import { helpHint, parseCli, runMain, seconds, UsageError } from "./lib/cli";
import type { Project } from "./lib/configurations";
import type { Environment } from "./lib/project";
import { ROOT_STACK, rootDeployment } from "./lib/root-stack";
import { pollMs, projectAndEnvironment, runStacks, STACK_CLI_OPTIONS } from "./lib/stack-runner";

const USAGE =
  "usage: npm run teardown -- --env <name> --yes [--confirm-environment <name>] [--region <region>] [--poll <seconds>]\n" +
  "       an environment that requires approval (prod) also needs --confirm-environment <its name>";

/** Logical ids of the resources a stack delete leaves behind (DeletionPolicy Retain), per service. */
export function retainedResources(project: Project): string[] {
  return project.services.flatMap((service) =>
    Object.entries(service.template.Resources)
      .filter(([, resource]) => resource.DeletionPolicy === "Retain")
      .map(([logicalId, resource]) => `${service.name}/${logicalId} (${resource.Type})`),
  );
}

/** What the teardown would delete and keep, printed before anything is deleted. */
export function teardownPlan(project: Project, environment: Environment, region: string): string[] {
  const { stackName } = rootDeployment(environment, project.environmentsFile);
  const services = [...project.services].reverse().map((service) => service.name);
  return [
    `Teardown of ${environment.name} (${region}) deletes:`,
    `  stack ${stackName} and its nested stacks: ${services.join(" -> ")}`,
    "  with every function, API, alarm, log group and SSM parameter in them",
    "It keeps (DeletionPolicy Retain; delete them yourself, see the README):",
    ...retainedResources(project).map((resource) => `  ${resource}`),
  ];
}

/** Why the teardown may not go ahead, or undefined when it is confirmed. */
export function missingConfirmation(
  environment: Environment,
  yes: boolean,
  confirmEnvironment: string | undefined,
): string | undefined {
  if (!yes) return `nothing deleted: pass --yes to delete ${environment.name}`;
  if (environment.flags.requireApproval && confirmEnvironment !== environment.name) {
    return `nothing deleted: '${environment.name}' requires approval; also pass --confirm-environment ${environment.name}`;
  }
  return undefined;
}

export async function main(): Promise<void> {
  const startedAt = process.hrtime.bigint();
  const { values: args } = parseCli(
    {
      options: {
        ...STACK_CLI_OPTIONS,
        yes: { type: "boolean", default: false },
        "confirm-environment": { type: "string" },
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
  const poll = pollMs(args.poll);
  const region = args.region ?? environment.region;
  for (const line of teardownPlan(project, environment, region)) console.log(line);
  const refusal = missingConfirmation(environment, args.yes, args["confirm-environment"]);
  if (refusal) throw new UsageError(`${refusal}; ${helpHint(USAGE)}`);
  await requireAwsCredentials();

  const { stackName } = rootDeployment(environment, project.environmentsFile);
  const summary = await runStacks(
    "teardown",
    region,
    () => ({ stackName }),
    startDeployment([ROOT_STACK], "delete"),
    { pollMs: poll },
  );
  console.log(
    `\nTore down ${environment.name}: ${summary} in ${seconds(startedAt)} (Retain tables are kept)`,
  );
}

if (require.main === module) runMain(main);
