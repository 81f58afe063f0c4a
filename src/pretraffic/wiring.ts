import { CodeDeployClient } from "@aws-sdk/client-codedeploy";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { loadConfig, nonEmpty } from "../shared/config";
import { AwsHookPorts } from "./adapters/aws-hook-ports";
import type { HookPorts } from "./domain/hook";
import { parseSmokeRequests, type SmokeKind } from "./domain/smoke";

export const preTrafficEnvironment = {
  /** `{"<function name>": "api" | "authorizer" | "schedule"}` for every function of the service. */
  SMOKE_REQUESTS: nonEmpty,
};

export function buildPreTrafficHook(env: NodeJS.ProcessEnv = process.env): {
  ports: HookPorts;
  kinds: Map<string, SmokeKind>;
} {
  const config = loadConfig(preTrafficEnvironment, env);
  return {
    ports: new AwsHookPorts(new CodeDeployClient({}), new LambdaClient({})),
    kinds: parseSmokeRequests(config.SMOKE_REQUESTS),
  };
}
