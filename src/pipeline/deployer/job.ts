import type { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import type { CodeDeployClient } from "@aws-sdk/client-codedeploy";
import {
  type CodePipelineClient,
  type FailureType,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
} from "@aws-sdk/client-codepipeline";
import type { CodePipelineEvent } from "aws-lambda";
import type { Logger } from "../../shared/observability";
import { codeDeployExplainer } from "../codedeploy-rollback";
import {
  advanceDeployment,
  type DeploymentRound,
  type DeploymentState,
  deploymentStatus,
  describeOutcome,
  startDeployment,
} from "../deployment";
import type { StackState, StackTarget } from "../stack-deployer";
import type { ArtifactFiles, ArtifactReader } from "./artifact";
import { type Continuation, decodeContinuation, encodeContinuation } from "./continuation";
import {
  type ArtifactManifest,
  ConfigurationError,
  MANIFEST_FILE,
  type ManifestStack,
  parseManifest,
  parseUserParameters,
  stacksFor,
} from "./manifest";
import type { PackageStore } from "./package-store";
import { prepareTarget } from "./targets";

/**
 * One CodePipeline Deploy job: all of an environment's service stacks, in the
 * manifest's dependency order, through stack-deployer's change sets. An
 * invocation runs rounds only while each one makes progress without waiting,
 * then hands the state back as a continuation token; CodePipeline invokes
 * again with it. A job that arrives again without a token (a re-delivery)
 * starts from the first stack, and stack-deployer resumes from
 * CloudFormation's own state: a stack in progress is waited on, an unchanged
 * one is a no-op.
 */
export type CodePipelineJob = CodePipelineEvent["CodePipeline.job"];

export interface DeployerDependencies {
  logger: Logger;
  codepipeline: CodePipelineClient;
  cloudformation: CloudFormationClient;
  /** Explains a rolled-back gradual deployment by the alarm that fired. */
  codedeploy?: CodeDeployClient;
  artifacts: ArtifactReader;
  packages: PackageStore;
  /** The CloudFormation service role pipeline.yaml defines. */
  executionRoleArn: string;
  /** Lambda's context.getRemainingTimeInMillis. */
  remainingTimeMs?: () => number;
  now?: () => number;
}

/** Everything a deploy job runs with but the invocation's remaining time: what the composition root builds. */
export type DeployerJobDependencies = Omit<DeployerDependencies, "remainingTimeMs">;

export type JobResult =
  | { result: "succeeded"; summary: string }
  | { result: "continuing"; continuation: Continuation; summary: string; percentComplete: number }
  | { result: "failed"; type: FailureType; message: string };

/** Caps one invocation even when every round progresses (e.g. a run of unchanged stacks). */
const MAX_ROUNDS_PER_INVOCATION = 12;
/** No new round with less than this left: a round's calls and the PutJob* call must fit. */
export const TIME_RESERVE_MS = 30_000;
/** Transient errors (throttling, 5xx) tolerated in a row before the job fails. */
export const MAX_TRANSIENT_RETRIES = 5;
/** Limits of PutJobFailureResult's message and executionDetails.summary. */
const MAX_FAILURE_MESSAGE = 5000;
const MAX_SUMMARY = 2048;

const TRANSIENT_NAMES = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "SlowDown",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
  "ServiceUnavailable",
  "InternalError",
  "ECONNRESET",
  "ETIMEDOUT",
]);

function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const details = error as Error & {
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
    code?: string;
  };
  const status = details.$metadata?.httpStatusCode ?? 0;
  return (
    Boolean(details.$retryable) ||
    status >= 500 ||
    TRANSIENT_NAMES.has(error.name) ||
    (details.code !== undefined && TRANSIENT_NAMES.has(details.code))
  );
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Only these phases may create a change set, so only they need the template and the uploads. */
function needsTemplate(state: StackState): boolean {
  return state.phase === "start" || state.phase === "deleting-rolled-back-stack";
}

function inputArtifact(job: CodePipelineJob): { bucket: string; key: string } {
  const [artifact, ...others] = job.data.inputArtifacts;
  if (!artifact || others.length > 0) {
    throw new ConfigurationError(
      `the Deploy action needs exactly one input artifact (the Bundle stage's output), got ${job.data.inputArtifacts.length}`,
    );
  }
  return { bucket: artifact.location.s3Location.bucketName, key: artifact.location.s3Location.objectKey };
}

