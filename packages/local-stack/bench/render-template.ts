import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { GatewayInput, MappingTemplate, templateContext } from "../src/gateway/vtl";

/**
 * The cost of rendering one mapping template: the comments listing's response template over a
 * DynamoDB Query answer of 20 items, and its request template with a nextToken to check, each
 * parsed once as the gateway does at start, rendered N times. `--json` prints the figures as JSON.
 */

const REPO = join(__dirname, "..", "..", "..");
const RENDERS = 5000;

interface ListingTemplates {
  request: string;
  response: string;
}

function listingTemplates(): ListingTemplates {
  const text = readFileSync(join(REPO, "src", "comments", "template.yaml"), "utf8");
  // The template's intrinsics (!Sub, !GetAtt...) do not matter here: read them as plain values.
  const customTags = ["Sub", "GetAtt", "Ref", "If", "Equals"].map((name) => ({
    tag: `!${name}`,
    resolve: (value: unknown) => value,
  }));
  const template = parse(text, { customTags, logLevel: "error" }) as {
    Resources: {
      CommentsApi: { Properties: { DefinitionBody: { paths: Record<string, Record<string, unknown>> } } };
    };
  };
  const get = template.Resources.CommentsApi.Properties.DefinitionBody.paths["/profiles/{userId}/comments"]
    ?.get as {
    "x-amazon-apigateway-integration": {
      requestTemplates: Record<string, string>;
      responses: { default: { responseTemplates: Record<string, string> } };
    };
  };
  const integration = get["x-amazon-apigateway-integration"];
  const request = integration.requestTemplates["application/json"];
  const response = integration.responses.default.responseTemplates["application/json"];
  if (!request || !response) throw new Error("no listing templates");
  return { request, response };
}

const items = Array.from({ length: 20 }, (_, index) => ({
  profileUserId: { S: "user-1" },
  commentId: { S: `0000000${index}-aaaa-bbbb-cccc-dddddddddddd` },
  authorId: { S: "author-1" },
  authorName: { S: "bench" },
  message: { S: `comment ${index}: "quotes", 'apostrophes', </script> and 🙂` },
  createdAt: { N: String(1796118332123 + index) },
}));
const body = JSON.stringify({ Items: items, Count: 20, LastEvaluatedKey: items[19] });
const sources = listingTemplates();
const context = templateContext({
  requestId: "bench",
  requestTime: new Date(),
  accountId: "000000000000",
  apiId: "bench",
  stage: "local",
  httpMethod: "GET",
  resourcePath: "/profiles/{userId}/comments",
  path: "/profiles/user-1/comments",
  sourceIp: "127.0.0.1",
});
const nextToken = Buffer.from(`1796118332142.${items[19]?.commentId.S}.user-1`).toString("base64url");

/** Mean microseconds per render of `source` over `input`, after a warm-up, as the gateway renders it. */
function measure(source: string, input: GatewayInput, check: (rendered: string) => boolean): number {
  const template = MappingTemplate.compile(source);
  const render = () => template.render({ input, context, stageVariables: { commentsTable: "bench" } });
  if (!check(render().body)) throw new Error("bad render");
  for (let index = 0; index < 500; index++) render();
  const started = process.hrtime.bigint();
  for (let index = 0; index < RENDERS; index++) render();
  return Number(process.hrtime.bigint() - started) / 1000 / RENDERS;
}

const figures = {
  renders: RENDERS,
  responseMicros: measure(
    sources.response,
    new GatewayInput(body, { path: { userId: "user-1" }, querystring: {}, header: {} }),
    (rendered) => (JSON.parse(rendered) as { comments: unknown[] }).comments.length === 20,
  ),
  requestMicros: measure(
    sources.request,
    new GatewayInput("", { path: { userId: "user-1" }, querystring: { limit: "20", nextToken }, header: {} }),
    (rendered) => (JSON.parse(rendered) as { Limit: number }).Limit === 20,
  ),
};
if (process.argv.includes("--json")) {
  process.stdout.write(`${JSON.stringify(figures)}\n`);
} else {
  process.stdout.write(
    `render, mean of ${RENDERS}: the listing's response template (20 items) ${figures.responseMicros.toFixed(0)} µs, its request template (with a nextToken) ${figures.requestMicros.toFixed(0)} µs\n`,
  );
}
