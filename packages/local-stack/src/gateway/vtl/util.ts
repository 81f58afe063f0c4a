/**
 * `$util`, as API Gateway documents it. escapeJavaScript follows Apache Commons Lang's
 * `StringEscapeUtils.escapeJavaScript` (what the JVM behind API Gateway uses): `'` becomes `\'`,
 * which JSON does not allow, so templates that build JSON undo it with
 * `.replaceAll("\\'","'")` as AWS's own reference shows; with that fix-up the result is a valid
 * JSON string body for any input (control characters, `/` and everything above U+007F escaped as
 * `\uXXXX`, UTF-16 code units, so emoji survive as surrogate pairs).
 */

export class TemplateRuntimeError extends Error {}

const hex4 = (code: number): string => code.toString(16).toUpperCase().padStart(4, "0");

const SHORT_ESCAPES: Record<string, string> = {
  "\b": "\\b",
  "\n": "\\n",
  "\t": "\\t",
  "\f": "\\f",
  "\r": "\\r",
  "'": "\\'",
  '"': '\\"',
  "\\": "\\\\",
  "/": "\\/",
};

export function escapeJavaScript(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = String(value);
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    const code = text.charCodeAt(i);
    const short = SHORT_ESCAPES[char];
    if (short) out += short;
    else if (code < 0x20 || code > 0x7f) out += `\\u${hex4(code)}`;
    else out += char;
  }
  return out;
}

/** `java.net.URLEncoder.encode(s, "UTF-8")`: application/x-www-form-urlencoded. */
export function urlEncode(value: unknown): string {
  const text = value === null || value === undefined ? "" : String(value);
  let encoded: string;
  try {
    encoded = encodeURIComponent(text);
  } catch {
    throw new TemplateRuntimeError("urlEncode: the string is not valid UTF-16 (a lone surrogate)");
  }
  return encoded
    .replace(/[!'()~]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
    .replaceAll("%20", "+");
}

/** `java.net.URLDecoder.decode(s, "UTF-8")`: `+` is a space; a malformed `%` escape is an error. */
export function urlDecode(value: unknown): string {
  const text = value === null || value === undefined ? "" : String(value);
  try {
    return decodeURIComponent(text.replaceAll("+", " "));
  } catch {
    throw new TemplateRuntimeError("urlDecode: malformed %-escape");
  }
}

function base64Encode(value: unknown): string {
  const text = value === null || value === undefined ? "" : String(value);
  return Buffer.from(text, "utf8").toString("base64");
}

const BASE64 = /^[A-Za-z0-9+/]*$/;

/** Strict, as `java.util.Base64`'s decoder: an illegal character or bad padding is an error, never skipped. */
export function base64Decode(value: unknown): string {
  const text = value === null || value === undefined ? "" : String(value);
  const unpadded = text.replace(/={1,2}$/, "");
  const padded = text.length !== unpadded.length;
  if (!BASE64.test(unpadded) || unpadded.length % 4 === 1 || (padded && text.length % 4 !== 0)) {
    throw new TemplateRuntimeError("base64Decode: not a base64 string");
  }
  return Buffer.from(unpadded, "base64").toString("utf8");
}

function parseJson(value: unknown): unknown {
  try {
    return JSON.parse(String(value));
  } catch {
    throw new TemplateRuntimeError("parseJson: not JSON");
  }
}

/** The `$util` object templates see; methods on a class so no data method handler takes them over. */
export class GatewayUtil {
  escapeJavaScript(value: unknown): string {
    return escapeJavaScript(value);
  }
  parseJson(value: unknown): unknown {
    return parseJson(value);
  }
  urlEncode(value: unknown): string {
    return urlEncode(value);
  }
  urlDecode(value: unknown): string {
    return urlDecode(value);
  }
  base64Encode(value: unknown): string {
    return base64Encode(value);
  }
  base64Decode(value: unknown): string {
    return base64Decode(value);
  }
}

export const UTIL_FUNCTIONS = new Set([
  "escapeJavaScript",
  "parseJson",
  "urlEncode",
  "urlDecode",
  "base64Encode",
  "base64Decode",
]);
