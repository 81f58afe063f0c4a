import type { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import {
  type AdvanceResult,
  advance,
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
  outcomes: Array<{ service: string; outcome: StackOutcome }>;
  failure?: StackFailure & { service: string };
}

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
): Promise<DeploymentRound> {
  const service = state.services[state.current];
  if (service === undefined || state.failure) {
    return { deployment: state, status: deploymentStatus(state), state: state.stack, events: [] };
  }
  const result = await advance(cfn, targetFor(service), state.stack);
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
        outcomes: [...state.outcomes, { service, outcome: result.state.outcome }],
      };
    }
  }
  return { ...result, deployment, status: deploymentStatus(deployment), service };
}
