import { Sha256 } from "@aws-crypto/sha256-js";
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { DependencyError } from "./errors";

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
    sha256: Sha256,
  });
  const defaultTimeoutMs = options.defaultTimeoutMs ?? 2000;

  return {
    async request(method, url, { body, headers = {}, timeoutMs = defaultTimeoutMs } = {}) {
      const target = new URL(url);
      const payload = body === undefined ? undefined : JSON.stringify(body);
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
      let response: Response;
      try {
        response = await fetch(target, {
          method,
          headers: signed.headers,
          body: payload,
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        throw new DependencyError(`${method} ${target.host} failed`, target.host, { cause: error });
      }
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
    },
  };
}
