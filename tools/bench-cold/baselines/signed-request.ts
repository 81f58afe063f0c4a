import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { SignatureV4 } from "@smithy/signature-v4";
import { NodeSha256 } from "../../../src/shared/node-sha256";

/** One SigV4-signed (or plain) JSON request over node:http, as bare as a signed API call gets. */
export async function callApi(
  method: string,
  url: string,
  options: { body?: unknown; signed: boolean },
): Promise<{ status: number; body: string }> {
  const target = new URL(url);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  let headers: Record<string, string> = {
    host: target.host,
    ...(payload === undefined ? {} : { "content-type": "application/json" }),
  };
  if (options.signed) {
    const signer = new SignatureV4({
      service: "execute-api",
      region: process.env.AWS_REGION ?? "us-east-1",
      credentials: defaultProvider(),
      sha256: NodeSha256,
    });
    const signed = await signer.sign({
      method,
      protocol: target.protocol,
      hostname: target.hostname,
      path: target.pathname,
      headers,
      body: payload,
    });
    headers = signed.headers;
  }
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(target, { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
      );
      response.on("error", reject);
    });
    req.on("error", reject);
    req.end(payload);
  });
}
