import { createServer } from "node:net";

/** Holds a loopback port for the duration of a describe block, to test what happens when one is taken. */
export function occupyPortDuringTests(): { port(): number } {
  const blocker = createServer();
  let port = 0;
  beforeAll(async () => {
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const address = blocker.address();
    port = typeof address === "object" && address ? address.port : 0;
  });
  afterAll(async () => {
    await new Promise((resolve) => blocker.close(resolve));
  });
  return { port: () => port };
}
