import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Context } from "aws-lambda";

/*
 * What every baseline shares with every function: Powertools' logger and
 * metrics, one log line and one metric per invocation. The baselines are the
 * floor a function is compared with: the same AWS calls, through the same SDK
 * clients, with nothing else.
 */
export const logger = new Logger();
export const metrics = new Metrics();

export async function bare<T>(context: Context, work: () => Promise<T>): Promise<T> {
  logger.addContext(context);
  metrics.captureColdStartMetric();
  const result = await work();
  metrics.addMetric("BaselineDone", MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
  logger.info("Baseline done");
  return result;
}

export function env(name: string): string {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
}

export const ok = (statusCode: number, body: unknown) => ({ statusCode, body: JSON.stringify(body) });
