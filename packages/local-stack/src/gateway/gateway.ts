import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { LOCAL_HOST } from "../constants";
import { type CallerLookup, createSigV4Verifier } from "../iam";
import type { LogLevel, LogSink } from "../support";
import { ClientGone, closeServer, listen } from "../support";
import type { ApiDefinition, DescribedApi, LocalApi, RouteDefinition, StaticSite } from "../template";
import { type AuthorizationContext, authorize } from "./authorize";
import { LambdaAuthorizers } from "./authorizer";
import { type BodyOptions, loadBody } from "./body";
import {
  type FunctionRegistry,
  INTEGRATION_TIMEOUT_MS,
  type IntegrationContext,
  integrate,
} from "./integrations";
import { type MountedApi, type MountState, matchRoute, matchStageRoute } from "./match";
import {
  type CompiledIntegration,
  compileApiIntegrations,
  createBackends,
  type RoleCredentials,
} from "./non-proxy";
import { isReply, jsonReply, type Reply } from "./request";
import { RouteTable } from "./routes";
import { serveSite } from "./static-site";
import { BadRequest, parseTarget } from "./target";

/**
 * The HTTP gateway: every API on a port of its own at /<stage>, as API
 * Gateway serves it at https://<api id>.execute-api.<region>.amazonaws.com/<stage>,
 * and on the gateway's port at /<service> beside the static site, as the
 * site's CloudFront distribution serves it. Routes from
 * the templates' function events, API Gateway's authorization (resource
 * policies, Lambda authorizers, AWS_IAM with SigV4), its proxy event and
 * result handling, and its own error responses. Nothing a request does can
 * take the gateway down.
 *
 * A request goes through named stages, each in its own module: parse the
 * target (target.ts) -> match the route (match.ts) -> read the body
 * (body.ts) -> authorize by the route's kind (authorize.ts) -> integrate by
 * the integration's type and map the response (integrations.ts).
 */

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

/** What AWS service integrations call: the local DynamoDB, as the integration roles' sessions. */
export interface AwsIntegrationServices {
  dynamodbUrl: string;
  credentials(callerId: string): RoleCredentials | undefined;
}

export class Gateway implements MountState {
  readonly url: string;
  readonly mounts = new Map<string, MountedApi>();
  starting = true;
  private site: StaticSite | undefined;
  private readonly authorization: AuthorizationContext;
  private readonly bodyOptions: BodyOptions;
  private readonly integrations: IntegrationContext;
  private readonly compiled = new Map<unknown, CompiledIntegration>();
  private awsServices: AwsIntegrationServices | undefined;
  private readonly apiServers: Server[] = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly options: GatewayOptions,
  ) {
    this.url = `http://${LOCAL_HOST}:${port}`;
    this.authorization = {
      accountId: options.accountId,
      callers: options.callers,
      authorizers: new LambdaAuthorizers(async (arn, event) => options.functions.byArn(arn)?.invoke(event)),
      verifySigV4: createSigV4Verifier({
        credentials: (accessKeyId) => options.callers.byAccessKey(accessKeyId)?.credentials,
        region: options.region,
      }),
    };
    this.bodyOptions = { ...options, port };
    this.integrations = {
      accountId: options.accountId,
      functions: options.functions,
      nonProxy: {
        compiled: (integration) => this.compiled.get(integration),
        backends: createBackends({
          region: options.region,
          timeoutMs: INTEGRATION_TIMEOUT_MS,
          invokeFunction: async (arn, event, requestId) =>
            options.functions.byArn(arn)?.invoke(event, { requestId, timeoutMs: INTEGRATION_TIMEOUT_MS }),
          aws: () => this.awsServices,
        }),
      },
    };
  }

  isStopped(service: string): boolean {
    return this.options.isStopped(service);
  }

  static async start(options: GatewayOptions): Promise<Gateway> {
    let gateway: Gateway | undefined;
    const server = httpServer((request, response) => {
      if (!gateway) {
        response.writeHead(503).end();
        return;
      }
      gateway.handle(request, response);
    });
    const port = await listen(server, options.port, "HTTP gateway", "--port");
    gateway = new Gateway(server, port, options);
    return gateway;
  }

  /** Gives each API its own port (its execute-api host, locally); it answers 503 until mounted. */
  async listenApis(apis: DescribedApi[]): Promise<LocalApi[]> {
    return Promise.all(
      apis.map(async (api) => {
        const server = httpServer((request, response) => this.handle(request, response, api.mount));
        this.apiServers.push(server);
        const port = await listen(server, 0, `${api.service} API`, "--port");
        return { ...api, origin: `http://${LOCAL_HOST}:${port}` };
      }),
    );
  }

  /** A template's static site, served at / wherever no API is mounted (as its CDN's default behaviour). */
  serveSite(site: StaticSite): void {
    this.site = site;
  }

  /** Serves `api`; returns what of its mapping templates and models cannot run locally. */
  mount(api: ApiDefinition): string[] {
    const routes = new RouteTable<RouteDefinition>();
    for (const route of api.routes) routes.add(route.method, route.path, route);
    const { integrations, warnings } = compileApiIntegrations(api);
    for (const [definition, compiled] of integrations) this.compiled.set(definition, compiled);
    this.mounts.set(api.mount, { api, routes });
    return warnings;
  }

  /** Where AWS service integrations send their calls; until then they answer 500. */
  connectAwsServices(services: AwsIntegrationServices): void {
    this.awsServices = services;
  }

  /** Called when every service is deployed: unknown prefixes become 404 instead of "starting". */
  ready(): void {
    this.starting = false;
  }

  async close(): Promise<void> {
    await Promise.all([this.server, ...this.apiServers].map((server) => closeServer(server)));
  }

  /** `mount`: the API whose own port the request came in on; none on the gateway's port. */
  private handle(request: IncomingMessage, response: ServerResponse, mount?: string): void {
    const started = performance.now();
    const requestId = randomUUID();
    this.route(request, requestId, mount)
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
          // On an API's own port the path starts with the stage: the entry names the API.
          ...(mount === undefined ? {} : { service: mount }),
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

  /** The request path: each stage hands the request on, or answers it. */
  private async route(request: IncomingMessage, requestId: string, mount?: string): Promise<Reply> {
    const target = parseTarget(request, requestId);
    const page = mount === undefined ? serveSite(target, this.site, this.mounts) : undefined;
    if (page) return page;
    const routed = mount === undefined ? matchRoute(target, this) : matchStageRoute(target, mount, this);
    if (isReply(routed)) return routed;
    const loaded = await loadBody(routed, this.bodyOptions);
    if (isReply(loaded)) return loaded;
    const authorized = await authorize(loaded, this.authorization);
    if (isReply(authorized)) return authorized;
    return integrate(authorized, this.integrations);
  }
}

function httpServer(handler: (request: IncomingMessage, response: ServerResponse) => void): Server {
  // Node would answer a request without Host with an empty 400; parseTarget answers it in JSON.
  const server = createServer({ requireHostHeader: false }, handler);
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
  return server;
}
