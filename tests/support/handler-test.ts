import type { APIGatewayProxyResult } from "aws-lambda";
import { lambdaContext } from "./proxy-event";

// HTTP handler tests take everything from here, the shared builder included,
// so each keeps one import.
export { type Handler, proxyEvent } from "./proxy-event";

export const context = lambdaContext("test");

export function parse(result: APIGatewayProxyResult): unknown {
  return result.body === "" ? undefined : JSON.parse(result.body);
}

/** Quiet Powertools and give the wiring what it reads at module scope. */
export function testEnv(extra: Record<string, string>): void {
  Object.assign(process.env, {
    POWERTOOLS_SERVICE_NAME: "test",
    POWERTOOLS_METRICS_NAMESPACE: "Meridian/test",
    POWERTOOLS_LOG_LEVEL: "SILENT",
    POWERTOOLS_METRICS_DISABLED: "true",
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "AKIDTEST",
    AWS_SECRET_ACCESS_KEY: "secret",
    ...extra,
  });
}
