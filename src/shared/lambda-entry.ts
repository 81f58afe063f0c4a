/**
 * A function's exported `handler`: its dependencies are built from its
 * configuration on the first invocation and kept for the execution
 * environment's life. Built on first use, not at import, so a handler module
 * can be imported (by a unit test, to call its factory with fakes) without
 * any configuration; a misconfigured function still fails its first
 * invocation loudly, and again on every later one until it is fixed.
 */
// biome-ignore lint/suspicious/noExplicitAny: any handler signature, preserved as is.
export function lazyHandler<Handler extends (...args: any[]) => Promise<unknown>>(
  build: () => Handler,
): Handler {
  let built: Handler | undefined;
  return ((...args: Parameters<Handler>) => {
    built ??= build();
    return built(...args);
  }) as Handler;
}
