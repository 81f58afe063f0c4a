import { CodeDeployClient } from "@aws-sdk/client-codedeploy";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { type ConfigOf, nonEmpty } from "../shared/config";
import { AwsHookPorts } from "./adapters/aws-hook-ports";
import { createPreTrafficHook, type PreTrafficHook } from "./domain/hook";
import { parseSmokeRequests } from "./domain/smoke";

export const preTrafficEnvironment = {
  /** `{"<function name>": "api" | "authorizer" | "schedule"}` for every function of the service. */
  SMOKE_REQUESTS: nonEmpty,
};

export interface PreTrafficClients {
  codedeploy: CodeDeployClient;
  lambda: LambdaClient;
}

export function createPreTrafficHookFromConfig(
  config: ConfigOf<typeof preTrafficEnvironment>,
  clients: PreTrafficClients = { codedeploy: new CodeDeployClient({}), lambda: new LambdaClient({}) },
): PreTrafficHook {
  return createPreTrafficHook({
    ports: new AwsHookPorts(clients.codedeploy, clients.lambda),
    kinds: parseSmokeRequests(config.SMOKE_REQUESTS),
  });
}
