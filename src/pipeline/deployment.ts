import type { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import {
  type AdvanceResult,
  advance,
  type FailureExplainer,
  initialState,
  isFinished,
  type StackFailure,
  type StackOutcome,
  type StackState,
  type StackTarget,
} from "./stack-deployer";

/**
 * Several services' stacks, one after another in the given order (deploy
 * order, or its reverse for a teardown), on top of the single-stack step
 * function. Still one round per `advanceDeployment`; the state stays small
 * enough for a CodePipeline continuation token.
 */
export interface DeploymentState {
  action: "deploy" | "delete";
  services: string[];
  /** Index into `services` of the stack being worked on. */
  current: number;
  stack: StackState;
  outcomes: ServiceOutcome[];
  failure?: StackFailure & { service: string };
}

export interface ServiceOutcome {
  service: string;
  outcome: StackOutcome;
  /** For a preview: how many resource changes, and which resources would be replaced (capped). */
  changes?: number;
  /** For a root stack's preview: how many of the changes are in each nested (service) stack. */
  changesByStack?: Record<string, number>;
  replacements?: string[];
}

/** Enough to flag the danger; the full list is in the round's `changes` and the logs. */
const MAX_RECORDED_REPLACEMENTS = 5;

export type DeploymentStatus = "in-progress" | "succeeded" | "failed";

export interface DeploymentRound extends AdvanceResult {
  deployment: DeploymentState;
  status: DeploymentStatus;
  /** The service this round worked on, if any. */
  service?: string;
}

export function startDeployment(services: string[], action: "deploy" | "delete" = "deploy"): DeploymentState {
  return { action, services: [...services], current: 0, stack: initialState(action), outcomes: [] };
}

export function deploymentStatus(state: DeploymentState): DeploymentStatus {
  if (state.failure) return "failed";
  return state.current >= state.services.length ? "succeeded" : "in-progress";
}

/** Moves the deployment one round forward; a failed stack stops it, so later services never deploy on a broken base. */
export async function advanceDeployment(
  cfn: CloudFormationClient,
  targetFor: (service: string) => StackTarget,
  state: DeploymentState,
  explain?: FailureExplainer,
): Promise<DeploymentRound> {
  const service = state.services[state.current];
  if (service === undefined || state.failure) {
    return { deployment: state, status: deploymentStatus(state), state: state.stack, events: [] };
  }
  const result = await advance(cfn, targetFor(service), state.stack, explain);
  let deployment: DeploymentState = { ...state, stack: result.state };
  if (isFinished(result.state)) {
    if (result.state.phase === "failed") {
      const { phase: _phase, ...failure } = result.state;
      deployment = { ...deployment, failure: { ...failure, service } };
    } else {
      deployment = {
        ...deployment,
        current: state.current + 1,
        stack: initialState(state.action),
        outcomes: [...state.outcomes, { service, outcome: result.state.outcome, ...changeCounts(result) }],
      };
    }
  }
  return { ...result, deployment, status: deploymentStatus(deployment), service };
}

function changeCounts(
  result: AdvanceResult,
): Pick<ServiceOutcome, "changes" | "changesByStack" | "replacements"> {
  if (result.state.phase !== "done" || result.state.outcome !== "previewed" || !result.changes) return {};
  const replaced = result.changes
    .filter((change) => change.replacement === "True" || change.replacement === "Conditional")
    .map((change) => (change.stack ? `${change.stack}/${change.logicalId}` : change.logicalId));
  const byStack: Record<string, number> = {};
  for (const change of result.changes) {
    // A nested stack's own Modify line only says "something inside changed".
    if (!change.stack) continue;
    const service = change.stack.split("/")[0] ?? change.stack;
    byStack[service] = (byStack[service] ?? 0) + 1;
  }
  return {
    changes: result.changes.length,
    ...(Object.keys(byStack).length > 0 ? { changesByStack: byStack } : {}),
    ...(replaced.length > 0 ? { replacements: replaced.slice(0, MAX_RECORDED_REPLACEMENTS) } : {}),
  };
}

/** `auth updated`, or for a preview `root: 9 change(s) (AuthService 3, ProfileService 4), replaces AuthService/UsersTable`. */
export function describeOutcome(entry: ServiceOutcome): string {
  if (entry.outcome !== "previewed") return `${entry.service} ${entry.outcome}`;
  const byStack = Object.entries(entry.changesByStack ?? {})
    .map(([stack, count]) => `${stack} ${count}`)
    .join(", ");
  const perStack = byStack ? ` (${byStack})` : "";
  const replaces = entry.replacements?.length ? `, replaces ${entry.replacements.join(", ")}` : "";
  return `${entry.service}: ${entry.changes ?? 0} change(s)${perStack}${replaces}`;
}
