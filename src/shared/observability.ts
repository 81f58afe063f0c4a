import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";

/**
 * One Logger and one Metrics per function, created at module scope. Service
 * name, namespace and level come from POWERTOOLS_* variables set by the
 * templates, so code never hardcodes them.
 */
export const logger = new Logger();
export const metrics = new Metrics();

export const CORRELATION_HEADER = "x-correlation-id";

export { MetricUnit } from "@aws-lambda-powertools/metrics";
