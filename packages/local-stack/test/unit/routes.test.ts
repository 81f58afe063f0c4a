import { RouteTable } from "../../src/gateway/routes";

function table(): RouteTable<string> {
  const routes = new RouteTable<string>();
  routes.add("GET", "/users", "list");
  routes.add("POST", "/users", "create");
  routes.add("GET", "/users/{userId}", "get");
  routes.add("ANY", "/users/{userId}", "any");
  routes.add("GET", "/users/me", "me");
  routes.add("GET", "/users/{userId}/posts/{postId}", "post");
  routes.add("ANY", "/files/{proxy+}", "files");
  routes.add("GET", "/", "root");
  return routes;
}

describe("RouteTable", () => {
  test("literal beats {param} beats {proxy+}; params are captured", () => {
    const routes = table();
    expect(routes.match("GET", ["users", "me"])).toMatchObject({
      value: "me",
      resourcePath: "/users/me",
      params: {},
    });
    expect(routes.match("GET", ["users", "u1"])).toMatchObject({
      value: "get",
      resourcePath: "/users/{userId}",
      params: { userId: "u1" },
    });
    expect(routes.match("GET", ["users", "u1", "posts", "p2"])).toMatchObject({
      value: "post",
      params: { userId: "u1", postId: "p2" },
    });
    expect(routes.match("PUT", ["files", "a", "b"])).toMatchObject({
      value: "files",
      resourcePath: "/files/{proxy+}",
      params: { proxy: "a/b" },
    });
    expect(routes.match("GET", [])).toMatchObject({ value: "root", resourcePath: "/" });
  });

  test("a specific method beats ANY on the same resource", () => {
    const routes = table();
    expect(routes.match("GET", ["users", "u1"])).toMatchObject({ value: "get" });
    expect(routes.match("DELETE", ["users", "u1"])).toMatchObject({ value: "any" });
  });

  test("the most specific resource is chosen first; a method it lacks is not looked for elsewhere", () => {
    const routes = table();
    // API Gateway picks /users/me, which has no POST: it does not fall back to /users/{userId}'s ANY.
    expect(routes.match("POST", ["users", "me"])).toEqual({
      kind: "no-method",
      resourcePath: "/users/me",
      methods: ["GET"],
    });
    expect(routes.match("DELETE", ["users"])).toEqual({
      kind: "no-method",
      resourcePath: "/users",
      methods: ["GET", "POST"],
    });
  });

  test("no resource: unknown paths, empty segments, a bare greedy parent", () => {
    const routes = table();
    expect(routes.match("GET", ["nope"]).kind).toBe("no-resource");
    expect(routes.match("GET", ["users", ""]).kind).toBe("no-resource");
    expect(routes.match("GET", ["files"]).kind).toBe("no-resource");
  });

  test("duplicates and malformed paths are rejected when added", () => {
    const routes = table();
    expect(() => routes.add("GET", "/users", "again")).toThrow(/Duplicate route GET \/users/);
    expect(() => routes.add("GET", "/a/{proxy+}/b", "x")).toThrow(/must be the last part/);
    expect(() => routes.add("GET", "/users/{id}", "x")).toThrow(/already uses \{userId\}/);
    expect(() => routes.add("GET", "/bad{part", "x")).toThrow(/not a valid path part/);
  });
});
