/**
 * The local stack's public entry point: everything a project (its CLIs,
 * benchmarks and tests) may use. The folders behind it are internal.
 */

export { LOCAL_ACCOUNT_ID, LOCAL_HOST } from "./constants";
export { AwsError, LocalStackError, PortInUseError, type TakenPort, TemplateError } from "./errors";
export { evaluateIdentityPolicy, type IdentityDecision } from "./iam";
export type {
  CfnParameter,
  CfnResource,
  CfnTemplate,
  FunctionSpec,
  LocalProject,
  ProjectEnvironment,
  ProjectService,
  TemplateConfiguration,
} from "./project";
export {
  BUILD_ROOT_CACHES,
  type BuildResult,
  type BundleResult,
  buildFunction,
  buildFunctions,
  buildRootCache,
  buildRootCodeCacheDir,
  buildWorkerScript,
  bundleFunction,
  FunctionRuntime,
  type InvokeOutcome,
  runtimeFunction,
} from "./runtime";
export {
  DEFAULT_SCHEDULE_EVERY_MS,
  parseScheduleEvery,
  type ScheduleEvery,
  type ScheduleRun,
} from "./services";
export {
  type LocalFunctionInfo,
  type LocalStack,
  type LocalStackOptions,
  type StopServiceOptions,
  startLocalStack,
  withDependencies,
} from "./stack";
export {
  atLevel,
  createLogSink,
  type FunctionCredentials,
  isProcessAlive,
  type LocalCredentials,
  type LogEntry,
  type LogLevel,
  type LogsOption,
  readJsonFile,
  writeJsonFile,
} from "./support";
export {
  atOrigins,
  describeApis,
  evaluatorWithNested,
  expandLanguageExtensions,
  type FunctionDefinition,
  mergeGlobals,
  planService,
  type ResourceModel,
  type TemplateEvaluator,
} from "./template";
export { call, type JsonReply, signedFetch, startTestStack, type TestStack } from "./testing";
