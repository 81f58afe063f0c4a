import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { LOCAL_HOST } from "../constants";
import {
  accessDeniedMessage,
  type CallerLookup,
  createSigV4Verifier,
  evaluateIdentityPolicy,
  evaluateResourcePolicy,
  type IdentityDecision,
  identityDeniedMessage,
  lowerCaseHeaders,
  maskAccount,
  type PolicyCaller,
  policyCaller,
  type ReceivedRequest,
  type ResourcePolicyDecision,
  type VerifyResult,
} from "../iam";
import type { FunctionRuntime } from "../runtime";
import type { LogLevel, LogSink } from "../support";
import { ClientGone, closeServer, listen, readBody } from "../support";
import type { ApiDefinition, RouteDefinition, StaticSite } from "../template";
import { buildProxyEvent, type ProxyIdentity, proxyIdentity, readProxyResult } from "./api-event";
import { LambdaAuthorizers, methodArn } from "./authorizer";
import { type GatewayResponseType, type RenderedResponse, renderGatewayResponse } from "./responses";
import { RouteTable } from "./routes";
import { staticAnswer } from "./static-site";

/**
 * The HTTP gateway: every service's API mounted at /<service>, routes from
 * the templates' function events, API Gateway's authorization (resource
 * policies, Lambda authorizers, AWS_IAM with SigV4), its proxy event and
 * result handling, and its own error responses. Nothing a request does can
 * take the gateway down.
 */

export const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** API Gateway's integration timeout. */
export const INTEGRATION_TIMEOUT_MS = 29_000;
const INVOKE = "execute-api:Invoke";

export interface FunctionRegistry {
  byId(id: string): FunctionRuntime | undefined;
  byArn(arn: string): FunctionRuntime | undefined;
}

export interface GatewayOptions {
  port: number;
  region: string;
  accountId: string;
  /** The keys AWS_IAM routes accept. */
  callers: CallerLookup;
  functions: FunctionRegistry;
  log: LogSink;
  maxBodyBytes?: number;
  /** The stack owns which services are stopped; the gateway answers 503 for them. */
  isStopped(service: string): boolean;
}

interface Mounted {
  api: ApiDefinition;
  routes: RouteTable<RouteDefinition>;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer | string;
  /** Why the gateway answered this itself; shown in the access log. */
  detail?: string;
  route?: string;
}

class BadRequest extends Error {}

/** The client disconnected before its request was read; there is no one to answer. */

