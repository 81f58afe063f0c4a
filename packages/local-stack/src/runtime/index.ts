export * from "./bundle";
export * from "./runtime";
