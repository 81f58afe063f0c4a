export * from "./intrinsics";
export * from "./model";
export * from "./plan";
export * from "./resources";
export * from "./role-policy";
export * from "./static-sites";
