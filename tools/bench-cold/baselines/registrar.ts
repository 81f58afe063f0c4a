import { APIGatewayClient, GetRestApiCommand, GetStageCommand } from "@aws-sdk/client-api-gateway";
import { GetFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import type { Context } from "aws-lambda";
import { bare, env } from "./bare";
import { callApi } from "./signed-request";

const lambda = new LambdaClient({});
const apiGateway = new APIGatewayClient({});

/** GetFunction per function, GetRestApi and GetStage, and one signed POST to the catalog: a registrar. */
export async function handler(_event: unknown, context: Context) {
  return bare(context, async () => {
    const restApiId = env("REST_API_ID");
    await Promise.all([
      ...env("FUNCTION_NAMES")
        .split(",")
        .map((name) => lambda.send(new GetFunctionCommand({ FunctionName: name }))),
      apiGateway
        .send(new GetRestApiCommand({ restApiId }))
        .then(() => apiGateway.send(new GetStageCommand({ restApiId, stageName: env("REST_API_STAGE") }))),
    ]);
    await callApi("POST", `${env("CATALOG_API_URL")}/catalog/register`, {
      signed: true,
      body: { service_name: env("SERVICE_NAME"), status: "healthy" },
    });
    return { action: "registered", status: "healthy" };
  });
}
