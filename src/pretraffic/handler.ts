import type { Context } from "aws-lambda";
import { loadConfig } from "../shared/config";
import { lazyHandler } from "../shared/lambda-entry";
import {
  createObservability,
  flushMetrics,
  loadObservabilityConfig,
  MetricUnit,
  type Observability,
} from "../shared/observability";
import type { HookOutcome, PreTrafficHook } from "./domain/hook";
import { createPreTrafficHookFromConfig, preTrafficEnvironment } from "./wiring";

/** What CodeDeploy invokes a lifecycle hook with. */
export interface CodeDeployLifecycleEvent {
  DeploymentId: string;
  LifecycleEventHookExecutionId: string;
}

/**
 * CodeDeploy's PreTraffic hook for every function of a service: smoke-tests
 * the new version and reports Succeeded or Failed; a Failed stops the
 * deployment before any traffic moves and CloudFormation rolls back.
 */
export interface PreTrafficDependencies extends Observability {
  hook: PreTrafficHook;
}

export function createPreTrafficHandler({ hook, logger, metrics }: PreTrafficDependencies) {
  return async (event: CodeDeployLifecycleEvent, context: Context): Promise<HookOutcome> => {
    logger.addContext(context);
    metrics.captureColdStartMetric();
    try {
      const outcome = await hook.run(event.DeploymentId, event.LifecycleEventHookExecutionId);
      metrics.addMetric(outcome.healthy ? "PreTrafficPassed" : "PreTrafficFailed", MetricUnit.Count, 1);
      const log = outcome.healthy ? logger.info : logger.error;
      log.call(logger, "Pre-traffic smoke test", { deploymentId: event.DeploymentId, ...outcome });
      return outcome;
    } finally {
      flushMetrics(metrics);
    }
  };
}

export const handler = lazyHandler(() =>
  createPreTrafficHandler({
    hook: createPreTrafficHookFromConfig(loadConfig(preTrafficEnvironment)),
    ...createObservability(loadObservabilityConfig()),
  }),
);
