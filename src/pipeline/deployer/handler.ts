import type { CodePipelineEvent, Context } from "aws-lambda";
import { loadConfig } from "../../shared/config";
import { lazyHandler } from "../../shared/lambda-entry";
import { createLogger, loadLoggerConfig } from "../../shared/observability";
import { type DeployerJobDependencies, runJob } from "./job";
import { createDeployerDependenciesFromConfig, deployerEnvironment } from "./wiring";

/** The Deploy actions' Lambda: one round of a deploy job per invocation (see job.ts). */
export function createDeployerHandler(dependencies: DeployerJobDependencies) {
  return async (event: CodePipelineEvent, context: Context): Promise<void> => {
    await runJob(event, { ...dependencies, remainingTimeMs: () => context.getRemainingTimeInMillis() });
  };
}

export const handler = lazyHandler(() =>
  createDeployerHandler(
    createDeployerDependenciesFromConfig(loadConfig(deployerEnvironment), createLogger(loadLoggerConfig())),
  ),
);
