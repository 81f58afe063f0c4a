import type { Server } from "node:net";
import { LOCAL_HOST } from "../constants";
import { PortInUseError } from "../errors";

/** Listens on 127.0.0.1; resolves to the bound port (useful with port 0). */
export function listen(server: Server, port: number, what: string, flag: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off("listening", onListening);
      reject(error.code === "EADDRINUSE" ? new PortInUseError({ port, what, flag }) : error);
    };
    const onListening = (): void => {
      server.off("error", onError);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, LOCAL_HOST);
  });
}

/** Closes a server and the keep-alive connections that would otherwise hold it open. */
export function closeServer(server: Server & { closeAllConnections?: () => void }): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}
