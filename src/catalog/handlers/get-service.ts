import { loadConfig, nonEmpty } from "../../shared/config";
import { NotFoundError, ValidationError } from "../../shared/errors";
import { integrationHandler } from "../../shared/integration";
import { lazyHandler } from "../../shared/lambda-entry";
import {
  createObservability,
  loadObservabilityConfig,
  MetricUnit,
  type Observability,
} from "../../shared/observability";
import type { Catalog } from "../domain/catalog";
import { type LookupEvent, lookupEvent } from "../schemas";
import { catalogEnvironment, createCatalogFromConfig } from "../wiring";

/*
 * Public lookup behind a non-proxy integration, as the discovery design defines it: the request
 * template (src/catalog/template.yaml, CatalogApi's DefinitionBody) builds
 * {service_name, service_version} from the path; the result is the 200 body as is. A miss fails
 * with "NotFound: ...", which the integration response turns into the legacy 404 body; a
 * malformed name with "BadRequest: ...", the shared 400.
 */

function parseLookup(event: unknown): LookupEvent {
  const result = lookupEvent.safeParse(event);
  if (result.success) return result.data;
  const [issue] = result.error.issues;
  const field = issue?.path[0];
  throw new ValidationError(
    field === undefined
      ? "The lookup needs service_name and service_version"
      : `Path parameter '${String(field)}': ${issue?.message ?? "invalid"}`,
  );
}

/** Lambda sets AWS_LAMBDA_FUNCTION_VERSION: the version this environment runs, which the rollback alarm watches. */
const getServiceEnvironment = { ...catalogEnvironment, AWS_LAMBDA_FUNCTION_VERSION: nonEmpty };

export interface GetServiceDependencies extends Observability {
  catalog: Catalog;
  functionVersion: string;
}

export function createGetServiceHandler({
  catalog,
  functionVersion,
  ...observability
}: GetServiceDependencies) {
  const { metrics } = observability;
  return integrationHandler(observability, {
    parse: parseLookup,
    async handle(key) {
      const found = await catalog.lookup(key);
      if (found) return found;
      throw new NotFoundError(
        `Service '${key.service_name}' version '${key.service_version}' is not registered`,
      );
    },
    // A miss or a malformed name is an answer, yet Lambda counts it in Errors: the Errors alarms
    // subtract these, all versions' for the function's alarm, each version's for its rollback.
    refused() {
      metrics.addMetric("LookupRefused", MetricUnit.Count, 1);
      const byVersion = metrics.singleMetric();
      byVersion.addDimension("ExecutedVersion", functionVersion);
      byVersion.addMetric("LookupRefused", MetricUnit.Count, 1);
    },
  });
}

export const handler = lazyHandler(() => {
  const config = loadConfig(getServiceEnvironment);
  return createGetServiceHandler({
    catalog: createCatalogFromConfig(config),
    functionVersion: config.AWS_LAMBDA_FUNCTION_VERSION,
    ...createObservability(loadObservabilityConfig()),
  });
});
