import type { IncomingMessage } from "node:http";

/** The client hung up before its body arrived: there is nobody to answer. */
export class ClientGone extends Error {}

const DISCARD_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * Reads the body up to `limit`. Past it, the rest is discarded as it arrives
 * (never buffered) so the client can still read the 413, and the socket is
 * cut if it keeps sending far past the limit.
 */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer | "too-large"> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers["content-length"]);
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number.isFinite(declared) && declared > limit;
    const overflow = (): void => {
      tooLarge = true;
      chunks.length = 0;
      resolve("too-large");
    };
    if (tooLarge) overflow();
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (tooLarge) {
        if (size > limit + DISCARD_LIMIT_BYTES) request.socket.destroy();
        return;
      }
      if (size > limit) return overflow();
      chunks.push(chunk);
    });
    request.on("end", () => {
      if (!tooLarge) resolve(Buffer.concat(chunks));
    });
    request.on("error", () => {
      if (!tooLarge) reject(new ClientGone());
    });
    // A client that disconnects mid-body ends neither with 'end' nor always with 'error'.
    request.on("close", () => {
      if (!request.complete && !tooLarge) reject(new ClientGone());
    });
  });
}
