import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { createGetServiceHandler } from "../../../src/catalog/handlers/get-service";
import { catalogEnvironment, createCatalogFromConfig } from "../../../src/catalog/wiring";
import { loadConfig } from "../../../src/shared/config";
import {
  type CapturedOutput,
  captureOutput,
  lambdaContext,
  testObservability,
} from "../../support/handler-test";

/*
 * A lookup miss and a malformed name end the invocation with an error (what a non-proxy
 * integration selects on), so Lambda counts them in Errors; the function counts them as
 * LookupRefused, for all versions and for its own version, which the Errors alarms subtract.
 */

const dynamo = mockClient(DynamoDBDocumentClient);
const handler = createGetServiceHandler({
  catalog: createCatalogFromConfig(
    loadConfig(catalogEnvironment, { CATALOG_TABLE_NAME: "Services", REGISTRATION_EXPIRY_SECONDS: "900" }),
  ),
  functionVersion: "7",
  ...testObservability("catalog"),
});

/** Each LookupRefused data point published: its dimensions and their values. */
function refusals(output: CapturedOutput): Array<Record<string, unknown>> {
  return output
    .emf()
    .flatMap((emf) =>
      emf._aws.CloudWatchMetrics.filter((group) =>
        group.Metrics.some((metric) => metric.Name === "LookupRefused"),
      ).map((group) => Object.fromEntries((group.Dimensions[0] ?? []).map((name) => [name, emf[name]]))),
    );
}

describe("LookupRefused", () => {
  const output = captureOutput();
  beforeEach(() => dynamo.reset());

  const lookup = (event: unknown) =>
    handler(event, lambdaContext("get-service")).then(
      () => "answered",
      (error: Error) => error.message.split(":")[0],
    );

  test("a miss and a malformed name count once per service and once for the version that ran", async () => {
    dynamo.on(GetCommand).resolves({});
    expect(await lookup({ service_name: "nobody", service_version: "v1" })).toBe("NotFound");
    expect(await lookup({ service_name: "Bad Name", service_version: "v1" })).toBe("BadRequest");
    expect(refusals(output)).toEqual([
      { service: "catalog", ExecutedVersion: "7" },
      { service: "catalog" },
      { service: "catalog", ExecutedVersion: "7" },
      { service: "catalog" },
    ]);
  });

  test("a found service and a failing store are not refusals", async () => {
    dynamo
      .on(GetCommand)
      .resolvesOnce({
        Item: {
          name: "location",
          version: "v1",
          endpoint_url: "https://x.example.com/dev",
          ttl: 300,
          status: "healthy",
          updated_at: new Date().toISOString(),
        },
      })
      .rejects(new Error("throttled"));
    expect(await lookup({ service_name: "location", service_version: "v1" })).toBe("answered");
    expect(await lookup({ service_name: "location", service_version: "v1" })).toBe("InternalFailure");
    expect(refusals(output)).toEqual([]);
  });
});
