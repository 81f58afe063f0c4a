import { type CodeDeployClient, GetDeploymentCommand } from "@aws-sdk/client-codedeploy";
import type { FailureExplainer, StackFailure } from "./stack-deployer";

/**
 * A gradual deployment that CodeDeploy stopped (an alarm fired, or the
 * pre-traffic hook reported Failed) reaches CloudFormation as a failed
 * `AWS::Lambda::Alias` update that names only the deployment. CodeDeploy
 * knows why: the alarms that fired. This turns the alias failure into that.
 */
const DEPLOYMENT_ID = /\bd-[A-Z0-9]{9}\b/;
const ACTIVATED_ALARMS = /Activated alarms?:\s*(.+?)\.?\s*$/i;

function deploymentIdIn(reason: string): string | undefined {
  return DEPLOYMENT_ID.exec(reason)?.[0];
}

/** `meridian-prod-auth-LoginFunction-NewVersionErrors` from CodeDeploy's "... Activated alarms: <names>". */
export function activatedAlarms(message: string): string[] {
  const names = ACTIVATED_ALARMS.exec(message)?.[1];
  if (!names) return [];
  return names
    .split(/,\s*/)
    .map((name) => name.replace(/^<|>$/g, "").trim())
    .filter(Boolean);
}

export function codeDeployExplainer(codedeploy: CodeDeployClient): FailureExplainer {
  return async (failure: StackFailure): Promise<StackFailure> => {
    if (failure.resourceType !== "AWS::Lambda::Alias") return failure;
    const deploymentId = deploymentIdIn(failure.reason);
    if (!deploymentId) return failure;
    try {
      const { deploymentInfo } = await codedeploy.send(new GetDeploymentCommand({ deploymentId }));
      const error = deploymentInfo?.errorInformation;
      if (!error?.message) return failure;
      const alarms = activatedAlarms(error.message);
      const rolledBack = deploymentInfo?.status === "Stopped" || deploymentInfo?.status === "Failed";
      const cause =
        alarms.length > 0 ? `alarm ${alarms.join(", ")} fired` : `${error.code ?? "error"}: ${error.message}`;
      return {
        ...failure,
        reason: `CodeDeploy ${rolledBack ? "rolled back" : "stopped"} ${deploymentId}: ${cause} (CloudFormation: ${failure.reason})`,
      };
    } catch {
      // The stack's own reason still stands; a missing permission must not hide it.
      return failure;
    }
  };
}
