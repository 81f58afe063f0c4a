import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { createSigV4Verifier, type ReceivedRequest, verifySigV4 } from "../../src/iam/sigv4";

const credentials = {
  accessKeyId: "AKIALOCALEXAMPLE0001",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};
const region = "us-east-1";
const now = new Date("2026-01-02T03:04:05Z");

async function signed(
  overrides: {
    body?: string;
    query?: Record<string, string>;
    path?: string;
    secret?: string;
    date?: Date;
    headers?: Record<string, string>;
    signWith?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  } = {},
): Promise<ReceivedRequest> {
  const signer = new SignatureV4({
    service: "execute-api",
    region,
    credentials: overrides.signWith ?? {
      ...credentials,
      secretAccessKey: overrides.secret ?? credentials.secretAccessKey,
    },
    sha256: Sha256,
  });
  const query = overrides.query ?? { a: "1", b: "x y" };
  const path = overrides.path ?? "/location/locations/u%201";
  const request = await signer.sign(
    {
      method: "POST",
      protocol: "http:",
      hostname: "127.0.0.1",
      port: 3000,
      path,
      query,
      headers: { host: "127.0.0.1:3000", "content-type": "application/json", ...overrides.headers },
      body: overrides.body ?? '{"x":1}',
    },
    { signingDate: overrides.date ?? now },
  );
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), String(value)]),
  );
  return {
    method: "POST",
    rawPath: path,
    rawQuery: new URLSearchParams(query).toString(),
    headers,
    body: Buffer.from(overrides.body ?? '{"x":1}'),
  };
}

const verify = (request: ReceivedRequest) => verifySigV4(request, { credentials, region, now });

/** The GET /alpha/iam the gateway receives for a presigned URL with this query. */
function presignedGet(query: unknown): ReceivedRequest {
  return {
    method: "GET",
    rawPath: "/alpha/iam",
    rawQuery: new URLSearchParams(query as Record<string, string>).toString(),
    headers: { host: "127.0.0.1:3000" },
    body: Buffer.alloc(0),
  };
}

