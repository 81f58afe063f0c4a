import * as z from "zod";
import { loadConfig, nonEmpty, positiveInt } from "../shared/config";
import { documentClient } from "../shared/dynamodb";
import { createSignedHttpClient } from "../shared/signed-http";
import { DynamoProfileStore } from "./adapters/dynamo-profile-store";
import { SignedLocationReader } from "./adapters/signed-location-reader";
import {
  createProfileReader,
  createProfileWriter,
  type ProfileReader,
  type ProfileWriter,
} from "./domain/profile";

/*
 * Each handler builds what it uses at its own module scope, so a function is
 * configured with (and fails fast on) only its own variables: the PUT function
 * has no business knowing where the location service is.
 */

function profileStore(env: NodeJS.ProcessEnv): DynamoProfileStore {
  const config = loadConfig({ PROFILES_TABLE_NAME: nonEmpty }, env);
  return new DynamoProfileStore(documentClient, config.PROFILES_TABLE_NAME);
}

export function buildProfileWriter(env: NodeJS.ProcessEnv = process.env): ProfileWriter {
  return createProfileWriter({ store: profileStore(env) });
}

export function buildProfileReader(env: NodeJS.ProcessEnv = process.env): ProfileReader {
  const config = loadConfig(
    {
      LOCATION_API_URL: z.url({ protocol: /^https?$/ }),
      LOCATION_TIMEOUT_MS: positiveInt.default(1500),
      AWS_REGION: nonEmpty,
    },
    env,
  );
  const client = createSignedHttpClient({
    region: config.AWS_REGION,
    service: "execute-api",
    defaultTimeoutMs: config.LOCATION_TIMEOUT_MS,
  });
  return createProfileReader({
    store: profileStore(env),
    locations: new SignedLocationReader(client, config.LOCATION_API_URL, config.LOCATION_TIMEOUT_MS),
  });
}
