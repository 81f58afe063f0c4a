import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { type ConfigOf, loadConfig, nonEmpty } from "../../shared/config";
import { createDocumentClient } from "../../shared/dynamodb";
import { httpHandler, json } from "../../shared/http";
import { lazyHandler } from "../../shared/lambda-entry";
import {
  createObservability,
  loadObservabilityConfig,
  MetricUnit,
  type Observability,
} from "../../shared/observability";
import { DynamoDbUserRepository } from "../adapters/dynamodb-user-repository";
import { ScryptPasswordHasher } from "../domain/password-hasher";
import { createRegistrationService, type RegistrationService } from "../domain/registration";
import { registerRequestSchema } from "../register-schema";

export interface RegisterDependencies extends Observability {
  registration: RegistrationService;
}

/** POST /users */
export function createRegisterHandler({ registration, ...observability }: RegisterDependencies) {
  return httpHandler(observability, async (request) => {
    const { username, password } = request.body(registerRequestSchema);
    const user = await registration.register(username, password);
    observability.metrics.addMetric("UsersRegistered", MetricUnit.Count, 1);
    return json(201, user);
  });
}

/** The variables its template gives this function, and what it builds from them. */
export const registerEnvironment = { USERS_TABLE_NAME: nonEmpty };

export function createRegistrationServiceFromConfig(
  config: ConfigOf<typeof registerEnvironment>,
  dynamodb: DynamoDBDocumentClient = createDocumentClient(),
): RegistrationService {
  return createRegistrationService({
    users: new DynamoDbUserRepository(dynamodb, config.USERS_TABLE_NAME),
    hasher: new ScryptPasswordHasher(),
  });
}

export const handler = lazyHandler(() =>
  createRegisterHandler({
    registration: createRegistrationServiceFromConfig(loadConfig(registerEnvironment)),
    ...createObservability(loadObservabilityConfig()),
  }),
);