describe("verifySigV4", () => {
  test("a correct signature passes", async () => {
    expect(await verify(await signed())).toEqual({ ok: true, accessKeyId: credentials.accessKeyId });
  });

  test("one verifier (one signer) serves many requests, good and bad", async () => {
    const verifyOnce = createSigV4Verifier({ credentials, region, now });
    expect(await verifyOnce(await signed())).toEqual({ ok: true, accessKeyId: credentials.accessKeyId });
    expect(await verifyOnce(await signed({ secret: "wrong" }))).toMatchObject({ reason: "mismatch" });
    expect(await verifyOnce(await signed({ body: '{"y":2}' }))).toMatchObject({ ok: true });
  });

  test("unsigned is 'missing'", async () => {
    const request = await signed();
    delete request.headers.authorization;
    expect(await verify(request)).toMatchObject({ ok: false, reason: "missing" });
  });

  test("a wrong secret, a changed body, query, path or signed header is a mismatch", async () => {
    expect(await verify(await signed({ secret: "wrong" }))).toMatchObject({ ok: false, reason: "mismatch" });
    const request = await signed();
    expect(await verify({ ...request, body: Buffer.from('{"x":2}') })).toMatchObject({ reason: "mismatch" });
    expect(await verify({ ...request, rawQuery: "a=2&b=x+y" })).toMatchObject({ reason: "mismatch" });
    expect(await verify({ ...request, rawPath: "/location/locations/u%202" })).toMatchObject({
      reason: "mismatch",
    });
    expect(await verify({ ...request, method: "PUT" })).toMatchObject({ reason: "mismatch" });
    expect(
      await verify({ ...request, headers: { ...request.headers, "content-type": "text/plain" } }),
    ).toMatchObject({ reason: "mismatch" });
  });

  test("without the payload-hash header the body is still covered", async () => {
    const request = await signed();
    // Re-sign without x-amz-content-sha256, as some clients do.
    const signer = new SignatureV4({
      service: "execute-api",
      region,
      credentials,
      sha256: Sha256,
      applyChecksum: false,
    });
    const resigned = await signer.sign(
      {
        method: "POST",
        protocol: "http:",
        hostname: "127.0.0.1",
        path: request.rawPath,
        query: { a: "1", b: "x y" },
        headers: { host: "127.0.0.1:3000" },
        body: '{"x":1}',
      },
      { signingDate: now },
    );
    const headers = Object.fromEntries(
      Object.entries(resigned.headers).map(([name, value]) => [name.toLowerCase(), String(value)]),
    );
    expect(headers["x-amz-content-sha256"]).toBeUndefined();
    expect(await verify({ ...request, headers })).toMatchObject({ ok: true });
    expect(await verify({ ...request, headers, body: Buffer.from("tampered") })).toMatchObject({
      ok: false,
      reason: "mismatch",
    });
  });

  test("another access key is an invalid token; another region or service a mismatch", async () => {
    const request = await signed();
    const swap = (from: string, to: string) => ({
      ...request,
      headers: { ...request.headers, authorization: String(request.headers.authorization).replace(from, to) },
    });
    expect(await verify(swap(credentials.accessKeyId, "AKIAOTHER"))).toMatchObject({
      reason: "invalid-token",
    });
    expect(await verify(swap("/us-east-1/", "/eu-west-1/"))).toMatchObject({ reason: "mismatch" });
    expect(await verify(swap("/execute-api/", "/s3/"))).toMatchObject({ reason: "mismatch" });
  });

  test("a date more than 15 minutes off is expired", async () => {
    expect(await verify(await signed({ date: new Date(now.getTime() - 16 * 60_000) }))).toMatchObject({
      reason: "expired",
    });
    expect(await verify(await signed({ date: new Date(now.getTime() + 16 * 60_000) }))).toMatchObject({
      reason: "expired",
    });
    expect(await verify(await signed({ date: new Date(now.getTime() - 14 * 60_000) }))).toMatchObject({
      ok: true,
    });
  });

  test("a malformed Authorization header is incomplete", async () => {
    const request = await signed();
    expect(
      await verify({ ...request, headers: { ...request.headers, authorization: "Bearer abc" } }),
    ).toMatchObject({ reason: "incomplete" });
    expect(
      await verify({
        ...request,
        headers: { ...request.headers, authorization: "AWS4-HMAC-SHA256 Credential=x" },
      }),
    ).toMatchObject({
      reason: "incomplete",
    });
  });

  test("presigned URLs: valid until X-Amz-Expires", async () => {
    const signer = new SignatureV4({ service: "execute-api", region, credentials, sha256: Sha256 });
    const presigned = await signer.presign(
      {
        method: "GET",
        protocol: "http:",
        hostname: "127.0.0.1",
        path: "/alpha/iam",
        query: { q: "1" },
        headers: { host: "127.0.0.1:3000" },
      },
      { signingDate: now, expiresIn: 300 },
    );
    const request = presignedGet(presigned.query);
    expect(await verify(request)).toMatchObject({ ok: true });
    expect(
      await verifySigV4(request, { credentials, region, now: new Date(now.getTime() + 301_000) }),
    ).toMatchObject({ reason: "expired" });
    expect(await verify({ ...request, rawQuery: request.rawQuery.replace("q=1", "q=2") })).toMatchObject({
      reason: "mismatch",
    });
  });

  describe("many keys (the operator's and each function's)", () => {
    const temporary = {
      accessKeyId: "ASIALOCALEXAMPLE0002",
      secretAccessKey: "another-secret",
      sessionToken: "the-session-token",
    };
    const keys = new Map([
      [credentials.accessKeyId, credentials],
      [temporary.accessKeyId, temporary],
    ]);
    const verifyAny = createSigV4Verifier({ credentials: (id) => keys.get(id), region, now });

    test("each key verifies with its own secret and names itself", async () => {
      expect(await verifyAny(await signed())).toEqual({ ok: true, accessKeyId: credentials.accessKeyId });
      expect(await verifyAny(await signed({ signWith: temporary }))).toEqual({
        ok: true,
        accessKeyId: temporary.accessKeyId,
      });
      expect(
        await verifyAny(
          await signed({ signWith: { ...temporary, secretAccessKey: credentials.secretAccessKey } }),
        ),
      ).toMatchObject({
        reason: "mismatch",
      });
      expect(
        await verifyAny(await signed({ signWith: { accessKeyId: "ASIAUNKNOWN", secretAccessKey: "x" } })),
      ).toMatchObject({ reason: "invalid-token" });
    });

    test("a temporary key needs its session token", async () => {
      const { sessionToken: _token, ...withoutToken } = temporary;
      expect(await verifyAny(await signed({ signWith: withoutToken }))).toMatchObject({
        reason: "invalid-token",
      });
      expect(
        await verifyAny(await signed({ signWith: { ...temporary, sessionToken: "another-token" } })),
      ).toMatchObject({ reason: "invalid-token" });
    });

    test("a presigned URL of a temporary key carries its token", async () => {
      const signer = new SignatureV4({
        service: "execute-api",
        region,
        credentials: temporary,
        sha256: Sha256,
      });
      const presigned = await signer.presign(
        {
          method: "GET",
          protocol: "http:",
          hostname: "127.0.0.1",
          path: "/alpha/iam",
          query: {},
          headers: { host: "127.0.0.1:3000" },
        },
        { signingDate: now, expiresIn: 300 },
      );
      const request = presignedGet(presigned.query);
      expect(request.rawQuery).toContain("X-Amz-Security-Token=");
      expect(await verifyAny(request)).toMatchObject({ ok: true, accessKeyId: temporary.accessKeyId });
      expect(
        await verifyAny({
          ...request,
          rawQuery: request.rawQuery.replace(/X-Amz-Security-Token=[^&]*/, "X-Amz-Security-Token=x"),
        }),
      ).toMatchObject({ reason: "invalid-token" });
    });
  });
});
