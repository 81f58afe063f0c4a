import {
  base64Decode,
  escapeJavaScript,
  GatewayInput,
  MappingTemplate,
  type RequestParameters,
  TemplateRuntimeError,
  TemplateUnsupported,
  templateContext,
  urlDecode,
  urlEncode,
} from "../../src/gateway/vtl";

const NO_PARAMS: RequestParameters = { path: {}, querystring: {}, header: {} };

function render(
  source: string,
  options: {
    body?: string;
    params?: Partial<RequestParameters>;
    context?: Record<string, unknown>;
    stageVariables?: Record<string, string>;
  } = {},
) {
  const template = MappingTemplate.compile(source);
  return template.render({
    input: new GatewayInput(options.body ?? "", { ...NO_PARAMS, ...options.params }),
    context: options.context ?? {},
    stageVariables: options.stageVariables ?? {},
  });
}

const out = (source: string, options?: Parameters<typeof render>[1]): string => render(source, options).body;

// What a comment can hold; every template that builds JSON must carry it through byte for byte.
const HOSTILE = `He said "hi" & it's 'fine' \\ back\\slash\nnew line\ttab 🙂 </script> \${x} #set($a = 1) $util \u0001 \u2028 /`;

describe("$util, as API Gateway documents it", () => {
  it.each([
    ["it's", "it\\'s"],
    ['say "x"', 'say \\"x\\"'],
    ["a\\b", "a\\\\b"],
    ["</script>", "<\\/script>"],
    ["line\nbreak\ttab\r", "line\\nbreak\\ttab\\r"],
    ["\u0001", "\\u0001"],
    ["é", "\\u00E9"],
    ["🙂", "\\uD83D\\uDE42"],
    ["plain text 123", "plain text 123"],
  ])("escapeJavaScript(%j) is %j (Commons Lang rules: ' becomes \\')", (input, expected) => {
    expect(escapeJavaScript(input)).toBe(expected);
  });

  it("escapeJavaScript with AWS's documented fix-up yields a JSON string that round-trips any text", () => {
    const rendered = out(`{"m": "$util.escapeJavaScript($input.path('$.m')).replaceAll("\\\\'","'")"}`, {
      body: JSON.stringify({ m: HOSTILE }),
    });
    expect(JSON.parse(rendered)).toEqual({ m: HOSTILE });
  });

  it("escapeJavaScript alone is not JSON: the escaped quote breaks JSON.parse", () => {
    const rendered = out(`{"m": "$util.escapeJavaScript($input.path('$.m'))"}`, { body: '{"m":"it\'s"}' });
    expect(() => JSON.parse(rendered)).toThrow();
  });

  it.each([
    ["a b", "a+b"],
    ["a+b&c=d/e?f", "a%2Bb%26c%3Dd%2Fe%3Ff"],
    ["*-._", "*-._"],
    ["!'()~", "%21%27%28%29%7E"],
    ["é🙂", "%C3%A9%F0%9F%99%82"],
  ])("urlEncode(%j) is form encoding: %j", (input, expected) => {
    expect(urlEncode(input)).toBe(expected);
    expect(urlDecode(expected)).toBe(input);
  });

  it("urlDecode turns + into a space and refuses a malformed escape", () => {
    expect(urlDecode("a+b%20c")).toBe("a b c");
    expect(() => urlDecode("%E0%A4%A")).toThrow(TemplateRuntimeError);
  });

  it("base64 round-trips UTF-8 and refuses what is not base64 instead of skipping characters", () => {
    expect(out("$util.base64Encode('héllo 🙂')")).toBe("aMOpbGxvIPCfmYI=");
    expect(out("$util.base64Decode('aMOpbGxvIPCfmYI=')")).toBe("héllo 🙂");
    expect(base64Decode("aGk")).toBe("hi");
    for (const bad of ["a", "a$b=", "aGk=x", "aG=k"])
      expect(() => base64Decode(bad)).toThrow(TemplateRuntimeError);
  });

  it("parseJson gives an object templates can navigate (the documented errorMessage example)", () => {
    const body = JSON.stringify({ errorMessage: JSON.stringify({ key1: "var1", key2: { arr: [1, 2, 3] } }) });
    const template = `#set ($errorMessageObj = $util.parseJson($input.path('$.errorMessage')))
{"errorMessageObjKey2ArrVal" : $errorMessageObj.key2.arr[0]}`;
    expect(JSON.parse(out(template, { body }))).toEqual({ errorMessageObjKey2ArrVal: 1 });
  });
});

