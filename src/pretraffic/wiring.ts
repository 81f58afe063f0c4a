import { CodeDeployClient } from "@aws-sdk/client-codedeploy";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { type ConfigOf, nonEmpty } from "../shared/config";
import { AwsHookPorts } from "./adapters/aws-hook-ports";
import type { HookPorts } from "./domain/ports";
import { parseSmokeRequests, type SmokeKind } from "./domain/smoke";

export const preTrafficEnvironment = {
  /** `{"<function name>": "api" | "authorizer" | "schedule"}` for every function of the service. */
  SMOKE_REQUESTS: nonEmpty,
};

export function createPreTrafficHookFromConfig(config: ConfigOf<typeof preTrafficEnvironment>): {
  ports: HookPorts;
  kinds: Map<string, SmokeKind>;
} {
  return {
    ports: new AwsHookPorts(new CodeDeployClient({}), new LambdaClient({})),
    kinds: parseSmokeRequests(config.SMOKE_REQUESTS),
  };
}
