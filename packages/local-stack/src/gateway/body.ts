import { LOCAL_HOST } from "../constants";
import { readBody } from "../support";
import { methodArn } from "./authorizer";
import { gatewayReply, type LoadedRequest, type Reply, type RoutedRequest } from "./request";

const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface BodyOptions {
  region: string;
  accountId: string;
  /** The gateway's own port: the Host a request without one is taken to have named. */
  port: number;
  maxBodyBytes?: number;
}

/** Stage 3: the body (at most 10 MB, as API Gateway), and what the later stages derive from the request. */
export async function loadBody(routed: RoutedRequest, options: BodyOptions): Promise<LoadedRequest | Reply> {
  const { request, api, method, path } = routed;
  const body = await readBody(request, options.maxBodyBytes ?? MAX_BODY_BYTES);
  if (body === "too-large") {
    return gatewayReply(routed, "REQUEST_TOO_LARGE", "Request Too Long", "body over the 10 MB limit", {
      Connection: "close",
    });
  }
  const sourceIp = request.socket.remoteAddress?.replace(/^::ffff:/, "") ?? LOCAL_HOST;
  return {
    ...routed,
    body,
    sourceIp,
    methodArn: methodArn(options.region, options.accountId, api.apiId, api.stage, method, path),
    now: new Date(),
    proxyRequest: {
      method,
      path,
      rawQuery: routed.rawQuery,
      rawHeaders: request.rawHeaders,
      body,
      sourceIp,
      host: request.headers.host ?? `${LOCAL_HOST}:${options.port}`,
    },
  };
}