describe("$input", () => {
  const params: RequestParameters = {
    path: { id: "abc" },
    querystring: { name: "query-name", id: "shadowed" },
    header: { "X-Name": "header-name" },
  };

  it("params(x) searches path, then query string, then headers; a missing one is an empty string", () => {
    expect(
      out("$input.params('id')|$input.params('name')|$input.params('x-name')|[$input.params('nope')]", {
        params,
      }),
    ).toBe("abc|query-name|header-name|[]");
  });

  it("params() is the map of path, querystring and header maps (the documented pass-through template)", () => {
    const template = `#set($allParams = $input.params())
{"params":{#foreach($type in $allParams.keySet())#set($params = $allParams.get($type))
"$type":{#foreach($paramName in $params.keySet())"$paramName":"$util.escapeJavaScript($params.get($paramName))"#if($foreach.hasNext),#end#end}#if($foreach.hasNext),#end#end}}`;
    expect(JSON.parse(out(template, { params }))).toEqual({ params });
  });

  it("the documented /things/{id} example: path, json and size()", () => {
    const template = `{
    "id" : "$input.params('id')",
    "count" : "$input.path('$.things').size()",
    "things" : $input.json('$.things')
}`;
    const body = JSON.stringify({ things: { 1: {}, 2: {}, 3: {} } });
    expect(JSON.parse(out(template, { body, params }))).toEqual({
      id: "abc",
      count: "3",
      things: { 1: {}, 2: {}, 3: {} },
    });
  });

  it("json(x) is JSON text, path(x) a value; $input.body is the raw payload", () => {
    const body = '{"a":{"b":[1,"two",{"c":null}]},"s":"q\\"uote"}';
    expect(out("$input.json('$.a.b')")).toBe("");
    expect(out("$input.json('$.a.b')", { body })).toBe('[1,"two",{"c":null}]');
    expect(out("$input.json('$.s')", { body })).toBe('"q\\"uote"');
    expect(out(`$input.path('$.a.b[1]')|$input.path("$['s']")`, { body })).toBe('two|q"uote');
    expect(out("$input.body", { body })).toBe(body);
  });

  it("an empty body reads as {}", () => {
    expect(out("$input.json('$')")).toBe("{}");
    expect(out("$input.path('$').size()")).toBe("0");
  });

  it("a body that is not JSON fails $input.path with API Gateway's message", () => {
    expect(() => out("$input.path('$.a')", { body: "{oops" })).toThrow(
      "Could not parse request body into json",
    );
    expect(out("$input.body", { body: "{oops" })).toBe("{oops");
  });

  it("a missing value renders as nothing, never as null", () => {
    expect(
      out("[$input.path('$.missing')][$input.path('$.n')][$context.nothing][$stageVariables.none]", {
        body: '{"n":null}',
      }),
    ).toBe("[][][][]");
  });
});

describe("$context and $stageVariables", () => {
  const context = templateContext({
    requestId: "req-1",
    requestTime: new Date("2026-12-01T09:45:32.123Z"),
    accountId: "000000000000",
    apiId: "abcdef1234",
    stage: "local",
    httpMethod: "POST",
    resourcePath: "/profiles/{userId}/comments",
    path: "/profiles/u1/comments",
    sourceIp: "127.0.0.1",
    authorizer: { principalId: "u2", userId: "u2", username: "bob", numKey: 1, boolKey: true },
  });

  it("carries the request's facts; authorizer context values are stringified", () => {
    expect(
      out(
        "$context.requestId $context.requestTimeEpoch $context.requestTime $context.stage $context.httpMethod $context.resourcePath $context.path $context.identity.sourceIp $context.authorizer.principalId $context.authorizer.username",
        { context },
      ),
    ).toBe(
      "req-1 1796118332123 01/Dec/2026:09:45:32 +0000 local POST /profiles/{userId}/comments /local/profiles/u1/comments 127.0.0.1 u2 bob",
    );
    expect(
      out('#if($context.authorizer.numKey == "1" && $context.authorizer.boolKey == "true")yes#end', {
        context,
      }),
    ).toBe("yes");
  });

  it("responseOverride.status and .header are what the template set, in range only", () => {
    expect(
      render(
        '#set($context.responseOverride.status = 404)#set($context.responseOverride.header.Retry-After = "5")x',
      ).responseOverride,
    ).toEqual({
      status: 404,
      header: { "Retry-After": "5" },
    });
    expect(render("#set($context.responseOverride.status = 42)x").responseOverride).toEqual({ header: {} });
    expect(render("x").responseOverride).toEqual({ header: {} });
  });

  it("stage variables by name, by index and inside strings", () => {
    const stageVariables = { table: "meridian-local-comments", "odd-name": "v" };
    expect(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: VTL's ${...}, not a JavaScript template
      out("$stageVariables.table|$stageVariables['odd-name']|${stageVariables.table}x", { stageVariables }),
    ).toBe("meridian-local-comments|v|meridian-local-commentsx");
  });
});

