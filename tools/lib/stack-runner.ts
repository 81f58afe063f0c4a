import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { CodeDeployClient } from "@aws-sdk/client-codedeploy";
import { codeDeployExplainer } from "../../src/pipeline/codedeploy-rollback";
import {
  advanceDeployment,
  type DeploymentState,
  deploymentStatus,
  describeOutcome,
} from "../../src/pipeline/deployment";
import type {
  FailureExplainer,
  ResourceChangeSummary,
  StackEventSummary,
  StackTarget,
} from "../../src/pipeline/stack-deployer";
import { helpHint, sleep, UsageError } from "./cli";
import { loadProject, type Project } from "./configurations";
import type { Environment } from "./project";

/**
 * The flags every stack-changing CLI (deploy, teardown) takes, so they spell
 * and default them alike; each adds its own (--bucket, --approve, --yes...).
 */
export const STACK_CLI_OPTIONS = {
  env: { type: "string" },
  region: { type: "string" },
  poll: { type: "string", default: "5" },
  help: { type: "boolean", default: false },
} as const;

/** The project and the environment `--env` names; the usage is shown when it is missing. */
export function projectAndEnvironment(
  name: string | undefined,
  usage: string,
): { project: Project; environment: Environment } {
  if (!name) throw new UsageError(`--env is required; ${helpHint(usage)}`);
  const project = loadProject();
  const environment = project.environments.get(name);
  if (!environment) {
    throw new UsageError(
      `unknown environment '${name}' (${project.environmentsFile} has: ${[...project.environments.keys()].join(", ")})`,
    );
  }
  return { project, environment };
}

/** `--poll <seconds>` as the milliseconds runDeployment pauses between rounds. */
export function pollMs(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new UsageError(`--poll: expected seconds, got '${value}'`);
  return seconds * 1000;
}

export interface RunOptions {
  /** Pause between rounds while CloudFormation works. */
  pollMs: number;
  /** Names the alarm behind a rolled-back gradual deployment. */
  explain?: FailureExplainer;
  log?: (line: string) => void;
}

function formatEvent(service: string, event: StackEventSummary): string {
  const time = event.timestamp.slice(11, 19);
  const reason = event.reason ? `  ${event.reason}` : "";
  return `  ${time}  ${service.padEnd(10)} ${event.status.padEnd(28)} ${event.logicalId} (${event.resourceType})${reason}`;
}

function formatChange(change: ResourceChangeSummary): string {
  // A replaced table is a new, empty table (the old one is retained, not migrated): say so loudly.
  const replacement =
    change.replacement === "True" || change.replacement === "Conditional"
      ? `  REPLACEMENT: ${change.replacement}`
      : "";
  const where = change.stack ? `${change.stack}/` : "";
  return `    ${change.action.padEnd(8)} ${where}${change.logicalId} (${change.resourceType})${replacement}`;
}

/**
 * The CLI's side of the step function: loop `advanceDeployment`, sleep only
 * while something is in progress, and print each round's new stack events.
 */
export async function runDeployment(
  cfn: CloudFormationClient,
  targetFor: (service: string) => StackTarget,
  initial: DeploymentState,
  options: RunOptions,
): Promise<DeploymentState> {
  const log = options.log ?? ((line: string) => console.log(line));
  let state = initial;
  let announced = -1;
  let lastMessage: string | undefined;
  while (deploymentStatus(state) === "in-progress") {
    const service = state.services[state.current] ?? "";
    if (announced !== state.current) {
      announced = state.current;
      lastMessage = undefined;
      const verb = state.action === "deploy" ? "Deploying" : "Deleting";
      log(
        `\n${verb} ${service} (${targetFor(service).stackName}) [${state.current + 1}/${state.services.length}]`,
      );
    }
    const round = await advanceDeployment(cfn, targetFor, state, options.explain);
    for (const event of round.events) log(formatEvent(service, event));
    if (round.message && round.message !== lastMessage) {
      log(`  ${service}: ${round.message}`);
      lastMessage = round.message;
    }
    for (const change of round.changes ?? []) log(formatChange(change));
    const finishedStack = round.deployment.current !== state.current;
    const outcome = round.deployment.outcomes[round.deployment.outcomes.length - 1];
    if (finishedStack && outcome) log(`  ${service}: ${outcome.outcome}`);
    state = round.deployment;
    // The next stack starts at once; only waiting on CloudFormation sleeps.
    if (!finishedStack && deploymentStatus(state) === "in-progress") await sleep(options.pollMs);
  }
  return state;
}

export function describeFailure(state: DeploymentState): string | undefined {
  const failure = state.failure;
  if (!failure) return undefined;
  const resource = failure.logicalId
    ? `${failure.logicalId}${failure.resourceType ? ` (${failure.resourceType})` : ""}`
    : "stack";
  return `${failure.service}: ${resource}${failure.status ? ` ${failure.status}` : ""}: ${failure.reason}`;
}

/**
 * Runs a deployment to its end against `region`: throws `<command> failed:`
 * with the failing resource, or returns the outcomes as `auth created, ...`.
 */
export async function runStacks(
  command: string,
  region: string,
  targetFor: (service: string) => StackTarget,
  initial: DeploymentState,
  options: RunOptions,
): Promise<string> {
  const explain = options.explain ?? codeDeployExplainer(new CodeDeployClient({ region }));
  const final = await runDeployment(new CloudFormationClient({ region }), targetFor, initial, {
    ...options,
    explain,
  });
  const failure = describeFailure(final);
  if (failure) throw new Error(`${command} failed: ${failure}`);
  return final.outcomes.map(describeOutcome).join(", ");
}
