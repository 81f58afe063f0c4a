export * from "./aws-auth";
export * from "./callers";
export * from "./identity-policy";
export * from "./node-sha256";
export * from "./policy";
export * from "./resource-policy";
export * from "./sigv4";
