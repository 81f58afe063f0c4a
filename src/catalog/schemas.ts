import * as z from "zod";
import {
  endpointUrlSchema,
  serviceNameSchema,
  serviceStatusSchema,
  serviceVersionSchema,
  ttlSchema,
} from "../shared/catalog-client";

export { serviceNameSchema, serviceVersionSchema } from "../shared/catalog-client";

export const registerBody = z
  .object({
    service_name: serviceNameSchema,
    service_version: serviceVersionSchema,
    endpoint_url: endpointUrlSchema,
    ttl: ttlSchema,
    status: serviceStatusSchema,
  })
  .strict();
export type RegisterBody = z.infer<typeof registerBody>;

export const deregisterBody = z
  .object({
    service_name: serviceNameSchema,
    service_version: serviceVersionSchema,
  })
  .strict();
export type DeregisterBody = z.infer<typeof deregisterBody>;
