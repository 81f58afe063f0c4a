import {
  createLogger,
  createObservability,
  loadLoggerConfig,
  loadObservabilityConfig,
  MetricUnit,
} from "../../../../src/shared/observability";
import { captureOutput } from "../../../support/handler-test";

// What every service template's Globals give a function.
const TEMPLATE_VARIABLES = {
  POWERTOOLS_SERVICE_NAME: "location",
  POWERTOOLS_METRICS_NAMESPACE: "Meridian/dev",
  POWERTOOLS_LOG_LEVEL: "WARN",
};

describe("the Powertools variables, read once by a composition root", () => {
  test("are the config the Logger and Metrics are built from", () => {
    expect(loadObservabilityConfig(TEMPLATE_VARIABLES)).toEqual(TEMPLATE_VARIABLES);
    expect(loadLoggerConfig({ POWERTOOLS_SERVICE_NAME: "pipeline-deployer" })).toEqual({
      POWERTOOLS_SERVICE_NAME: "pipeline-deployer",
      POWERTOOLS_LOG_LEVEL: undefined,
    });
  });

  test.each([
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_NAMESPACE",
  ])("a missing or empty %s fails loudly, naming it", (name) => {
    expect(() => loadObservabilityConfig({ ...TEMPLATE_VARIABLES, [name]: undefined })).toThrow(
      `Invalid configuration: ${name}`,
    );
    expect(() => loadObservabilityConfig({ ...TEMPLATE_VARIABLES, [name]: "" })).toThrow(name);
  });
});

describe("createObservability", () => {
  const output = captureOutput();

  test("logs at the configured level under the service name", () => {
    const { logger } = createObservability(loadObservabilityConfig(TEMPLATE_VARIABLES));
    expect(logger.getLevelName()).toBe("WARN");
    logger.info("not at WARN");
    logger.warn("at WARN");
    expect(output.logs()).toEqual([
      expect.objectContaining({ level: "WARN", message: "at WARN", service: "location" }),
    ]);
  });

  test("without a level, Powertools' default: INFO", () => {
    expect(createLogger(loadLoggerConfig({ POWERTOOLS_SERVICE_NAME: "web" })).getLevelName()).toBe("INFO");
  });

  test("emits EMF in the configured namespace with the service dimension the alarms use", () => {
    const { metrics } = createObservability(loadObservabilityConfig(TEMPLATE_VARIABLES));
    metrics.addMetric("LocationUpdated", MetricUnit.Count, 1);
    metrics.publishStoredMetrics();
    const [document, ...others] = output.emf();
    expect(others).toEqual([]);
    expect(document?._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: "Meridian/dev",
        Dimensions: [["service"]],
        Metrics: [{ Name: "LocationUpdated", Unit: "Count" }],
      },
    ]);
    expect(document).toMatchObject({ service: "location", LocationUpdated: 1 });
  });
});