describe("Java methods on template values", () => {
  it.each([
    ["'  hi \\t'.trim()", "  hi \t", "$s.trim()", "hi"],
    ["length() counts UTF-16 units", "a🙂", "$s.length()", "3"],
    ["replace is literal and replaces all", "a.b.c", "$s.replace('.', '-')", "a-b-c"],
    [
      "replaceAll is a regex with Java groups",
      "2026-12-01",
      '$s.replaceAll("(\\d+)-(\\d+)-(\\d+)", "$3/$2/$1")',
      "01/12/2026",
    ],
    ["replaceFirst", "aaa", '$s.replaceFirst("a", "b")', "baa"],
    [
      "matches is a whole-string match",
      "abc123",
      '$s.matches("[a-z]+[0-9]+")|$s.matches("[a-z]+")',
      "true|false",
    ],
    ["split drops trailing empty strings", "a,b,,", '$s.split(",").size()', "2"],
    ["substring and indexOf", "key=value", "$s.substring($s.indexOf('=')).substring(1)", "value"],
    [
      "startsWith, endsWith, contains",
      "hello",
      "$s.startsWith('he') $s.endsWith('lo') $s.contains('ll')",
      "true true true",
    ],
    [
      "toUpperCase, toLowerCase, isEmpty",
      "MiXed",
      "$s.toUpperCase() $s.toLowerCase() $s.isEmpty()",
      "MIXED mixed false",
    ],
  ])("%s", (_name, value, template, expected) => {
    expect(out(`#set($s = $input.path('$.s'))${template}`, { body: JSON.stringify({ s: value }) })).toBe(
      expected,
    );
  });

  it("lists and maps: size, get, isEmpty, keySet, containsKey, #foreach with $foreach.hasNext", () => {
    const body = JSON.stringify({ items: [{ a: 1 }, { a: 2 }, { a: 3 }], map: { x: "1", y: "2" } });
    expect(
      out(
        "#set($l = $input.path('$.items'))#set($m = $input.path('$.map'))$l.size() $l.get(1).a $l.isEmpty() $m.keySet() $m.containsKey('x') $m.get('nope') [#foreach($i in $l)$i.a#if($foreach.hasNext),#end#end]",
        { body },
      ),
    ).toBe("3 2 false [x, y] true  [1,2,3]");
  });

  it("an out-of-range get fails the template, as the JVM would", () => {
    expect(() => out("$input.path('$.l').get(5)", { body: '{"l":[1]}' })).toThrow(TemplateRuntimeError);
  });
});

describe("templates are code, data is not", () => {
  it("VTL in a value is never evaluated", () => {
    const rendered = out(`"$util.escapeJavaScript($input.path('$.m')).replaceAll("\\\\'","'")"`, {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: VTL's ${...}, not a JavaScript template
      body: JSON.stringify({ m: "#set($x = 'pwned')$x ${context.requestId} $util.base64Encode('a')" }),
      context: { requestId: "r" },
    });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: VTL's ${...}, not a JavaScript template
    expect(JSON.parse(rendered)).toBe("#set($x = 'pwned')$x ${context.requestId} $util.base64Encode('a')");
  });
});

describe("what the local stack cannot run is reported and fails closed", () => {
  it.each([
    ["#include('x.vm')", "#include is not supported"],
    ["#evaluate('$x')", "#evaluate is not supported"],
    ["$util.escapeHtml('x')", "$util.escapeHtml does not exist in API Gateway"],
    ["$input.headers", "$input.headers does not exist"],
    ["$input.path('$..a')", "JSONPath '$..a' is not supported locally"],
    ["$context.requestOverride.header.x", "$context.requestOverride is not supported locally"],
    ["$input.path('$.a').codePointAt(0)", "method .codePointAt() is not implemented locally"],
    ["$nobody", "$nobody is never set"],
    ["#if(", "not valid VTL"],
  ])("%s", (source, finding) => {
    const template = MappingTemplate.compile(source);
    expect(template.unsupported.join("; ")).toContain(finding);
    expect(() =>
      template.render({ input: new GatewayInput("{}", NO_PARAMS), context: {}, stageVariables: {} }),
    ).toThrow(TemplateUnsupported);
  });

  it("a template with locals, loops and macros has nothing to report", () => {
    const template = MappingTemplate.compile(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: VTL's ${...}, not a JavaScript template
      "#macro(q $v)\"$v\"#end#set($items = $input.path('$.Items'))#foreach($item in $items)#q($item.id.S)#end ${stageVariables.t}",
    );
    expect(template.unsupported).toEqual([]);
  });
});
