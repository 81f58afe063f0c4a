import type { Context } from "aws-lambda";
import { bare, ok } from "./bare";

/** No AWS call at all: what Powertools' logger and metrics cost by themselves. */
export async function handler(_event: unknown, context: Context) {
  return bare(context, async () => ok(200, {}));
}
