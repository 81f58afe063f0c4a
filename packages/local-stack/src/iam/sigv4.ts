import { createHash, timingSafeEqual } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import { NodeSha256 } from "./node-sha256";

/**
 * Verifies AWS Signature Version 4 on requests to AWS_IAM routes by
 * recomputing the signature over what was received (method, path, query,
 * the signed headers, a hash of the body) with the secret of the access key
 * it names: the local stack's own, or one it issued to a function.
 */

export interface ReceivedRequest {
  method: string;
  /** Path as received, still percent-encoded. */
  rawPath: string;
  rawQuery: string;
  /** Lower-case names; repeated headers joined with ",". */
  headers: Record<string, string>;
  body: Buffer;
}

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** Temporary credentials (an assumed role's) must come with their token. */
  sessionToken?: string;
}

export interface VerifyOptions {
  /** The one key accepted, or a lookup of every key that is. */
  credentials: SigningCredentials | ((accessKeyId: string) => SigningCredentials | undefined);
  region: string;
  service?: string;
  now?: Date;
  /** How far X-Amz-Date may be from now; AWS allows 15 minutes. */
  maxSkewMs?: number;
}

export type VerifyResult =
  | { ok: true; accessKeyId: string }
  | {
      ok: false;
      reason: "missing" | "incomplete" | "invalid-token" | "expired" | "mismatch";
      message: string;
    };

const ALGORITHM = "AWS4-HMAC-SHA256";
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const SIGNATURE_MISMATCH =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/** Lower-case names; a repeated header's values joined with "," (SigV4's canonical form). */
export function lowerCaseHeaders(rawHeaders: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const name = (rawHeaders[index] ?? "").toLowerCase();
    const value = rawHeaders[index + 1] ?? "";
    out[name] = out[name] === undefined ? value : `${out[name]},${value}`;
  }
  return out;
}

/** What the verifier needs of a request whose body has been read. */
export function receivedRequest(
  request: { method?: string; url?: string; rawHeaders: string[] },
  body: Buffer,
): ReceivedRequest {
  const rawUrl = request.url ?? "/";
  const queryAt = rawUrl.indexOf("?");
  return {
    method: (request.method ?? "GET").toUpperCase(),
    rawPath: queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt),
    rawQuery: queryAt < 0 ? "" : rawUrl.slice(queryAt + 1),
    headers: lowerCaseHeaders(request.rawHeaders),
    body,
  };
}

function parseAmzDate(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  return new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, day, hour, minute, second));
}

function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  // Compare equal-length buffers so the time taken does not reveal where they differ.
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

interface SignatureParts {
  credential: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  expires?: number;
  presigned: boolean;
}

