import { SERVICE_NOT_FOUND_BODY } from "../../shared/catalog-client";
import { httpHandler, json } from "../../shared/http";
import { serviceNameSchema, serviceVersionSchema } from "../schemas";
import { catalog } from "../wiring";

// Public lookup. A miss answers in the legacy shape existing discovery clients
// parse; malformed names still get the shared 400, as they are caller bugs.
export const handler = httpHandler(async (request) => {
  const service_name = request.pathParam("service_name", serviceNameSchema);
  const service_version = request.pathParam("service_version", serviceVersionSchema);
  const found = await catalog.lookup({ service_name, service_version });
  if (!found) return json(404, SERVICE_NOT_FOUND_BODY);
  return json(200, found);
});
