/**
 * API Gateway's resource tree: literal path parts win over `{param}`, which
 * wins over a greedy `{proxy+}`; a method is looked up on the matched
 * resource, falling back to ANY.
 */

interface Node<T> {
  literals: Map<string, Node<T>>;
  param?: { name: string; node: Node<T> };
  greedy?: { name: string; node: Node<T> };
  methods: Map<string, T>;
  resourcePath: string;
}

export type RouteMatch<T> =
  | { kind: "found"; value: T; resourcePath: string; params: Record<string, string> }
  | { kind: "no-method"; resourcePath: string; methods: string[] }
  | { kind: "no-resource" };

function node<T>(resourcePath: string): Node<T> {
  return { literals: new Map(), methods: new Map(), resourcePath };
}

export class RouteTable<T> {
  private readonly root: Node<T> = node("/");

  /** Adds `METHOD /path/{param}`; throws on a duplicate or a malformed path. */
  add(method: string, path: string, value: T): void {
    const parts = path.split("/").filter((part) => part !== "");
    let current = this.root;
    let resourcePath = "";
    parts.forEach((part, index) => {
      resourcePath += `/${part}`;
      const greedy = /^\{([A-Za-z0-9_.-]+)\+\}$/.exec(part);
      const param = /^\{([A-Za-z0-9_.-]+)\}$/.exec(part);
      if (greedy?.[1]) {
        if (index !== parts.length - 1) throw new Error(`${path}: {${greedy[1]}+} must be the last part`);
        current.greedy ??= { name: greedy[1], node: node(resourcePath) };
        if (current.greedy.name !== greedy[1])
          throw new Error(`${path}: conflicts with {${current.greedy.name}+}`);
        current = current.greedy.node;
      } else if (param?.[1]) {
        current.param ??= { name: param[1], node: node(resourcePath) };
        if (current.param.name !== param[1]) {
          throw new Error(`${path}: a sibling resource already uses {${current.param.name}} at this level`);
        }
        current = current.param.node;
      } else {
        if (/[{}]/.test(part)) throw new Error(`${path}: '${part}' is not a valid path part`);
        let next = current.literals.get(part);
        if (!next) {
          next = node(resourcePath);
          current.literals.set(part, next);
        }
        current = next;
      }
    });
    const upper = method.toUpperCase();
    if (current.methods.has(upper)) throw new Error(`Duplicate route ${upper} ${path}`);
    current.methods.set(upper, value);
  }

  /** `segments` are already percent-decoded. */
  match(method: string, segments: string[]): RouteMatch<T> {
    const params: Record<string, string> = {};
    const found = this.find(this.root, segments, 0, params);
    if (!found) return { kind: "no-resource" };
    const value = found.methods.get(method.toUpperCase()) ?? found.methods.get("ANY");
    if (value === undefined)
      return { kind: "no-method", resourcePath: found.resourcePath, methods: [...found.methods.keys()] };
    return { kind: "found", value, resourcePath: found.resourcePath, params };
  }

  private find(
    current: Node<T>,
    segments: string[],
    index: number,
    params: Record<string, string>,
  ): Node<T> | undefined {
    if (index === segments.length) return current.methods.size > 0 ? current : undefined;
    const segment = segments[index] ?? "";
    const literal = current.literals.get(segment);
    if (literal) {
      const found = this.find(literal, segments, index + 1, params);
      if (found) return found;
    }
    if (current.param && segment !== "") {
      const found = this.find(current.param.node, segments, index + 1, params);
      if (found) {
        params[current.param.name] = segment;
        return found;
      }
    }
    if (current.greedy && current.greedy.node.methods.size > 0) {
      params[current.greedy.name] = segments.slice(index).join("/");
      return current.greedy.node;
    }
    return undefined;
  }
}
