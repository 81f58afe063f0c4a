import type { Context } from "aws-lambda";
import { NotFoundError, ValidationError } from "./errors";
import { flushMetrics, type Observability } from "./observability";

/**
 * The edge of a function behind an API Gateway non-proxy Lambda integration (`type: aws`). API
 * Gateway builds its event with a request template and chooses the integration response by
 * matching a failed invocation's errorMessage against the template's selectionPatterns, so the
 * errors a caller may be told about are messages with a fixed prefix, one per pattern. Anything
 * else is logged here and fails as the bare INTERNAL_FAILURE: no internal detail (a DynamoDB
 * `ResourceNotFoundException` included) can match a pattern or reach a response.
 */

/** What a caller is told, as the prefix of errorMessage; each has its selectionPattern in the template. */
export type Refusal = "BadRequest" | "NotFound";

const REFUSALS: ReadonlyArray<{ kind: abstract new (...args: never[]) => Error; refusal: Refusal }> = [
  { kind: ValidationError, refusal: "BadRequest" },
  { kind: NotFoundError, refusal: "NotFound" },
];

const INTERNAL_FAILURE = "InternalFailure";

/** Lambda reports its name as errorType and its message as errorMessage. */
class IntegrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IntegrationError";
  }
}

/** The error a failed invocation ends with: `<Refusal>: <message>` or INTERNAL_FAILURE. */
function integrationError(error: unknown): { error: IntegrationError; refusal?: Refusal } {
  const match = REFUSALS.find(({ kind }) => error instanceof kind);
  if (!match) return { error: new IntegrationError(INTERNAL_FAILURE) };
  // One line: API Gateway's selectionPattern `.` does not match a line break.
  const message = (error as Error).message.replace(/\s+/g, " ");
  return { error: new IntegrationError(`${match.refusal}: ${message}`), refusal: match.refusal };
}

export interface IntegrationRoute<Event, Result> {
  /** Validates the event the request template built; throws a ValidationError when it is not one. */
  parse(event: unknown): Event;
  handle(event: Event): Promise<Result>;
  /** Called for each refusal before metrics are flushed (a refusal still counts as a Lambda error). */
  refused?(refusal: Refusal): void;
}

/** Cold-start metric, Lambda context in logs, metric flushing and the errorMessage contract. */
export function integrationHandler<Event, Result>(
  { logger, metrics }: Observability,
  route: IntegrationRoute<Event, Result>,
) {
  return async (event: unknown, context: Context): Promise<Result> => {
    logger.addContext(context);
    metrics.captureColdStartMetric();
    try {
      return await route.handle(route.parse(event));
    } catch (caught) {
      const { error, refusal } = integrationError(caught);
      if (refusal) {
        route.refused?.(refusal);
        logger.info("Request refused", { refusal });
      } else {
        logger.error("Unhandled error", caught as Error);
      }
      throw error;
    } finally {
      flushMetrics(metrics);
    }
  };
}
