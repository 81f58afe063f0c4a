import { SERVICE_NOT_FOUND_BODY } from "../../shared/catalog-client";
import { loadConfig } from "../../shared/config";
import { httpHandler, json } from "../../shared/http";
import { lazyHandler } from "../../shared/lambda-entry";
import { serviceNameSchema, serviceVersionSchema } from "../schemas";
import { type CatalogDependencies, catalogEnvironment, createCatalogDependenciesFromConfig } from "../wiring";

// Public lookup. A miss answers in the legacy shape existing discovery clients
// parse; malformed names still get the shared 400, as they are caller bugs.
export function createGetServiceHandler({ catalog }: Pick<CatalogDependencies, "catalog">) {
  return httpHandler(async (request) => {
    const service_name = request.pathParam("service_name", serviceNameSchema);
    const service_version = request.pathParam("service_version", serviceVersionSchema);
    const found = await catalog.lookup({ service_name, service_version });
    if (!found) return json(404, SERVICE_NOT_FOUND_BODY);
    return json(200, found);
  });
}

export const handler = lazyHandler(() =>
  createGetServiceHandler(createCatalogDependenciesFromConfig(loadConfig(catalogEnvironment))),
);
