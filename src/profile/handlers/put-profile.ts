import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { type ConfigOf, loadConfig, nonEmpty } from "../../shared/config";
import { createDocumentClient } from "../../shared/dynamodb";
import { httpHandler, json, requireOwner } from "../../shared/http";
import { lazyHandler } from "../../shared/lambda-entry";
import { createObservability, loadObservabilityConfig, type Observability } from "../../shared/observability";
import { DynamoDbProfileStore } from "../adapters/dynamodb-profile-store";
import { createProfileWriter, type ProfileWriter } from "../domain/profile";
import { etag, parseIfMatch, putProfileBody, userIdSchema } from "../schemas";

export interface PutProfileDependencies extends Observability {
  profiles: ProfileWriter;
}

export function createPutProfileHandler({ profiles, ...observability }: PutProfileDependencies) {
  return httpHandler(observability, async (request) => {
    const userId = request.pathParam("userId", userIdSchema);
    const principal = request.principal();
    requireOwner(principal, userId);
    const expectedVersion = parseIfMatch(request.header("if-match"));
    const { displayName, bio } = request.body(putProfileBody);
    const profile = await profiles.save({
      userId,
      username: principal.username,
      displayName,
      bio,
      expectedVersion,
    });
    return json(200, profile, { ETag: etag(profile.version) });
  });
}

/** The variables its template gives this function, and what it builds from them: no location, no catalog. */
export const profileWriterEnvironment = { PROFILES_TABLE_NAME: nonEmpty };

export function createProfileWriterFromConfig(
  config: ConfigOf<typeof profileWriterEnvironment>,
  dynamodb: DynamoDBDocumentClient = createDocumentClient(),
): ProfileWriter {
  return createProfileWriter({ store: new DynamoDbProfileStore(dynamodb, config.PROFILES_TABLE_NAME) });
}

export const handler = lazyHandler(() =>
  createPutProfileHandler({
    profiles: createProfileWriterFromConfig(loadConfig(profileWriterEnvironment)),
    ...createObservability(loadObservabilityConfig()),
  }),
);
