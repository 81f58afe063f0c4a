import type { APIGatewayProxyResult } from "aws-lambda";
import { lambdaContext } from "./proxy-event";

/*
 * The one harness for handler tests. A handler is built with its module's
 * factory from its dependencies (the wiring's builders with a plain config
 * object, over SDK clients mocked with aws-sdk-client-mock), so no test sets
 * a function's variables or loads a module twice. What remains in the
 * environment is Powertools' own configuration: jest.config.js keeps logs
 * and metrics off, and `publishMetricsToConsole` turns metrics on where a
 * test reads them.
 */
export { type Handler, lambdaContext, proxyEvent } from "./proxy-event";

export const context = lambdaContext("test");

/** For signed clients under test: the SigV4 signature needs some credentials, never real ones. */
export const TEST_CREDENTIALS = async () => ({ accessKeyId: "AKIDTEST", secretAccessKey: "secret" });

export function parse(result: APIGatewayProxyResult): unknown {
  return result.body === "" ? undefined : JSON.parse(result.body);
}

export function parseBody(
  body: string,
): { error?: { code: string; message: string } } & Record<string, unknown> {
  return JSON.parse(body);
}

/**
 * Powertools reads its variables when src/shared/observability loads, so a
 * test that reads metrics calls this before it imports a handler module:
 * dev mode sends EMF through the global console, where captureMetrics reads it.
 */
export function publishMetricsToConsole(service: string): void {
  Object.assign(process.env, {
    POWERTOOLS_SERVICE_NAME: service,
    POWERTOOLS_METRICS_NAMESPACE: "Meridian/test",
    POWERTOOLS_LOG_LEVEL: "SILENT",
    POWERTOOLS_DEV: "true",
    POWERTOOLS_METRICS_DISABLED: "false",
  });
}

/** Captures EMF output; call in beforeEach. Returns the metric names published so far. */
export function captureMetrics(): () => string[] {
  const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
  jest.spyOn(console, "warn").mockImplementation(() => undefined);
  return () =>
    log.mock.calls.flatMap(([line]) => {
      if (typeof line !== "string" || !line.includes("_aws")) return [];
      const emf = JSON.parse(line) as {
        _aws: { CloudWatchMetrics: Array<{ Metrics: Array<{ Name: string }> }> };
      };
      return emf._aws.CloudWatchMetrics.flatMap((group) => group.Metrics.map((metric) => metric.Name));
    });
}