function summarize(
  environment: string,
  deployment: DeploymentState,
  current?: string,
  preview = false,
): string {
  const done = deployment.outcomes.map(describeOutcome);
  const service = deployment.services[deployment.current];
  const now = service && !deployment.failure ? [`${service}: ${current ?? deployment.stack.phase}`] : [];
  const label = preview ? `${environment} preview (nothing changed)` : environment;
  return clip(`${label}: ${[...done, ...now].join("; ") || "nothing to deploy"}`, MAX_SUMMARY);
}

function failureMessage(deployment: DeploymentState, stacks: ManifestStack[]): string {
  const failure = deployment.failure;
  if (!failure) return "deployment failed";
  const stackName = stacks.find((stack) => stack.service === failure.service)?.stackName ?? failure.service;
  const resource = failure.logicalId
    ? `${failure.logicalId}${failure.resourceType ? ` (${failure.resourceType})` : ""}${failure.status ? ` ${failure.status}` : ""}: `
    : "";
  const before = deployment.outcomes.map(describeOutcome).join(", ");
  return clip(
    `${stackName}: ${resource}${failure.reason}${before ? ` [before it: ${before}]` : ""}`,
    MAX_FAILURE_MESSAGE,
  );
}

function logRound(logger: Logger, round: DeploymentRound, stack: ManifestStack, jobId: string): void {
  for (const event of round.events) {
    logger.info("stack event", { jobId, stackName: stack.stackName, ...event });
  }
  logger.info("round", {
    jobId,
    stackName: stack.stackName,
    phase: round.deployment.stack.phase,
    status: round.status,
    ...(round.message ? { detail: round.message } : {}),
    // The full change list, for an approver reading a preview's log.
    ...(round.changes ? { changes: round.changes } : {}),
  });
}

interface Plan {
  manifest: ArtifactManifest;
  stacks: ManifestStack[];
  preview: boolean;
}

async function runRounds(
  job: CodePipelineJob,
  plan: Plan,
  start: DeploymentState,
  deps: DeployerDependencies,
  files: ArtifactFiles,
  onRound: (deployment: DeploymentState) => void,
): Promise<{ deployment: DeploymentState; message?: string }> {
  const now = deps.now ?? Date.now;
  const remaining = deps.remainingTimeMs ?? (() => Number.POSITIVE_INFINITY);
  let deployment = start;
  let message: string | undefined;
  for (let round = 1; ; round++) {
    const stack = plan.stacks[deployment.current];
    if (!stack) break;
    const prepared: StackTarget = needsTemplate(deployment.stack)
      ? await prepareTarget(files, plan.manifest, stack, deps.packages, {
          executionRoleArn: deps.executionRoleArn,
          // Unique per creation: a re-delivered job never collides with a change set an earlier delivery left.
          changeSetName: `pipeline-${job.id.slice(0, 8)}-${now()}`,
        })
      : { stackName: stack.stackName };
    const target: StackTarget = plan.preview ? { ...prepared, previewOnly: true } : prepared;
    const before = deployment;
    const explain = deps.codedeploy ? codeDeployExplainer(deps.codedeploy) : undefined;
    const result = await advanceDeployment(deps.cloudformation, () => target, deployment, explain);
    deployment = result.deployment;
    message = result.message;
    onRound(deployment);
    logRound(deps.logger, result, stack, job.id);
    if (result.status !== "in-progress") break;
    const progressed = deployment.current !== before.current || deployment.stack.phase !== before.stack.phase;
    if (!progressed || round >= MAX_ROUNDS_PER_INVOCATION || remaining() < TIME_RESERVE_MS) break;
  }
  return { deployment, ...(message ? { message } : {}) };
}

