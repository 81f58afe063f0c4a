import type { Context, ScheduledEvent } from "aws-lambda";
import { loadConfig } from "../shared/config";
import { lazyHandler } from "../shared/lambda-entry";
import {
  createObservability,
  flushMetrics,
  loadObservabilityConfig,
  MetricUnit,
  type Observability,
} from "../shared/observability";
import { type Outcome, type Registrar, sameOutcome } from "./domain/registrar";
import { createRegistrarFromConfig, registrarEnvironment } from "./wiring";

export interface RegistrarHandlerDependencies extends Observability {
  registrar: Registrar;
}

/**
 * Runs on a schedule. A failed check or catalog call is rethrown: the
 * function's Errors alarm is how a stuck registration gets noticed, and the
 * next scheduled run retries anyway.
 */
export function createRegistrarHandler({ registrar, logger, metrics }: RegistrarHandlerDependencies) {
  /** This environment's last outcome: a run that changes nothing logs at DEBUG, not every cycle at INFO. */
  let previous: Outcome | undefined;
  return async (_event: ScheduledEvent, context: Context): Promise<Outcome> => {
    logger.addContext(context);
    metrics.captureColdStartMetric();
    try {
      const outcome = await registrar.run();
      const metric =
        outcome.action === "deregistered"
          ? "ServiceDeregistered"
          : outcome.status === "healthy"
            ? "ServiceHealthy"
            : "ServiceUnhealthy";
      metrics.addMetric(metric, MetricUnit.Count, 1);
      const healthy = outcome.action === "registered" && outcome.status === "healthy";
      const log = sameOutcome(previous, outcome) ? logger.debug : healthy ? logger.info : logger.warn;
      log.call(logger, "Registrar run completed", { ...outcome });
      previous = outcome;
      return outcome;
    } catch (error) {
      logger.error("Registrar run failed", error as Error);
      throw error;
    } finally {
      flushMetrics(metrics);
    }
  };
}

export const handler = lazyHandler(() =>
  createRegistrarHandler({
    registrar: createRegistrarFromConfig(loadConfig(registrarEnvironment)),
    ...createObservability(loadObservabilityConfig()),
  }),
);
