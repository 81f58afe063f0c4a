import { benchEnvironment, main } from "../../../tools/bench-cold";
import { outcomeOf } from "../../../tools/lib/cli";
import { listFunctions } from "../../../tools/lib/functions";
import { loadServices } from "../../../tools/lib/project";

/**
 * `npm run bench:cold` gives each function the variables its templates give
 * it, nested stacks' parameters included: once a nested template's variable
 * came from its parent, the benchmark failed at the first function until
 * someone ran it.
 */

const STUB = "http://127.0.0.1:1";
const services = loadServices();

test("every function's variables resolve as its templates set them, each naming its service to Powertools", () => {
  const functions = services.flatMap((service) => listFunctions(service).map((spec) => ({ service, spec })));
  expect(functions.length).toBeGreaterThan(10);
  const named = functions.map(({ service, spec }) => [
    `${service.name}/${spec.logicalId}`,
    benchEnvironment(service, spec, STUB).POWERTOOLS_SERVICE_NAME,
  ]);
  expect(named).toEqual(
    functions.map(({ service, spec }) => [`${service.name}/${spec.logicalId}`, service.name]),
  );
});

test("a nested stack's function gets what its parent passes: the hook's smoke requests and the registrar's functions", () => {
  const location = services.find((service) => service.name === "location");
  if (!location) throw new Error("no location service");
  const byId = new Map(listFunctions(location).map((spec) => [spec.logicalId, spec]));
  const hook = benchEnvironment(location, byId.get("PreTrafficHookFunction") as never, STUB);
  expect(JSON.parse(hook.SMOKE_REQUESTS ?? "")).toEqual({
    "bench-PutLocationFunction": "api",
    "bench-GetLocationFunction": "api",
    "meridian-dev-location-registrar": "schedule",
  });
  const registrar = benchEnvironment(location, byId.get("RegistrarFunction") as never, STUB);
  expect(registrar).toMatchObject({
    SERVICE_NAME: "location",
    FUNCTION_NAMES: "bench-PutLocationFunction,bench-GetLocationFunction,bench-PreTrafficHookFunction",
    CATALOG_API_URL: `${STUB}/dev`,
    POWERTOOLS_SERVICE_NAME: "location",
  });
});

test("Lambda's own variables are set as Lambda sets them: GetService validates its function version at cold start", () => {
  const catalog = services.find((service) => service.name === "catalog");
  const getService =
    catalog && listFunctions(catalog).find((spec) => spec.logicalId === "GetServiceFunction");
  if (!catalog || !getService) throw new Error("no catalog GetServiceFunction");
  expect(benchEnvironment(catalog, getService, STUB)).toMatchObject({
    AWS_LAMBDA_FUNCTION_NAME: "GetServiceFunction",
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
  });
});

test("npm run bench:cold measures a nested stack's function beside its baseline", async () => {
  const printed: string[] = [];
  const log = jest
    .spyOn(console, "log")
    .mockImplementation((line: unknown) => void printed.push(String(line)));
  const progress = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
  try {
    const outcome = await outcomeOf(main, ["--runs", "1", "--only", "location/PreTrafficHookFunction"]);
    expect(outcome).toEqual({ code: undefined, stderr: "" });
  } finally {
    log.mockRestore();
    progress.mockRestore();
  }
  expect(printed.join("\n")).toMatch(
    /^location\/PreTrafficHookFunction +[\d.]+ KiB +\d+ ms +\d+ ms +[\d.]+x +pretraffic/m,
  );
}, 120_000);
