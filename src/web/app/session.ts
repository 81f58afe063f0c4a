/**
 * The signed-in user: the token lives in this tab's sessionStorage only (never
 * a cookie), so other origins and other tabs never see it.
 */
export interface Session {
  token: string;
  userId: string;
  username: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

const KEY = "meridian.session";

function decodePayload(token: string): Record<string, unknown> {
  const part = token.split(".")[1];
  if (!part) throw new Error("The token is not a JWT");
  const base64 = part.replace(/-/g, "+").replace(/_/g, "/");
  const bytes = Uint8Array.from(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "=")), (c) =>
    c.charCodeAt(0),
  );
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}

/** Reads who the token is for; the API verifies it, this is only for showing the right pages. */
export function sessionFromToken(token: string, expiresInSeconds: number): Session {
  const claims = decodePayload(token);
  if (typeof claims.sub !== "string" || typeof claims.username !== "string") {
    throw new Error("The token names no user");
  }
  return {
    token,
    userId: claims.sub,
    username: claims.username,
    expiresAt: Date.now() + expiresInSeconds * 1000,
  };
}

export function currentSession(): Session | null {
  const stored = sessionStorage.getItem(KEY);
  if (!stored) return null;
  try {
    const session = JSON.parse(stored) as Session;
    if (session.expiresAt > Date.now()) return session;
  } catch {
    // A damaged entry is the same as none.
  }
  sessionStorage.removeItem(KEY);
  return null;
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}
