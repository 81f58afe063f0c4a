import { Logger } from "@aws-lambda-powertools/logger";
import type { LogLevel } from "@aws-lambda-powertools/logger/types";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { type ConfigOf, nonEmpty } from "./config";
import * as z from "./schema";

/**
 * The Powertools variables every function's template gives it (its service's
 * Globals; the deployer's in pipeline.yaml). A composition root validates
 * them with the rest of its config, once per execution environment, and
 * builds its Logger and Metrics from them, so everything that logs or emits
 * metrics is handed them like any other dependency and a test builds its own.
 */
export const loggerEnvironment = {
  POWERTOOLS_SERVICE_NAME: nonEmpty,
  // Passed on as is: Powertools checks it as it did when it read the variable itself (an unknown
  // level, or none, is INFO), and with JSON logs Lambda's ApplicationLogLevel wins over it anyway.
  POWERTOOLS_LOG_LEVEL: z.optional(z.string()),
};
export const observabilityEnvironment = { ...loggerEnvironment, POWERTOOLS_METRICS_NAMESPACE: nonEmpty };
export type LoggerConfig = ConfigOf<typeof loggerEnvironment>;
export type ObservabilityConfig = ConfigOf<typeof observabilityEnvironment>;

/** What a function that logs and emits metrics is given. */
export interface Observability {
  logger: Logger;
  metrics: Metrics;
}

export function createLogger(config: LoggerConfig): Logger {
  const level = config.POWERTOOLS_LOG_LEVEL as LogLevel | undefined;
  return new Logger({ serviceName: config.POWERTOOLS_SERVICE_NAME, ...(level ? { logLevel: level } : {}) });
}

/**
 * One Logger and one Metrics per execution environment. Metrics carry the
 * `service` dimension Powertools adds from the service name; the templates'
 * alarms on custom metrics use exactly that dimension. A fresh Metrics is a
 * fresh execution environment: its first captureColdStartMetric counts one.
 */
export function createObservability(config: ObservabilityConfig): Observability {
  return {
    logger: createLogger(config),
    metrics: new Metrics({
      namespace: config.POWERTOOLS_METRICS_NAMESPACE,
      serviceName: config.POWERTOOLS_SERVICE_NAME,
    }),
  };
}

export const CORRELATION_HEADER = "x-correlation-id";

/**
 * What an incoming correlation id may look like. It is echoed in a response
 * header and written to every log line, so an arbitrary caller-chosen value
 * (megabytes long, or with characters a header cannot carry) is replaced by
 * our own id instead.
 */
const CORRELATION_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export function isValidCorrelationId(value: string | undefined): value is string {
  return value !== undefined && CORRELATION_ID_PATTERN.test(value);
}

// A Lambda execution environment handles one request at a time, so one
// module-level slot is enough; httpHandler sets it for the request's duration.
let currentCorrelationId: string | undefined;

export function setCorrelationId(value: string | undefined): void {
  currentCorrelationId = value;
}

/**
 * Headers to send on a call to another Meridian service, so its logs carry
 * the same correlation id as ours (its httpHandler reads the header).
 */
export function correlationHeaders(id: string | undefined = currentCorrelationId): Record<string, string> {
  return id === undefined ? {} : { [CORRELATION_HEADER]: id };
}

export { MetricUnit } from "@aws-lambda-powertools/metrics";
export type { Logger, Metrics };

/** Publishing with nothing stored makes Powertools log a warning on every invocation. */
export function flushMetrics(metrics: Metrics): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}
