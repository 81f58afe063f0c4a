/** What the pre-traffic hook needs from CodeDeploy and Lambda (adapters/aws-hook-ports.ts). */

export interface Invocation {
  /** Lambda's FunctionError: "Unhandled" when the function threw. */
  functionError?: string;
  payload: unknown;
}

/** The Lambda function and version a CodeDeploy deployment is shifting traffic to. */
export interface DeploymentTarget {
  functionName: string;
  targetVersion: string;
}

export interface HookPorts {
  target(deploymentId: string): Promise<DeploymentTarget>;
  invoke(functionName: string, version: string, event: unknown): Promise<Invocation>;
  report(deploymentId: string, executionId: string, status: "Succeeded" | "Failed"): Promise<void>;
}
