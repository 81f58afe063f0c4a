import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/**
 * The document client a function's wiring hands its DynamoDB adapters, built
 * once per execution environment by the functions that use DynamoDB and by
 * no other. The endpoint comes from the standard AWS_ENDPOINT_URL_DYNAMODB
 * variable when set (the local stack), so there is no local-mode branch here.
 */
export function createDocumentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

export function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof Error && error.name === "ConditionalCheckFailedException";
}
