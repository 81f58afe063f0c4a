import { type IncomingMessage, request as plainRequest } from "node:http";
import { request as tlsRequest } from "node:https";

/** The part of a `fetch` answer callers here read. */
export interface HttpAnswer {
  status: number;
  text(): Promise<string>;
}

export interface HttpRequestInit {
  method: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** `fetch`'s shape, narrowed to what Meridian's clients use, so tests can hand in a fake (or `fetch` itself). */
export type HttpFetch = (url: string, init: HttpRequestInit) => Promise<HttpAnswer>;

/**
 * One request over node:http(s), answered once the whole body is in. Not
 * `fetch`: Node's fetch is undici, loaded on the first call (about 20 ms of a
 * cold start), while the SDK clients already load node:http.
 */
export const httpRequest: HttpFetch = (url, init) => {
  const target = new URL(url);
  const send = target.protocol === "https:" ? tlsRequest : plainRequest;
  return new Promise<HttpAnswer>((resolve, reject) => {
    const request = send(
      target,
      {
        method: init.method,
        // A body goes with its length, as fetch sends it: not chunked, which some endpoints refuse.
        headers:
          init.body === undefined
            ? init.headers
            : { ...init.headers, "content-length": String(Buffer.byteLength(init.body)) },
        signal: init.signal,
      },
      (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          resolve({ status: response.statusCode ?? 0, text: () => Promise.resolve(body) });
        });
      },
    );
    request.on("error", reject);
    request.end(init.body);
  });
};
