import type { RequestFacts, RequestParameters } from "../vtl";
import type { IntegrationRequest } from "./run";

/** The method request as a non-proxy integration sees it, from what the gateway has parsed. */
export function integrationRequest(parts: {
  facts: RequestFacts;
  pathParameters: Record<string, string>;
  rawQuery: string;
  rawHeaders: string[];
  body: Buffer;
  stageVariables: Record<string, string>;
}): IntegrationRequest {
  const header: Record<string, string> = {};
  for (let index = 0; index + 1 < parts.rawHeaders.length; index += 2) {
    header[parts.rawHeaders[index] ?? ""] = parts.rawHeaders[index + 1] ?? "";
  }
  const querystring: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(parts.rawQuery)) querystring[name] = value;
  const parameters: RequestParameters = { path: { ...parts.pathParameters }, querystring, header };
  const contentTypeHeader = Object.entries(header).find(
    ([name]) => name.toLowerCase() === "content-type",
  )?.[1];
  const contentType = (contentTypeHeader ?? "").split(";")[0]?.trim().toLowerCase() || "application/json";
  return {
    facts: parts.facts,
    parameters,
    body: parts.body.toString("utf8"),
    contentType,
    stageVariables: parts.stageVariables,
  };
}
