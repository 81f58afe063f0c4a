import { httpHandler, json } from "../../shared/http";
import { userIdSchema } from "../schemas";
import { locations } from "../wiring";

// IAM-authorized: API Gateway has already checked the SigV4 signature and the
// resource policy (only the profile service's roles), so there is no token here.
export const handler = httpHandler(async (request) => {
  const userId = request.pathParam("userId", userIdSchema);
  return json(200, await locations.get(userId));
});
