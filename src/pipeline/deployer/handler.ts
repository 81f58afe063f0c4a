import type { CodePipelineEvent, Context } from "aws-lambda";
import { runJob } from "./job";
import { dependencies } from "./wiring";

/** The Deploy actions' Lambda: one round of a deploy job per invocation (see job.ts). */
export async function handler(event: CodePipelineEvent, context: Context): Promise<void> {
  await runJob(event, { ...dependencies, remainingTimeMs: () => context.getRemainingTimeInMillis() });
}
