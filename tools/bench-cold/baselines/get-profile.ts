import { GetCommand } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import { bare, env, ok } from "./bare";
import { documentClient } from "./dynamodb";
import { callApi } from "./signed-request";

/** One GetItem, one catalog lookup and one signed GET to location: GetProfile with catalog discovery. */
export async function handler(_event: unknown, context: Context) {
  return bare(context, async () => {
    const { Item } = await documentClient.send(
      new GetCommand({
        TableName: env("PROFILES_TABLE_NAME"),
        Key: { userId: "bench" },
        ConsistentRead: true,
      }),
    );
    const lookup = await callApi("GET", `${env("CATALOG_API_URL")}/catalog/location/v1`, { signed: false });
    const { endpoint_url } = JSON.parse(lookup.body) as { endpoint_url: string };
    const location = await callApi("GET", `${endpoint_url}/locations/bench`, { signed: true });
    return ok(200, { ...Item, location: JSON.parse(location.body) });
  });
}
