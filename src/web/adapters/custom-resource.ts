import type { CloudFormationCustomResourceEvent } from "aws-lambda";

/**
 * CloudFormation's custom resource protocol: the answer is a PUT of a JSON
 * document to the event's pre-signed ResponseURL, never the function's return value.
 */
export interface CustomResourceResult {
  physicalResourceId: string;
  data?: Record<string, string>;
}

export type Send = (url: string, body: string) => Promise<void>;

export const sendResponse: Send = async (url, body) => {
  const response = await fetch(url, {
    method: "PUT",
    // The pre-signed URL is signed for an empty content type.
    headers: { "Content-Type": "", "Content-Length": String(Buffer.byteLength(body)) },
    body,
  });
  if (!response.ok) throw new Error(`CloudFormation's response URL answered ${response.status}`);
};

export function responseBody(
  event: CloudFormationCustomResourceEvent,
  outcome:
    | { ok: true; result: CustomResourceResult }
    | { ok: false; reason: string; physicalResourceId: string },
): string {
  return JSON.stringify({
    Status: outcome.ok ? "SUCCESS" : "FAILED",
    Reason: outcome.ok ? "" : outcome.reason.slice(0, 1000),
    PhysicalResourceId: outcome.ok ? outcome.result.physicalResourceId : outcome.physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    ...(outcome.ok && outcome.result.data ? { Data: outcome.result.data } : {}),
  });
}
