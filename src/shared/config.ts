import * as z from "./schema";

/** The typed config a function's environment shape validates into. */
export type ConfigOf<Shape extends z.core.$ZodLooseShape> = z.infer<z.ZodMiniObject<Shape>>;

/**
 * Validates a function's environment variables once, at cold start, into a
 * typed config. A missing or malformed variable throws, so a misconfigured
 * function fails its first invocation loudly instead of misbehaving later.
 */
export function loadConfig<Shape extends z.core.$ZodLooseShape>(
  shape: Shape,
  env: NodeJS.ProcessEnv = process.env,
): ConfigOf<Shape> {
  const result = z.object(shape).safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`Invalid configuration: ${problems.join("; ")}`);
  }
  return result.data;
}

export const nonEmpty = z.string().check(z.minLength(1));
export const positiveInt = z.coerce.number().check(z.int(), z.positive());

/** `https://host/stage/` -> `https://host/stage`, so a path can be appended with one "/". */
export function stripTrailingSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

/**
 * An http(s) base URL (an API's URL, stage included), trailing slash removed
 * once here so callers can append `/path` as is.
 */
export const baseUrl = z.pipe(z.url({ protocol: /^https?$/ }), z.transform(stripTrailingSlash));
