import { randomBytes } from "node:crypto";
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { Readable } from "node:stream";
import * as zlib from "node:zlib";
import { LOCAL_HOST } from "../constants";
import { AwsAuthenticator, authorize, type CallerLookup, receivedRequest } from "../iam";
import { ClientGone, closeServer, type LogSink, listen, readBody, stackLog } from "../support";
import { type DynamoScope, dynamoAccessChecks } from "./dynamodb-access";

/**
 * The public DynamoDB endpoint: a small HTTP proxy in front of dynalite (which
 * ignores signatures). It verifies SigV4 as DynamoDB does (the operator's key
 * or a function's, with its session token), holds a function to its role's
 * identity policy for the operation and the tables it names
 * (dynamodb-access.ts), and forwards every request it lets through unchanged,
 * streaming dynalite's answer back. The operator is not checked: it stands for
 * the account's administrator.
 */

export interface DynamoProxyOptions {
  port: number;
  /**
   * dynalite, on its internal port; read for every request. With `handle` (its
   * request listener), a request whose body is in hand is served in-process,
   * which spares every DynamoDB call a second HTTP round trip on loopback.
   */
  upstream: {
    readonly host: string;
    readonly port: number;
    readonly handle?: (request: IncomingMessage, response: ServerResponse) => void;
  };
  callers: CallerLookup;
  scope: DynamoScope;
  log?: LogSink;
}

