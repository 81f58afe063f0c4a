import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { withDeadline } from "./deadline";
import { DependencyError } from "./errors";
import { type HttpFetch, httpRequest } from "./http-request";
import { NodeSha256 } from "./node-sha256";

export interface SignedResponse {
  status: number;
  body: unknown;
}

export interface SignedHttpClient {
  request(
    method: string,
    url: string,
    options?: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number },
  ): Promise<SignedResponse>;
}

export interface SignedHttpOptions {
  region: string;
  service?: string;
  credentials?: AwsCredentialIdentityProvider;
  defaultTimeoutMs?: number;
  /** The transport; node:http unless a test hands in another. */
  fetch?: HttpFetch;
}

/**
 * Calls an AWS_IAM-authorized API with a SigV4 signature made from the
 * function's own role (the default provider chain reads Lambda's variables).
 * Every call has a deadline: a slow dependency must not eat the caller's
 * Lambda timeout.
 */
export function createSignedHttpClient(options: SignedHttpOptions): SignedHttpClient {
  const signer = new SignatureV4({
    service: options.service ?? "execute-api",
    region: options.region,
    credentials: options.credentials ?? defaultProvider(),
    sha256: NodeSha256,
  });
  const defaultTimeoutMs = options.defaultTimeoutMs ?? 2000;
  const send = options.fetch ?? httpRequest;

  async function signAndSend(
    method: string,
    target: URL,
    payload: string | undefined,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<SignedResponse> {
    const query: Record<string, string> = {};
    target.searchParams.forEach((value, key) => {
      query[key] = value;
    });
    const signed = await signer.sign({
      method,
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port ? Number(target.port) : undefined,
      path: target.pathname,
      query,
      headers: {
        host: target.host,
        ...(payload === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      body: payload,
    });
    const response = await send(target.href, { method, headers: signed.headers, body: payload, signal });
    const text = await response.text();
    let parsed: unknown = text;
    if (text !== "") {
      try {
        parsed = JSON.parse(text);
      } catch {
        // A non-JSON body (an HTML error page from a proxy) is passed through as text.
      }
    }
    return { status: response.status, body: parsed };
  }

  return {
    async request(method, url, { body, headers = {}, timeoutMs = defaultTimeoutMs } = {}) {
      const target = new URL(url);
      const payload = body === undefined ? undefined : JSON.stringify(body);
      // One deadline over credentials, signing, connecting and reading the body.
      try {
        return await withDeadline(
          (signal) => signAndSend(method, target, payload, headers, signal),
          timeoutMs,
          () => new Error(`timed out after ${timeoutMs} ms`),
        );
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new DependencyError(`${method} ${target.host} failed: ${reason}`, target.host, {
          cause: error,
        });
      }
    },
  };
}