export class Gateway {
  readonly url: string;
  private readonly mounts = new Map<string, Mounted>();
  private site: StaticSite | undefined;
  private readonly authorizers: LambdaAuthorizers;
  private readonly verifySigV4: (request: ReceivedRequest) => Promise<VerifyResult>;
  private starting = true;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly options: GatewayOptions,
  ) {
    this.url = `http://${LOCAL_HOST}:${port}`;
    this.authorizers = new LambdaAuthorizers(async (arn, event) =>
      options.functions.byArn(arn)?.invoke(event),
    );
    this.verifySigV4 = createSigV4Verifier({
      credentials: (accessKeyId) => options.callers.byAccessKey(accessKeyId)?.credentials,
      region: options.region,
    });
  }

  static async start(options: GatewayOptions): Promise<Gateway> {
    let gateway: Gateway | undefined;
    const server = createServer((request, response) => {
      if (!gateway) {
        response.writeHead(503).end();
        return;
      }
      gateway.handle(request, response);
    });
    // Malformed requests never reach the handler; answer them in JSON too.
    server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
      if (!socket.writable) return socket.destroy();
      const status = error.code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
      const body = JSON.stringify({
        error: { code: "BAD_REQUEST", message: `Malformed HTTP request (${error.code ?? "parse error"})` },
      });
      socket.end(
        `HTTP/1.1 ${status} ${status === 431 ? "Request Header Fields Too Large" : "Bad Request"}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
    const port = await listen(server, options.port, "HTTP gateway", "--port");
    gateway = new Gateway(server, port, options);
    return gateway;
  }

  /** A template's static site, served at / wherever no API is mounted (as its CDN's default behaviour). */
  serveSite(site: StaticSite): void {
    this.site = site;
  }

  mount(api: ApiDefinition): void {
    const routes = new RouteTable<RouteDefinition>();
    for (const route of api.routes) routes.add(route.method, route.path, route);
    this.mounts.set(api.mount, { api, routes });
  }

  /** Called when every service is deployed: unknown prefixes become 404 instead of "starting". */
  ready(): void {
    this.starting = false;
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const started = performance.now();
    const requestId = randomUUID();
    this.route(request, requestId)
      .catch((error: unknown): Reply => {
        if (error instanceof BadRequest) {
          return jsonReply(400, "BAD_REQUEST", error.message, requestId);
        }
        if (error instanceof ClientGone) {
          return jsonReply(
            400,
            "CLIENT_CLOSED_REQUEST",
            "The client closed the connection mid-request",
            requestId,
          );
        }
        this.options.log({
          time: new Date(),
          source: "gateway",
          level: "ERROR",
          message: `gateway error on ${request.method} ${request.url}`,
          fields: {
            error: error instanceof Error ? { message: error.message, stack: error.stack } : String(error),
          },
        });
        return jsonReply(500, "INTERNAL_ERROR", "Internal server error", requestId);
      })
      .then((reply) => {
        this.send(request, response, reply);
        const level: LogLevel = reply.status >= 500 ? "ERROR" : reply.status >= 400 ? "WARN" : "INFO";
        this.options.log({
          time: new Date(),
          source: "gateway",
          level,
          message: `${request.method} ${request.url} -> ${reply.status}`,
          fields: {
            ms: Math.round(performance.now() - started),
            ...(reply.route ? { route: reply.route } : {}),
            ...(reply.detail ? { detail: reply.detail } : {}),
          },
        });
      })
      .catch(() => {
        // The client went away mid-response; nothing to do.
      });
  }

  private send(request: IncomingMessage, response: ServerResponse, reply: Reply): void {
    if (response.headersSent) return;
    const body = typeof reply.body === "string" ? Buffer.from(reply.body) : reply.body;
    for (const [name, value] of Object.entries(reply.headers)) {
      // The gateway frames the response itself.
      if (/^(content-length|transfer-encoding|connection|keep-alive)$/i.test(name)) continue;
      response.setHeader(name, value);
    }
    if (!response.hasHeader("content-type")) response.setHeader("Content-Type", "application/json");
    response.setHeader("Content-Length", body.length);
    response.statusCode = reply.status;
    response.end(request.method === "HEAD" ? undefined : body);
  }

  private async route(request: IncomingMessage, requestId: string): Promise<Reply> {
    const method = (request.method ?? "GET").toUpperCase();
    const rawUrl = request.url ?? "/";
    const queryAt = rawUrl.indexOf("?");
    const rawPath = queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt);
    const rawQuery = queryAt < 0 ? "" : rawUrl.slice(queryAt + 1);
    if (!rawPath.startsWith("/")) {
      drain(request);
      throw new BadRequest("The request target must be a path starting with /");
    }
    const rawSegments = rawPath.split("/").slice(1);
    const segments = rawSegments.map((segment) => {
      let decoded: string;
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        drain(request);
        throw new BadRequest(`Malformed percent-encoding in path segment '${segment.slice(0, 100)}'`);
      }
      // Control characters have no business in a resource path; refuse them rather than hand them to handlers.
      if ([...decoded].some((char) => (char.codePointAt(0) ?? 32) < 32 || char === "\u007f")) {
        drain(request);
        throw new BadRequest("Control characters are not allowed in the path");
      }
      return decoded;
    });
    const mountName = segments[0] ?? "";
    if (this.site && (method === "GET" || method === "HEAD") && !this.mounts.has(mountName)) {
      const answer = staticAnswer(this.site, `/${segments.join("/")}`, String(request.headers.accept ?? ""));
      if (answer) {
        drain(request);
        return answer;
      }
    }
    if (mountName === "") {
      drain(request);
      const services = Object.fromEntries(
        [...this.mounts.entries()].map(([name, mounted]) => [name, mounted.api.baseUrl]),
      );
      return {
        status: 200,
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ services }),
      };
    }
    const mounted = this.mounts.get(mountName);
    if (!mounted) {
      drain(request);
      if (this.starting) return jsonReply(503, "STARTING", "The local stack is still starting", requestId);
      const known = [...this.mounts.keys()].map((name) => `/${name}`).join(", ");
      return jsonReply(
        404,
        "RESOURCE_NOT_FOUND",
        `No local API at /${mountName.slice(0, 100)}; known: ${known || "(none)"}`,
        requestId,
      );
    }
    const { api, routes } = mounted;
    const render = (
      type: GatewayResponseType,
      message: string,
      detail: string,
      extra: Record<string, string> = {},
    ): Reply => {
      const rendered: RenderedResponse = renderGatewayResponse(
        api.gatewayResponses,
        type,
        message,
        {
          requestId,
          stage: api.stage,
          httpMethod: method,
          requestHeaders: lowerCaseHeaders(request.rawHeaders),
        },
        extra,
      );
      return { ...rendered, detail };
    };
    if (this.options.isStopped(api.service)) {
      drain(request);
      return render(
        "SERVICE_UNAVAILABLE",
        `Service ${api.service} is unavailable`,
        "stopped with stopService()",
      );
    }

    // A trailing slash names the same resource.
    const below = segments.slice(1);
    const rawBelow = rawSegments.slice(1);
    if (below.length > 0 && below[below.length - 1] === "") {
      below.pop();
      rawBelow.pop();
    }
    const path = `/${rawBelow.join("/")}`;
    const match = routes.match(method, below);
    if (match.kind !== "found") {
      if (method === "OPTIONS" && api.cors) {
        drain(request);
        return { status: 200, headers: corsHeaders(api), body: "", detail: "CORS preflight" };
      }
      drain(request);
      const detail =
        match.kind === "no-method"
          ? `no ${method} on ${match.resourcePath} (has ${match.methods.join(", ")})`
          : `no route matches ${method} ${path}`;
      return render("MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token", detail);
    }
    const route = match.value;
    const routeName = `${route.method} ${route.path}`;

    const body = await readBody(request, this.options.maxBodyBytes ?? MAX_BODY_BYTES);
    if (body === "too-large") {
      return {
        ...render("REQUEST_TOO_LARGE", "Request Too Long", "body over the 10 MB limit", {
          Connection: "close",
        }),
        route: routeName,
      };
    }
    const host = request.headers.host ?? `${LOCAL_HOST}:${this.port}`;
    const arn = methodArn(this.options.region, this.options.accountId, api.apiId, api.stage, method, path);
    const sourceIp = request.socket.remoteAddress?.replace(/^::ffff:/, "") ?? LOCAL_HOST;
    const proxyRequest = {
      method,
      path,
      rawQuery,
      rawHeaders: request.rawHeaders,
      body,
      sourceIp,
      host,
    };
    const resourcePolicy = api.resourcePolicy;
    const checkPolicy = (caller: PolicyCaller): ResourcePolicyDecision =>
      resourcePolicy
        ? evaluateResourcePolicy(resourcePolicy, { caller, sourceIp, methodArn: arn })
        : { decision: "ALLOW", statement: "(no resource policy)" };
    const accessDenied = (
      caller: PolicyCaller,
      verdict: Exclude<ResourcePolicyDecision, { decision: "ALLOW" }>,
    ): Reply => {
      const who = caller.kind === "role" ? caller.roleArn : "anonymous";
      const why =
        verdict.decision === "EXPLICIT_DENY"
          ? `denied by statement ${verdict.statement}`
          : "no statement allows it";
      return {
        ...render(
          "ACCESS_DENIED",
          accessDeniedMessage(caller, arn, verdict.decision),
          `resource policy: ${why} (caller ${who})`,
        ),
        route: routeName,
      };
    };
    const identityDenied = (
      userArn: string,
      decision: Exclude<IdentityDecision, { decision: "ALLOW" }>,
      detail: string,
    ): Reply => ({
      ...render(
        "ACCESS_DENIED",
        identityDeniedMessage(userArn, { action: INVOKE, resource: maskAccount(arn) }, decision),
        detail,
      ),
      route: routeName,
    });
    const anonymous: PolicyCaller = { kind: "anonymous" };
    const proxyRoute = {
      resourcePath: match.resourcePath,
      pathParameters: match.params,
      apiId: api.apiId,
      stage: api.stage,
      binaryMediaTypes: api.binaryMediaTypes,
    };
    const now = new Date();
    let authorizerContext: Record<string, unknown> | undefined;
    let identity: ProxyIdentity | undefined;
    const auth = route.auth;
    if (auth.kind === "UNSUPPORTED") {
      return {
        ...render("AUTHORIZER_CONFIGURATION_ERROR", "Internal server error", auth.reason),
        route: routeName,
      };
    }
    if (auth.kind === "AWS_IAM") {
      const verdict = await this.verifySigV4({
        method,
        rawPath,
        rawQuery,
        headers: lowerCaseHeaders(request.rawHeaders),
        body,
      });
      if (!verdict.ok) {
        const type: GatewayResponseType =
          verdict.reason === "missing" ? "MISSING_AUTHENTICATION_TOKEN" : "INVALID_SIGNATURE";
        return { ...render(type, verdict.message, `SigV4: ${verdict.reason}`), route: routeName };
      }
      const caller = this.options.callers.byAccessKey(verdict.accessKeyId);
      if (!caller) {
        // The verifier found the key a moment ago; never let a key nobody holds through as the operator.
        return {
          ...render(
            "INVALID_SIGNATURE",
            "The security token included in the request is invalid.",
            "SigV4: unknown key",
          ),
          route: routeName,
        };
      }
      if (caller.kind === "function") {
        // Same-account IAM callers, as API Gateway decides: an explicit Deny in the role's identity
        // policy or in the resource policy refuses; otherwise an Allow in either one lets the call in.
        const principal = policyCaller(caller);
        const own = evaluateIdentityPolicy(caller.identityPolicy, INVOKE, arn);
        const policy = resourcePolicy ? checkPolicy(principal) : undefined;
        if (own.decision === "EXPLICIT_DENY") {
          return identityDenied(
            caller.sessionArn,
            own,
            `identity policy: denied by statement ${own.statement}`,
          );
        }
        if (policy?.decision === "EXPLICIT_DENY") return accessDenied(principal, policy);
        if (own.decision !== "ALLOW" && policy?.decision !== "ALLOW") {
          return policy
            ? accessDenied(principal, policy)
            : identityDenied(
                caller.sessionArn,
                own,
                "identity policy: no statement allows it (no resource policy)",
              );
        }
        identity = proxyIdentity(caller);
      } else {
        // The operator's key stands for the account's administrator and is exempt from resource
        // policies (a deliberate difference from AWS, where an explicit Deny binds admins too).
        identity = {
          accessKey: verdict.accessKeyId,
          accountId: this.options.accountId,
          caller: verdict.accessKeyId,
          user: verdict.accessKeyId,
          userArn: `arn:aws:iam::${this.options.accountId}:user/local`,
        };
      }
    } else if (auth.kind === "LAMBDA") {
      // API Gateway looks for an explicit Deny before calling the authorizer; the caller is anonymous to it.
      const policy = checkPolicy(anonymous);
      if (policy.decision === "EXPLICIT_DENY") return accessDenied(anonymous, policy);
      const started = performance.now();
      const decision = await this.authorizers.authorize(auth.authorizer, {
        apiId: api.apiId,
        methodArn: arn,
        headers: lowerCaseHeaders(request.rawHeaders),
        query: new URLSearchParams(rawQuery),
        requestEvent: () => {
          const event = buildProxyEvent(proxyRequest, proxyRoute, {
            requestId,
            accountId: this.options.accountId,
            now,
          });
          const { body: _body, isBase64Encoded: _encoded, ...rest } = event;
          return rest as unknown as Record<string, unknown>;
        },
      });
      if (!decision.ok)
        return { ...render(decision.type, decision.message, decision.detail), route: routeName };
      authorizerContext = {
        ...decision.context,
        principalId: decision.principalId,
        integrationLatency: decision.cached ? 0 : Math.round(performance.now() - started),
      };
    } else {
      // With no authorization, only the resource policy decides: it must allow explicitly.
      const policy = checkPolicy(anonymous);
      if (policy.decision !== "ALLOW") return accessDenied(anonymous, policy);
    }

    const runtime = this.options.functions.byId(route.functionId);
    if (!runtime) {
      return {
        ...render(
          "INTEGRATION_FAILURE",
          "Internal server error",
          `function ${route.functionId} is not running`,
        ),
        route: routeName,
      };
    }
    const event = buildProxyEvent(proxyRequest, proxyRoute, {
      requestId,
      accountId: this.options.accountId,
      now,
      authorizer: authorizerContext,
      identity,
    });
    const outcome = await runtime.invoke(event, { requestId, timeoutMs: INTEGRATION_TIMEOUT_MS });
    if (!outcome.ok) {
      const gatewayTimedOut =
        outcome.kind === "timeout" && runtime.fn.timeoutSeconds * 1000 > INTEGRATION_TIMEOUT_MS;
      if (gatewayTimedOut) {
        return {
          ...render(
            "INTEGRATION_TIMEOUT",
            "Endpoint request timed out",
            "no answer within API Gateway's 29 s",
          ),
          route: routeName,
        };
      }
      // A Lambda error (thrown, timed out, crashed) reaches the client as a bare 502, as on AWS.
      return {
        ...render(
          "INTEGRATION_FAILURE",
          "Internal server error",
          `${outcome.kind}: ${outcome.error.errorType}: ${outcome.error.errorMessage}`,
        ),
        route: routeName,
      };
    }
    const result = readProxyResult(outcome.payload);
    if (typeof result === "string")
      return { ...render("INTEGRATION_FAILURE", "Internal server error", result), route: routeName };
    return {
      status: result.status,
      headers: {
        ...result.headers,
        "x-amzn-RequestId": requestId,
        "x-amz-apigw-id": requestId.slice(0, 16),
        ...(api.cors ? { "Access-Control-Allow-Origin": api.cors.allowOrigin } : {}),
      },
      body: result.body,
      route: routeName,
    };
  }
}

function jsonReply(status: number, code: string, message: string, requestId: string): Reply {
  return {
    status,
    headers: { "Content-Type": "application/json", "x-amzn-RequestId": requestId },
    body: JSON.stringify({ error: { code, message } }),
    detail: message,
  };
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

/** Discards a body we will not read, so the connection can carry the response. */
function drain(request: IncomingMessage): void {
  if (!request.complete) request.resume();
}
