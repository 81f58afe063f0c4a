/** What CloudFormation resolves itself: a template may use these without declaring them. */
export const PSEUDO_PARAMETERS: ReadonlySet<string> = new Set([
  "AWS::AccountId",
  "AWS::NotificationARNs",
  "AWS::NoValue",
  "AWS::Partition",
  "AWS::Region",
  "AWS::StackId",
  "AWS::StackName",
  "AWS::URLSuffix",
]);

export interface Reference {
  kind: "Ref" | "GetAtt" | "Sub" | "Condition";
  name: string;
  /** Where in the value it was found, e.g. `.Properties.Environment.Variables.TABLE`. */
  path: string;
  /** Conditions under which this reference is evaluated (enclosing Fn::If branches, plus what the caller passed). */
  guards: Set<string>;
}

/** Every intrinsic reference in a template value: Ref, Fn::GetAtt, Fn::Sub variables and conditions. */
export function references(value: unknown, path = "", guards = new Set<string>()): Reference[] {
  if (Array.isArray(value))
    return value.flatMap((item, index) => references(item, `${path}[${index}]`, guards));
  if (value === null || typeof value !== "object") return [];
  const found: Reference[] = [];
  for (const [key, inner] of Object.entries(value)) {
    if (key === "Ref" && typeof inner === "string") found.push({ kind: "Ref", name: inner, path, guards });
    else if (key === "Fn::GetAtt" && Array.isArray(inner))
      found.push({ kind: "GetAtt", name: String(inner[0]), path, guards });
    else if (key === "Condition" && typeof inner === "string")
      found.push({ kind: "Condition", name: inner, path, guards });
    else if (key === "Fn::If" && Array.isArray(inner)) {
      const [condition, whenTrue, whenFalse] = inner as [string, unknown, unknown];
      found.push({ kind: "Condition", name: condition, path, guards });
      found.push(...references(whenTrue, `${path}.Fn::If[1]`, new Set([...guards, condition])));
      found.push(...references(whenFalse, `${path}.Fn::If[2]`, guards));
    } else if (key === "Fn::Sub") {
      const [text, variables] = Array.isArray(inner) ? inner : [inner, {}];
      const local = new Set(Object.keys((variables ?? {}) as object));
      for (const match of String(text).matchAll(/\$\{([^!}][^}]*)\}/g)) {
        const name = (match[1] ?? "").split(".")[0] ?? "";
        if (!local.has(name)) found.push({ kind: "Sub", name, path, guards });
      }
      if (Array.isArray(inner)) found.push(...references(inner[1], `${path}.Fn::Sub`, guards));
    } else found.push(...references(inner, `${path}.${key}`, guards));
  }
  return found;
}