function parseAuthorizationHeader(header: string): SignatureParts | string {
  if (!header.startsWith(`${ALGORITHM} `)) {
    return header.startsWith("AWS4-")
      ? `Unsupported signing algorithm`
      : "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.";
  }
  const fields = new Map<string, string>();
  for (const part of header.slice(ALGORITHM.length + 1).split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get("Credential");
  const signedHeaders = fields.get("SignedHeaders");
  const signature = fields.get("Signature");
  const missing = [
    credential ? "" : "Authorization header requires 'Credential' parameter.",
    signature ? "" : "Authorization header requires 'Signature' parameter.",
    signedHeaders ? "" : "Authorization header requires 'SignedHeaders' parameter.",
  ].filter(Boolean);
  if (missing.length > 0 || !credential || !signedHeaders || !signature) return missing.join(" ");
  return { credential, signedHeaders: signedHeaders.split(";"), signature, amzDate: "", presigned: false };
}

type SignerFor = (credentials: SigningCredentials) => SignatureV4;

/** One verifier per set of keys: each key's signer (and its signing-key cache) is built once, not per request. */
export function createSigV4Verifier(
  options: VerifyOptions,
): (request: ReceivedRequest) => Promise<VerifyResult> {
  const service = options.service ?? "execute-api";
  const signers = new Map<string, { credentials: SigningCredentials; signer: SignatureV4 }>();
  const signerFor: SignerFor = (credentials) => {
    const cached = signers.get(credentials.accessKeyId);
    if (cached?.credentials === credentials) return cached.signer;
    const signer = new SignatureV4({
      service,
      region: options.region,
      credentials,
      sha256: NodeSha256,
      // The received headers say whether the payload hash was sent; never add one.
      applyChecksum: false,
    });
    signers.set(credentials.accessKeyId, { credentials, signer });
    return signer;
  };
  const configured = options.credentials;
  const lookup =
    typeof configured === "function"
      ? configured
      : (accessKeyId: string) =>
          constantTimeEqual(accessKeyId, configured.accessKeyId) ? configured : undefined;
  return (request) => verify(request, options, service, lookup, signerFor);
}

export function verifySigV4(request: ReceivedRequest, options: VerifyOptions): Promise<VerifyResult> {
  return createSigV4Verifier(options)(request);
}

type Failure = Extract<VerifyResult, { ok: false }>;

function failed(reason: Failure["reason"], message: string): Failure {
  return { ok: false, reason, message };
}

function isFailure(value: object): value is Failure {
  return "ok" in value && value.ok === false;
}

/** Parse what was signed -> check the credential's scope, key and token -> its age -> recompute and compare. */
async function verify(
  request: ReceivedRequest,
  options: VerifyOptions,
  service: string,
  lookup: (accessKeyId: string) => SigningCredentials | undefined,
  signerFor: SignerFor,
): Promise<VerifyResult> {
  const query = new URLSearchParams(request.rawQuery);
  const parts = signatureParts(request, query);
  if (isFailure(parts)) return parts;
  const scope = checkScope(request, query, parts, options, service, lookup);
  if (isFailure(scope)) return scope;
  const stale = checkAge(parts, scope.signedAt, options);
  if (stale) return stale;
  const expected = await expectedSignature(
    request,
    query,
    parts,
    signerFor(scope.credentials),
    scope.signedAt,
  );
  if (typeof expected !== "string") return expected;
  if (!constantTimeEqual(expected, parts.signature)) return failed("mismatch", SIGNATURE_MISMATCH);
  return { ok: true, accessKeyId: scope.accessKeyId };
}

/** The signature and what it covers: from a presigned URL's query or the Authorization header. */
function signatureParts(request: ReceivedRequest, query: URLSearchParams): SignatureParts | Failure {
  const authorization = request.headers.authorization;
  if (query.has("X-Amz-Signature")) {
    if (query.get("X-Amz-Algorithm") !== ALGORITHM) {
      return failed("incomplete", 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
    }
    const credential = query.get("X-Amz-Credential");
    const signedHeaders = query.get("X-Amz-SignedHeaders");
    const amzDate = query.get("X-Amz-Date");
    const signature = query.get("X-Amz-Signature");
    if (!credential || !signedHeaders || !amzDate || !signature) {
      return failed(
        "incomplete",
        "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date'.",
      );
    }
    return {
      credential,
      signedHeaders: signedHeaders.split(";"),
      signature,
      amzDate,
      expires: Number(query.get("X-Amz-Expires") ?? 900),
      presigned: true,
    };
  }
  if (!authorization) return failed("missing", "Missing Authentication Token");
  const parsed = parseAuthorizationHeader(authorization);
  if (typeof parsed === "string") return failed("incomplete", parsed);
  const amzDate = request.headers["x-amz-date"];
  if (!amzDate) {
    return failed(
      "incomplete",
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    );
  }
  return { ...parsed, amzDate };
}

interface Scope {
  accessKeyId: string;
  credentials: SigningCredentials;
  signedAt: Date;
}

/** A key the stack accepts (with its session token), for this region and service, signed on the scope's date. */
function checkScope(
  request: ReceivedRequest,
  query: URLSearchParams,
  parts: SignatureParts,
  options: VerifyOptions,
  service: string,
  lookup: (accessKeyId: string) => SigningCredentials | undefined,
): Scope | Failure {
  const [accessKeyId, shortDate, region, scopeService, terminator] = parts.credential.split("/");
  if (!accessKeyId || !shortDate || !region || !scopeService || terminator !== "aws4_request") {
    return failed("incomplete", `Credential should be scoped to a valid region. `);
  }
  const credentials = lookup(accessKeyId);
  const sentToken = parts.presigned
    ? (query.get("X-Amz-Security-Token") ?? undefined)
    : request.headers["x-amz-security-token"];
  // Temporary keys are only valid with their session token, as in STS.
  const tokenMismatch =
    credentials?.sessionToken !== undefined &&
    (sentToken === undefined || !constantTimeEqual(sentToken, credentials.sessionToken));
  if (!credentials || tokenMismatch) {
    return failed("invalid-token", "The security token included in the request is invalid.");
  }
  if (region !== options.region) {
    return failed("mismatch", `Credential should be scoped to a valid region, not '${region}'. `);
  }
  if (scopeService !== service) {
    return failed("mismatch", `Credential should be scoped to correct service: '${service}'. `);
  }
  const signedAt = parseAmzDate(parts.amzDate);
  if (!signedAt) return failed("incomplete", `Invalid X-Amz-Date '${parts.amzDate}'`);
  if (parts.amzDate.slice(0, 8) !== shortDate) {
    return failed(
      "mismatch",
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${shortDate}' != '${parts.amzDate.slice(0, 8)}'`,
    );
  }
  return { accessKeyId, credentials, signedAt };
}

/** A presigned URL within its X-Amz-Expires; a signed request within 15 minutes of now. */
function checkAge(parts: SignatureParts, signedAt: Date, options: VerifyOptions): Failure | undefined {
  const now = options.now ?? new Date();
  const maxSkewMs = options.maxSkewMs ?? 15 * 60_000;
  if (parts.presigned) {
    const expires = parts.expires ?? 900;
    if (!Number.isInteger(expires) || expires < 1 || expires > 604_800) {
      return failed("incomplete", "X-Amz-Expires must be between 1 and 604800 seconds");
    }
    const late = now.getTime() > signedAt.getTime() + expires * 1000;
    if (late || signedAt.getTime() - now.getTime() > maxSkewMs) return failed("expired", "Signature expired");
    return undefined;
  }
  if (Math.abs(now.getTime() - signedAt.getTime()) <= maxSkewMs) return undefined;
  const stamp = (date: Date): string =>
    date
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d{3}/, "");
  return failed(
    "expired",
    `Signature expired: ${parts.amzDate} is now earlier than ${stamp(new Date(now.getTime() - maxSkewMs))} (${stamp(now)} - 15 min.)`,
  );
}

/** The signature of what arrived, computed as the client should have (the signed headers, query and body). */
async function expectedSignature(
  request: ReceivedRequest,
  query: URLSearchParams,
  parts: SignatureParts,
  signer: SignatureV4,
  signedAt: Date,
): Promise<string | Failure> {
  const bodyHash =
    request.body.length === 0 ? EMPTY_SHA256 : createHash("sha256").update(request.body).digest("hex");
  const declaredHash = request.headers["x-amz-content-sha256"];
  // The signer trusts this header as the payload hash, so it must match the body that actually arrived.
  if (declaredHash !== undefined && declaredHash !== bodyHash) return failed("mismatch", SIGNATURE_MISMATCH);
  const signedHeaderNames = new Set(parts.signedHeaders);
  if (!signedHeaderNames.has("host")) return failed("incomplete", "'Host' must be a signed header");
  const headers: Record<string, string> = {};
  for (const name of signedHeaderNames) {
    if (name === "x-amz-date" || name === "authorization") continue;
    const value = request.headers[name];
    if (value === undefined) return failed("mismatch", SIGNATURE_MISMATCH);
    headers[name] = value;
  }
  // region and service equal the signer's: both were checked against the options.
  const httpRequest = {
    method: request.method,
    protocol: "http:",
    hostname: (request.headers.host ?? "").replace(/:\d+$/, ""),
    path: request.rawPath,
    query: signedQuery(query, parts.presigned),
    headers,
    body: request.body.length === 0 ? undefined : request.body,
  };
  const signableHeaders = new Set(signedHeaderNames);
  let expected: string | undefined;
  if (parts.presigned) {
    const presigned = await signer.presign(httpRequest, {
      signingDate: signedAt,
      expiresIn: parts.expires,
      signableHeaders,
      unhoistableHeaders: new Set(Object.keys(headers)),
    });
    const value = presigned.query?.["X-Amz-Signature"];
    expected = typeof value === "string" ? value : undefined;
  } else {
    const signed = await signer.sign(httpRequest, { signingDate: signedAt, signableHeaders });
    expected = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization ?? ""))?.[1];
  }
  return expected ?? failed("mismatch", SIGNATURE_MISMATCH);
}

/** The query as signed: a presigned URL's own X-Amz-* parameters are not part of it. */
function signedQuery(query: URLSearchParams, presigned: boolean): Record<string, string | string[]> {
  const signed: Record<string, string | string[]> = {};
  for (const key of new Set(query.keys())) {
    if (
      presigned &&
      /^X-Amz-(Algorithm|Credential|Date|Expires|SignedHeaders|Signature|Security-Token)$/.test(key)
    )
      continue;
    const values = query.getAll(key);
    signed[key] = values.length === 1 ? (values[0] ?? "") : values;
  }
  return signed;
}
