import * as z from "zod";

/**
 * Reads and validates environment variables once, at cold start. A missing or
 * malformed variable throws while the module loads, so a misconfigured
 * function fails its first invocation loudly instead of misbehaving later.
 */
export function loadConfig<Shape extends z.ZodRawShape>(
  shape: Shape,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<Shape>> {
  const result = z.object(shape).safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`Invalid configuration: ${problems.join("; ")}`);
  }
  return result.data;
}

export const nonEmpty = z.string().min(1);
export const positiveInt = z.coerce.number().int().positive();
