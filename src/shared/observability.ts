import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";

/**
 * One Logger and one Metrics per function, created at module scope. Service
 * name, namespace and level come from POWERTOOLS_* variables set by the
 * templates, so code never hardcodes them. Metrics carry the `service`
 * dimension Powertools adds by default; the templates' alarms on custom
 * metrics use exactly that dimension.
 */
export const logger = new Logger();
export const metrics = new Metrics();

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

/** Publishing with nothing stored makes Powertools log a warning on every invocation. */
export function flushMetrics(): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}
