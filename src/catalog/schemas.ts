import {
  endpointUrlSchema,
  serviceNameSchema,
  serviceStatusSchema,
  serviceVersionSchema,
  ttlSchema,
} from "../shared/catalog-client";
import * as z from "../shared/schema";

export const registerBody = z.strictObject({
  service_name: serviceNameSchema,
  service_version: serviceVersionSchema,
  endpoint_url: endpointUrlSchema,
  ttl: ttlSchema,
  status: serviceStatusSchema,
});

export const deregisterBody = z.strictObject({
  service_name: serviceNameSchema,
  service_version: serviceVersionSchema,
});

/** The event the lookup's request template builds from the path. */
export const lookupEvent = z.object({
  service_name: serviceNameSchema,
  service_version: serviceVersionSchema,
});
export type LookupEvent = z.infer<typeof lookupEvent>;
