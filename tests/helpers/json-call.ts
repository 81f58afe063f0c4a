/** A fetch whose reply body is parsed as JSON when it is JSON. */

export interface JsonReply {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: replies are asserted structurally
  body: any;
  text: string;
}

export async function call(
  method: string,
  url: string,
  options: { body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<JsonReply> {
  const response = await fetch(url, { method, headers: options.headers, body: options.body });
  const text = await response.text();
  let body: unknown;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, body, text };
}
