import { httpHandler, json, requireOwner } from "../../shared/http";
import { etag, parseIfMatch, putProfileBody, userIdSchema } from "../schemas";
import { buildProfileWriter } from "../wiring";

const profiles = buildProfileWriter();

export const handler = httpHandler(async (request) => {
  const userId = request.pathParam("userId", userIdSchema);
  requireOwner(request.principal(), userId);
  const expectedVersion = parseIfMatch(request.header("if-match"));
  const { displayName, bio } = request.body(putProfileBody);
  const profile = await profiles.save({ userId, displayName, bio, expectedVersion });
  return json(200, profile, { ETag: etag(profile.version) });
});
