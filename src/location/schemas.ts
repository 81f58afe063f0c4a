import * as z from "../shared/schema";

export { userIdSchema } from "../shared/ids";

/**
 * Only the shape is checked here; the range rules live in the domain so they
 * hold for every caller, not just the HTTP one.
 */
export const putLocationBody = z.strictObject({
  latitude: z.number(),
  longitude: z.number(),
});
