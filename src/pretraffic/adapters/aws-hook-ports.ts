import {
  BatchGetDeploymentTargetsCommand,
  type CodeDeployClient,
  ListDeploymentTargetsCommand,
  PutLifecycleEventHookExecutionStatusCommand,
} from "@aws-sdk/client-codedeploy";
import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import type { DeploymentTarget, HookPorts, Invocation } from "../domain/ports";

export class AwsHookPorts implements HookPorts {
  constructor(
    private readonly codedeploy: CodeDeployClient,
    private readonly lambda: LambdaClient,
  ) {}

  async target(deploymentId: string): Promise<DeploymentTarget> {
    const listed = await this.codedeploy.send(new ListDeploymentTargetsCommand({ deploymentId }));
    const targetIds = listed.targetIds ?? [];
    if (targetIds.length !== 1) throw new Error(`expected one deployment target, got ${targetIds.length}`);
    const { deploymentTargets } = await this.codedeploy.send(
      new BatchGetDeploymentTargetsCommand({ deploymentId, targetIds }),
    );
    const info = deploymentTargets?.[0]?.lambdaTarget?.lambdaFunctionInfo;
    if (!info?.functionName || !info.targetVersion) throw new Error("the deployment has no Lambda target");
    return { functionName: info.functionName, targetVersion: info.targetVersion };
  }

  async invoke(functionName: string, version: string, event: unknown): Promise<Invocation> {
    const result = await this.lambda.send(
      new InvokeCommand({
        FunctionName: functionName,
        Qualifier: version,
        Payload: Buffer.from(JSON.stringify(event)),
      }),
    );
    const text = result.Payload ? Buffer.from(result.Payload).toString("utf8") : "null";
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      payload = text;
    }
    return { ...(result.FunctionError ? { functionError: result.FunctionError } : {}), payload };
  }

  async report(deploymentId: string, executionId: string, status: "Succeeded" | "Failed"): Promise<void> {
    await this.codedeploy.send(
      new PutLifecycleEventHookExecutionStatusCommand({
        deploymentId,
        lifecycleEventHookExecutionId: executionId,
        status,
      }),
    );
  }
}
