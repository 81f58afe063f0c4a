import type { HookPorts } from "./ports";
import { judge, type SmokeKind, smokeEvent, type Verdict } from "./smoke";

export interface HookOutcome extends Verdict {
  functionName?: string;
  version?: string;
}

export interface PreTrafficHookDependencies {
  ports: HookPorts;
  /** The smoke request each of the service's functions gets, by function name. */
  kinds: ReadonlyMap<string, SmokeKind>;
}

export interface PreTrafficHook {
  run(deploymentId: string, executionId: string): Promise<HookOutcome>;
}

/**
 * A PreTraffic hook: smoke-test the version CodeDeploy is about to shift
 * traffic to and report the verdict, so a broken version never gets any.
 * Anything that goes wrong (an unknown function, a failed lookup) is Failed:
 * an unverified version is not let through.
 */
export function createPreTrafficHook({ ports, kinds }: PreTrafficHookDependencies): PreTrafficHook {
  return {
    async run(deploymentId, executionId) {
      let outcome: HookOutcome;
      try {
        const { functionName, targetVersion } = await ports.target(deploymentId);
        const kind = kinds.get(functionName);
        if (!kind) {
          outcome = { healthy: false, detail: `no smoke request for ${functionName}`, functionName };
        } else {
          const invocation = await ports.invoke(functionName, targetVersion, smokeEvent(kind));
          outcome = { ...judge(kind, invocation), functionName, version: targetVersion };
        }
      } catch (error) {
        outcome = { healthy: false, detail: `could not smoke-test: ${(error as Error).message}` };
      }
      await ports.report(deploymentId, executionId, outcome.healthy ? "Succeeded" : "Failed");
      return outcome;
    },
  };
}
