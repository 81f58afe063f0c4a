import { missingParameters, RequestModels } from "../../src/gateway/models/request-model";

const models = new RequestModels({
  Comment: {
    $schema: "http://json-schema.org/draft-04/schema#",
    type: "object",
    required: ["message"],
    additionalProperties: false,
    properties: { message: { type: "string", pattern: "\\S", maxLength: 10 } },
  },
  Broken: { type: "no-such-type" },
});

describe("request models (JSON Schema draft 4)", () => {
  it("accepts a body that matches", () => {
    expect(models.validateBody("Comment", '{"message":"hi"}')).toEqual({ ok: true });
  });

  it.each([
    ["", "must be object"],
    ["{oops", "Invalid JSON"],
    ["[]", "must be object"],
    ["{}", "must have required property 'message'"],
    ['{"message":7}', "must be string"],
    ['{"message":"   "}', "must match pattern"],
    ['{"message":"01234567890"}', "must NOT have more than 10 characters"],
    ['{"message":"x","extra":1}', "must NOT have additional properties"],
  ])("refuses %j as BAD_REQUEST_BODY (%s)", (body, reason) => {
    const outcome = models.validateBody("Comment", body);
    expect(outcome).toMatchObject({ ok: false, type: "BAD_REQUEST_BODY", message: "Invalid request body" });
    expect(outcome.ok === false && outcome.reasons).toContain(reason);
  });

  it("draft-4 keywords mean what draft 4 says: exclusiveMaximum is a boolean", () => {
    const draft4 = new RequestModels({ N: { type: "number", maximum: 5, exclusiveMaximum: true } });
    expect(draft4.validateBody("N", "5").ok).toBe(false);
    expect(draft4.validateBody("N", "4.9").ok).toBe(true);
  });

  it("reports a model that is not a schema", () => {
    expect(models.problems.join()).toContain("model Broken is not a valid JSON Schema draft 4");
    expect(models.has("Broken")).toBe(false);
  });

  it("required parameters: headers case-insensitively, others exactly", () => {
    const present = { querystring: { limit: "5" }, header: { Authorization: "x" }, path: {} };
    expect(
      missingParameters(["method.request.querystring.limit", "method.request.header.authorization"], present),
    ).toEqual({ ok: true });
    expect(missingParameters(["method.request.querystring.nextToken"], present)).toMatchObject({
      ok: false,
      type: "BAD_REQUEST_PARAMETERS",
      message: "Missing required request parameters: [nextToken]",
    });
  });
});
