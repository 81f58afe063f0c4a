export { createBackends, type InvokeOutcome, type RoleCredentials } from "./backends";
export { type CompiledIntegration, compileApiIntegrations } from "./compile";
export { type IntegrationReply, runNonProxy } from "./run";
export { integrationRequest } from "./serve";
