/** The account, partition and host every local resource lives in. */

/** The account id of every local ARN. */
export const LOCAL_ACCOUNT_ID = "000000000000";

/** Everything local binds here: nothing is reachable from the network. */
export const LOCAL_HOST = "127.0.0.1";

export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}
