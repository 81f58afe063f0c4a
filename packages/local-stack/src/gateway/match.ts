import type { ApiDefinition, RouteDefinition } from "../template";
import {
  drain,
  gatewayReply,
  jsonReply,
  type Reply,
  type RoutedRequest,
  type TargetRequest,
} from "./request";
import type { RouteTable } from "./routes";

/** An API as the gateway serves it: at /<mount>, with its routes. */
export interface MountedApi {
  api: ApiDefinition;
  routes: RouteTable<RouteDefinition>;
}

export interface MountState {
  mounts: ReadonlyMap<string, MountedApi>;
  /** Until every service is deployed, unknown mounts answer "starting" rather than 404. */
  starting: boolean;
  isStopped(service: string): boolean;
}

/**
 * Stage 2 on the gateway's port: `/` is the index, `/<mount>/...` an API's
 * route (as the site's distribution serves it); anything else, a path
 * starting `//` included, names no API.
 */
export function matchRoute(target: TargetRequest, state: MountState): RoutedRequest | Reply {
  if (target.rawPath === "/") return index(target, state);
  const mountName = target.segments[0] ?? "";
  const mounted = state.mounts.get(mountName);
  if (!mounted) return unknownMount(target, state, mountName);
  return matchInApi(target, mounted, state);
}

/**
 * Stage 2 on an API's own port: `/<stage>/...`, as its execute-api host
 * answers. Any other first segment (`/` itself too) is a path no route
 * has, and API Gateway's answer to that is 403 Missing Authentication Token.
 */
export function matchStageRoute(
  target: TargetRequest,
  mount: string,
  state: MountState,
): RoutedRequest | Reply {
  const mounted = state.mounts.get(mount);
  if (!mounted) return unknownMount(target, state, mount);
  const stage = target.segments[0] ?? "";
  if (stage !== mounted.api.stage) {
    drain(target.request);
    return gatewayReply(
      { ...target, api: mounted.api },
      "MISSING_AUTHENTICATION_TOKEN",
      "Missing Authentication Token",
      `no stage '${stage.slice(0, 100)}' (this API's stage is ${mounted.api.stage})`,
    );
  }
  return matchInApi(target, mounted, state);
}

/** The route below the first segment (the mount or the stage) of `target`. */
function matchInApi(target: TargetRequest, mounted: MountedApi, state: MountState): RoutedRequest | Reply {
  const { api, routes } = mounted;
  if (state.isStopped(api.service)) {
    drain(target.request);
    return gatewayReply(
      { ...target, api },
      "SERVICE_UNAVAILABLE",
      `Service ${api.service} is unavailable`,
      "stopped with stopService()",
    );
  }
  // A trailing slash names the same resource (and `/<stage>` is the root resource).
  const below = target.segments.slice(1);
  const rawBelow = target.rawSegments.slice(1);
  if (below.length > 0 && below[below.length - 1] === "") {
    below.pop();
    rawBelow.pop();
  }
  const path = `/${rawBelow.join("/")}`;
  const match = routes.match(target.method, below);
  if (match.kind !== "found") {
    drain(target.request);
    if (target.method === "OPTIONS" && api.cors) {
      return { status: 200, headers: corsHeaders(api), body: "", detail: "CORS preflight" };
    }
    const detail =
      match.kind === "no-method"
        ? `no ${target.method} on ${match.resourcePath} (has ${match.methods.join(", ")})`
        : `no route matches ${target.method} ${path}`;
    return gatewayReply(
      { ...target, api },
      "MISSING_AUTHENTICATION_TOKEN",
      "Missing Authentication Token",
      detail,
    );
  }
  const route = match.value;
  return {
    ...target,
    api,
    route,
    routeName: `${route.method} ${route.path}`,
    path,
    proxyRoute: {
      resourcePath: match.resourcePath,
      pathParameters: match.params,
      apiId: api.apiId,
      stage: api.stage,
      binaryMediaTypes: api.binaryMediaTypes,
      stageVariables: api.stageVariables,
    },
  };
}

/** `GET /`: the services and their base URLs. */
function index(target: TargetRequest, state: MountState): Reply {
  drain(target.request);
  const services = Object.fromEntries(
    [...state.mounts.entries()].map(([name, mounted]) => [name, mounted.api.baseUrl]),
  );
  return { status: 200, headers: { "Content-Type": "application/json" }, body: JSON.stringify({ services }) };
}

function unknownMount(target: TargetRequest, state: MountState, mountName: string): Reply {
  drain(target.request);
  if (state.starting)
    return jsonReply(503, "STARTING", "The local stack is still starting", target.requestId);
  const known = [...state.mounts.keys()].map((name) => `/${name}`).join(", ");
  return jsonReply(
    404,
    "RESOURCE_NOT_FOUND",
    `No local API at /${mountName.slice(0, 100)}; known: ${known || "(none)"}`,
    target.requestId,
  );
}

function corsHeaders(api: ApiDefinition): Record<string, string> {
  const cors = api.cors;
  if (!cors) return {};
  return {
    "Access-Control-Allow-Origin": cors.allowOrigin,
    ...(cors.allowMethods ? { "Access-Control-Allow-Methods": cors.allowMethods } : {}),
    ...(cors.allowHeaders ? { "Access-Control-Allow-Headers": cors.allowHeaders } : {}),
    ...(cors.maxAge ? { "Access-Control-Max-Age": cors.maxAge } : {}),
    ...(cors.allowCredentials ? { "Access-Control-Allow-Credentials": "true" } : {}),
  };
}
