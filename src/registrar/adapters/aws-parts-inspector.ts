import { type APIGatewayClient, GetRestApiCommand, GetStageCommand } from "@aws-sdk/client-api-gateway";
import { GetFunctionCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import type { Part, PartState, PartsInspector } from "../domain/ports";

function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

/**
 * Asks Lambda and API Gateway whether the parts exist. GetFunction (not
 * GetFunctionConfiguration) because `lambda:GetFunction` is the one action the
 * registrar's role is granted (with apigateway:GET on the API and its stage). Only the services' own "not found" errors mean
 * missing; anything else propagates, so a throttle never deregisters a service.
 */
export class AwsPartsInspector implements PartsInspector {
  constructor(
    private readonly lambda: LambdaClient,
    private readonly apiGateway: APIGatewayClient,
  ) {}

  async inspect(part: Part): Promise<PartState> {
    return part.kind === "function"
      ? this.inspectFunction(part.name)
      : this.inspectRestApi(part.id, part.stage);
  }

  private async inspectFunction(name: string): Promise<PartState> {
    try {
      const { Configuration } = await this.lambda.send(new GetFunctionCommand({ FunctionName: name }));
      return Configuration?.State === "Failed" ? "broken" : "present";
    } catch (error) {
      if (isNamed(error, "ResourceNotFoundException")) return "missing";
      throw error;
    }
  }

  /** An API without its stage answers no request (the stage is what has a URL): broken, not gone. */
  private async inspectRestApi(id: string, stage: string): Promise<PartState> {
    try {
      await this.apiGateway.send(new GetRestApiCommand({ restApiId: id }));
    } catch (error) {
      if (isNamed(error, "NotFoundException")) return "missing";
      throw error;
    }
    try {
      await this.apiGateway.send(new GetStageCommand({ restApiId: id, stageName: stage }));
      return "present";
    } catch (error) {
      if (isNamed(error, "NotFoundException")) return "broken";
      throw error;
    }
  }
}
