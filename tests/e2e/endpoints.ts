import { GetParametersCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { type Endpoints, JOURNEY_SERVICES } from "./journey";

/** Where an environment publishes a service's base URL (each service template's ApiUrlParameter). */
function apiUrlParameter(environment: string, service: string): string {
  return `/meridian/${environment}/${service}/api/url`;
}

/**
 * The journey's base URLs, read from the environment's SSM parameters in one
 * call: the same names the services and the web stack resolve, so the suite
 * tests what is deployed, not what a config file says.
 */
export async function readEndpoints(ssm: Pick<SSMClient, "send">, environment: string): Promise<Endpoints> {
  const names = JOURNEY_SERVICES.map((service) => apiUrlParameter(environment, service));
  const { Parameters = [], InvalidParameters = [] } = await ssm.send(
    new GetParametersCommand({ Names: names }),
  );
  if (InvalidParameters.length > 0) {
    throw new Error(
      `SSM has no ${InvalidParameters.join(", ")}: is environment '${environment}' deployed (npm run deploy -- --env ${environment}) in this account and region?`,
    );
  }
  const values = new Map(Parameters.map((parameter) => [parameter.Name, parameter.Value]));
  const entries = JOURNEY_SERVICES.map((service) => {
    const value = values.get(apiUrlParameter(environment, service));
    if (!value || !/^https?:\/\//.test(value)) {
      throw new Error(`${apiUrlParameter(environment, service)} is '${value ?? ""}', not a URL`);
    }
    return [service, value] as const;
  });
  return Object.fromEntries(entries) as Endpoints;
}