/** Decides the job's result; makes every CloudFormation call but not the CodePipeline one. */
async function decide(job: CodePipelineJob, deps: DeployerDependencies): Promise<JobResult> {
  const { logger } = deps;
  let environment = "unknown";
  let continuation: Continuation | undefined;
  let deployment: DeploymentState | undefined;
  try {
    const parameters = parseUserParameters(job.data.actionConfiguration.configuration.UserParameters);
    environment = parameters.environment;
    const preview = parameters.mode === "preview";
    continuation = job.data.continuationToken ? decodeContinuation(job.data.continuationToken) : undefined;
    if (continuation && continuation.environment !== environment) {
      throw new ConfigurationError(
        `continuation token is for '${continuation.environment}' but the action deploys '${environment}'`,
      );
    }
    const files = await deps.artifacts.read(inputArtifact(job), job.data.artifactCredentials);
    const manifest = parseManifest(files.json(MANIFEST_FILE));
    const stacks = stacksFor(manifest, environment);
    const services = stacks.map((stack) => stack.service);
    deployment = continuation?.deployment ?? startDeployment(services);
    if (deployment.services.join(",") !== services.join(",")) {
      throw new ConfigurationError(
        `the artifact's stacks for ${environment} (${services.join(", ")}) differ from the ones this job started with (${deployment.services.join(", ")})`,
      );
    }
    if (!continuation?.deployment) {
      logger.info(preview ? "previewing" : "deploying", {
        jobId: job.id,
        environment,
        sourceVersion: manifest.sourceVersion,
        stacks: stacks.map((s) => s.stackName),
      });
    }

    const outcome = await runRounds(job, { manifest, stacks, preview }, deployment, deps, files, (latest) => {
      deployment = latest;
    });
    deployment = outcome.deployment;
    const status = deploymentStatus(deployment);
    if (status === "failed")
      return { result: "failed", type: "JobFailed", message: failureMessage(deployment, stacks) };
    const summary = summarize(environment, deployment, outcome.message, preview);
    if (status === "succeeded") return { result: "succeeded", summary };
    return {
      result: "continuing",
      continuation: { v: 1, environment, deployment, retries: 0 },
      summary,
      percentComplete: Math.floor((100 * deployment.current) / Math.max(1, deployment.services.length)),
    };
  } catch (error) {
    if (error instanceof ConfigurationError) {
      return {
        result: "failed",
        type: "ConfigurationError",
        message: clip(error.message, MAX_FAILURE_MESSAGE),
      };
    }
    const retries = continuation?.retries ?? 0;
    if (isTransient(error) && retries < MAX_TRANSIENT_RETRIES) {
      logger.warn("transient error; retrying in the next invocation", {
        jobId: job.id,
        error: describeError(error),
      });
      return {
        result: "continuing",
        // The deployment as of the last completed round: the failed round is simply run again.
        continuation: { v: 1, environment, ...(deployment ? { deployment } : {}), retries: retries + 1 },
        summary: clip(`${environment}: retrying after ${describeError(error)}`, MAX_SUMMARY),
        percentComplete: 0,
      };
    }
    logger.error("deploy job failed", { jobId: job.id, error: describeError(error) });
    return { result: "failed", type: "JobFailed", message: clip(describeError(error), MAX_FAILURE_MESSAGE) };
  }
}

function isFinishedJob(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === "InvalidJobStateException" || error.name === "JobNotFoundException")
  );
}

/** Tells CodePipeline the result. A job that is already finished (a duplicate delivery) is left alone. */
async function report(
  jobId: string,
  result: JobResult,
  { codepipeline, logger }: Pick<DeployerDependencies, "codepipeline" | "logger">,
): Promise<void> {
  try {
    if (result.result === "failed") {
      await codepipeline.send(
        new PutJobFailureResultCommand({
          jobId,
          failureDetails: { type: result.type, message: result.message },
        }),
      );
      return;
    }
    let continuationToken: string | undefined;
    if (result.result === "continuing") {
      try {
        continuationToken = encodeContinuation(result.continuation);
      } catch (error) {
        await codepipeline.send(
          new PutJobFailureResultCommand({
            jobId,
            failureDetails: { type: "JobFailed", message: describeError(error) },
          }),
        );
        return;
      }
    }
    await codepipeline.send(
      new PutJobSuccessResultCommand({
        jobId,
        ...(continuationToken ? { continuationToken } : {}),
        executionDetails: {
          summary: result.summary,
          percentComplete: result.result === "continuing" ? result.percentComplete : 100,
        },
      }),
    );
  } catch (error) {
    if (isFinishedJob(error)) {
      logger.warn("job already finished; result not reported", { jobId, error: describeError(error) });
      return;
    }
    throw error;
  }
}

export async function runJob(event: CodePipelineEvent, deps: DeployerDependencies): Promise<JobResult> {
  const job = event["CodePipeline.job"];
  const result = await decide(job, deps);
  deps.logger.info("job result", {
    jobId: job.id,
    result: result.result,
    ...(result.result === "failed" ? { message: result.message } : { summary: result.summary }),
  });
  await report(job.id, result, deps);
  return result;
}
