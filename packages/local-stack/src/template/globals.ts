/** SAM Globals: maps merge (the resource wins), lists concatenate, scalars are overridden. */
export function mergeGlobals(globals: unknown, local: unknown): unknown {
  if (local === undefined) return globals;
  if (globals === undefined) return local;
  if (Array.isArray(globals) && Array.isArray(local)) return [...globals, ...local];
  if (isPlainMap(globals) && isPlainMap(local) && !isIntrinsic(globals) && !isIntrinsic(local)) {
    const out: Record<string, unknown> = { ...globals };
    for (const [key, value] of Object.entries(local)) out[key] = mergeGlobals(globals[key], value);
    return out;
  }
  return local;
}

export function isPlainMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function isIntrinsic(value: Record<string, unknown>): boolean {
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === "Ref" || (keys[0]?.startsWith("Fn::") ?? false));
}
