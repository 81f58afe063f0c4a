import type { JsonReply } from "@meridian/local-stack";

// The local stack's own JSON-reply fetch, for tests of the services it runs.
export { call, type JsonReply } from "@meridian/local-stack";

/** A JSON request: an object body is serialised, and a reply that is not JSON stays text in `body`. */
export async function jsonRequest(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonReply> {
  const response = await fetch(url, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    // left as text: the assertion shows what came back
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}
