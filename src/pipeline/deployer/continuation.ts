import type { DeploymentState } from "../deployment";

/**
 * What one invocation hands the next through CodePipeline's continuation
 * token. CodePipeline stores it with the job and gives it back verbatim on
 * the next invocation, so the deployer keeps no state of its own.
 */
export interface Continuation {
  v: 1;
  environment: string;
  /** Absent when an invocation failed transiently before it read the manifest. */
  deployment?: DeploymentState;
  /** Invocations in a row that ended in a transient error. */
  retries: number;
}

/** PutJobSuccessResult rejects longer tokens. */
export const MAX_TOKEN_LENGTH = 2048;

export function encodeContinuation(continuation: Continuation): string {
  const full = JSON.stringify(continuation);
  if (full.length <= MAX_TOKEN_LENGTH) return full;
  // Outcomes only feed the progress summary; the stack state is what resumes the deploy.
  if (continuation.deployment) {
    const compact = JSON.stringify({
      ...continuation,
      deployment: { ...continuation.deployment, outcomes: [] },
    });
    if (compact.length <= MAX_TOKEN_LENGTH) return compact;
  }
  throw new Error(
    `continuation token of ${full.length} characters exceeds CodePipeline's ${MAX_TOKEN_LENGTH}`,
  );
}

export function decodeContinuation(token: string): Continuation {
  let value: unknown;
  try {
    value = JSON.parse(token);
  } catch {
    throw new Error("continuation token is not JSON; it was not written by this deployer");
  }
  const continuation = value as Partial<Continuation> | null;
  if (continuation?.v !== 1 || typeof continuation.environment !== "string") {
    throw new Error("continuation token has an unknown format; it was not written by this deployer version");
  }
  return {
    v: 1,
    environment: continuation.environment,
    deployment: continuation.deployment,
    retries: continuation.retries ?? 0,
  };
}
