import type { IncomingMessage } from "node:http";
import { lowerCaseHeaders } from "../iam";
import { drain, type TargetRequest } from "./request";

/** A request the gateway refuses before any API sees it: 400 BAD_REQUEST with this message. */
export class BadRequest extends Error {}

/** Stage 1: the request target split into path, query and decoded segments; odd ones are refused. */
export function parseTarget(request: IncomingMessage, requestId: string): TargetRequest {
  const method = (request.method ?? "GET").toUpperCase();
  const rawUrl = request.url ?? "/";
  const queryAt = rawUrl.indexOf("?");
  const rawPath = queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt);
  const rawQuery = queryAt < 0 ? "" : rawUrl.slice(queryAt + 1);
  const refuse = (message: string): never => {
    drain(request);
    throw new BadRequest(message);
  };
  if (!rawPath.startsWith("/")) refuse("The request target must be a path starting with /");
  if (request.headers.host === undefined) refuse("The request has no Host header");
  const rawSegments = rawPath.split("/").slice(1);
  const segments = rawSegments.map((segment) => {
    let decoded = "";
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      refuse(`Malformed percent-encoding in path segment '${segment.slice(0, 100)}'`);
    }
    // Control characters have no business in a resource path; refuse them rather than hand them to handlers.
    if ([...decoded].some((char) => (char.codePointAt(0) ?? 32) < 32 || char === "\u007f")) {
      refuse("Control characters are not allowed in the path");
    }
    return decoded;
  });
  const headers = lowerCaseHeaders(request.rawHeaders);
  return { request, requestId, method, rawPath, rawQuery, rawSegments, segments, headers };
}
