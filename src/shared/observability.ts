import { Logger } from "@aws-lambda-powertools/logger";
import type { LogLevel } from "@aws-lambda-powertools/logger/types";
import { Metrics } from "@aws-lambda-powertools/metrics";

/**
 * The Powertools variables every function's template gives it (its service's
 * Globals; the deployer's in pipeline.yaml). A composition root reads them
 * once per execution environment and builds its Logger and Metrics from them,
 * so everything that logs or emits metrics is handed them like any other
 * dependency, and a test builds its own.
 */
export interface LoggerConfig {
  POWERTOOLS_SERVICE_NAME: string;
  // Passed on as is: Powertools checks it as it did when it read the variable itself (an unknown
  // level, or none, is INFO), and with JSON logs Lambda's ApplicationLogLevel wins over it anyway.
  POWERTOOLS_LOG_LEVEL?: string | undefined;
}

export interface ObservabilityConfig extends LoggerConfig {
  POWERTOOLS_METRICS_NAMESPACE: string;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === "") {
    throw new Error(`Invalid configuration: ${name}: required (every template sets it)`);
  }
  return value;
}

/**
 * Checked by hand rather than with loadConfig: a function whose only
 * configuration this is (web's SiteDeployer, the pipeline's deployer) then
 * loads no schema library at cold start. Missing or empty fails as loudly.
 */
export function loadLoggerConfig(env: NodeJS.ProcessEnv = process.env): LoggerConfig {
  return {
    POWERTOOLS_SERVICE_NAME: required(env, "POWERTOOLS_SERVICE_NAME"),
    POWERTOOLS_LOG_LEVEL: env.POWERTOOLS_LOG_LEVEL,
  };
}

export function loadObservabilityConfig(env: NodeJS.ProcessEnv = process.env): ObservabilityConfig {
  return {
    ...loadLoggerConfig(env),
    POWERTOOLS_METRICS_NAMESPACE: required(env, "POWERTOOLS_METRICS_NAMESPACE"),
  };
}

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
