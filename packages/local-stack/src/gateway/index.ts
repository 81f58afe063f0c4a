export * from "./api-event";
export * from "./authorizer";
export * from "./gateway";
export * from "./responses";
export * from "./routes";
export * from "./static-site";