export interface DynamoProxy {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** DynamoDB's own limit on a request. */
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;
const CONTENT_TYPE = "application/x-amz-json-1.0";
const TARGET = /^DynamoDB_\d{8}\.([A-Za-z]+)$/;
/** Hop-by-hop headers: each connection has its own. */
const HOP_BY_HOP = /^(connection|keep-alive|transfer-encoding|proxy-connection|upgrade)$/i;

/** DynamoDB's request ids: 52 upper-case alphanumerics. */
function requestId(): string {
  return randomBytes(39).toString("base64").toUpperCase().replace(/[+/]/g, "0");
}

function crc32(body: string): number | undefined {
  const compute = (zlib as { crc32?: (data: string) => number }).crc32;
  return typeof compute === "function" ? compute(body) : undefined;
}

/** An error in DynamoDB's shape: HTTP 400, `__type` with coral's namespace, as the SDK parses it. */
function sendError(response: ServerResponse, type: string, message: string, messageKey = "message"): void {
  const qualified = `com.amazon.coral.service#${type}`;
  const body = JSON.stringify({ __type: qualified, [messageKey]: message });
  const checksum = crc32(body);
  response.writeHead(400, {
    "Content-Type": CONTENT_TYPE,
    "Content-Length": Buffer.byteLength(body),
    "x-amzn-RequestId": requestId(),
    "x-amzn-ErrorType": qualified,
    ...(checksum === undefined ? {} : { "x-amz-crc32": String(checksum) }),
  });
  response.end(body);
}

interface ProxyContext {
  options: DynamoProxyOptions;
  authenticator: AwsAuthenticator;
  agent: Agent;
}

export async function startDynamoProxy(options: DynamoProxyOptions): Promise<DynamoProxy> {
  const proxy: ProxyContext = {
    options,
    authenticator: new AwsAuthenticator(options.callers, options.scope.region),
    agent: new Agent({ keepAlive: true }),
  };
  const server: Server = createServer((request, response) => {
    handle(proxy, request, response).catch((error: unknown) => {
      if (error instanceof ClientGone) return;
      if (options.log) stackLog(options.log, "ERROR", "DynamoDB proxy failed", { error: String(error) });
      if (!response.headersSent) sendError(response, "InternalServerError", "Internal server error");
    });
  });
  const port = await listen(server, options.port, "DynamoDB", "--dynamodb-port");
  return {
    url: `http://${LOCAL_HOST}:${port}`,
    port,
    close: async () => {
      await closeServer(server);
      proxy.agent.destroy();
    },
  };
}

/** Body -> operation -> signature -> the function's identity policy -> dynalite. */
async function handle(
  proxy: ProxyContext,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const { options } = proxy;
  // Health checks and CORS preflights carry no signature and change nothing: dynalite answers them.
  if (request.method !== "POST") return forward(proxy, request, response, undefined);
  const body = await readBody(request, MAX_REQUEST_BYTES);
  if (body === "too-large") {
    response.writeHead(413, { "Content-Length": 0, Connection: "close" }).end();
    return;
  }
  const operation = TARGET.exec(String(request.headers["x-amz-target"] ?? ""))?.[1];
  // No operation, nothing to authorize: dynalite answers UnknownOperationException as DynamoDB does.
  if (operation === undefined) return forward(proxy, request, response, body);
  const authenticated = await proxy.authenticator.authenticate("dynamodb", receivedRequest(request, body));
  if (!authenticated.ok) {
    const message =
      authenticated.type === "MissingAuthenticationTokenException"
        ? "Request is missing Authentication Token"
        : authenticated.message;
    return sendError(response, authenticated.type, message);
  }
  const { caller } = authenticated;
  if (caller.kind === "operator") return forward(proxy, request, response, body);
  let input: unknown;
  try {
    input = JSON.parse(body.toString("utf8"));
  } catch {
    // dynalite answers SerializationException.
    return forward(proxy, request, response, body);
  }
  const checks =
    input !== null && typeof input === "object" && !Array.isArray(input)
      ? dynamoAccessChecks(operation, input as Record<string, unknown>, options.scope)
      : undefined;
  const denial = checks === undefined ? undefined : authorize(caller, checks);
  if (denial) {
    if (options.log) {
      stackLog(options.log, "WARN", `DynamoDB ${operation} denied: ${denial.message}`, {
        function: caller.functionId,
      });
    }
    return sendError(response, "AccessDeniedException", denial.message, "Message");
  }
  return forward(proxy, request, response, body);
}

/** To dynalite: in process when it runs in this one (the body already read), otherwise over HTTP. */
function forward(
  proxy: ProxyContext,
  request: IncomingMessage,
  response: ServerResponse,
  body: Buffer | undefined,
): void {
  const handleInProcess = proxy.options.upstream.handle;
  if (body !== undefined && handleInProcess) {
    // dynalite reads only the method, url, headers and body stream of its request.
    const replay = Object.assign(Readable.from([body]), {
      method: request.method,
      url: request.url,
      headers: request.headers,
    });
    handleInProcess(replay as unknown as IncomingMessage, response);
    return;
  }
  forwardOverHttp(proxy, request, response, body);
}

function forwardOverHttp(
  proxy: ProxyContext,
  request: IncomingMessage,
  response: ServerResponse,
  body: Buffer | undefined,
): void {
  const { options } = proxy;
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && !HOP_BY_HOP.test(name)) headers[name] = value;
  }
  const upstream = httpRequest(
    {
      host: options.upstream.host,
      port: options.upstream.port,
      method: request.method,
      path: request.url,
      headers,
      agent: proxy.agent,
    },
    (answer) => {
      const raw: string[] = [];
      for (let index = 0; index + 1 < answer.rawHeaders.length; index += 2) {
        const name = answer.rawHeaders[index] ?? "";
        if (!HOP_BY_HOP.test(name)) raw.push(name, answer.rawHeaders[index + 1] ?? "");
      }
      response.writeHead(answer.statusCode ?? 502, raw);
      answer.pipe(response);
    },
  );
  upstream.on("error", (error) => {
    if (options.log) stackLog(options.log, "ERROR", `DynamoDB proxy: ${error.message}`);
    if (!response.headersSent) sendError(response, "InternalServerError", "Internal server error");
    else response.destroy();
  });
  if (body === undefined) request.pipe(upstream);
  else upstream.end(body);
}
