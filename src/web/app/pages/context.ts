import type { Session } from "../session";

export interface PageContext {
  session: Session | null;
  navigate(path: string): void;
  /** Called when sign-in state changes, so the header follows. */
  sessionChanged(): void;
}
