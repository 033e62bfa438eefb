import { createContext, type ReactNode, useCallback, useContext, useEffect, useState } from "react";
import { ApiError, api } from "./api/client.ts";
import type { Me, Role } from "./api/types.ts";

const RANK: Record<Role, number> = { viewer: 0, marketer: 1, admin: 2, owner: 3 };

interface Session {
  me: Me | null;
  /** False until the first /me answer, so pages do not flash the sign-in form. */
  ready: boolean;
  refresh(): Promise<void>;
  signOut(): Promise<void>;
  /** Role-aware UI only; the API enforces the same rule on every call. */
  can(role: Role): boolean;
}

const Context = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [ready, setReady] = useState(false);
  const refresh = useCallback(async () => {
    try {
      setMe(await api.me());
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) throw e;
      setMe(null);
    } finally {
      setReady(true);
    }
  }, []);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  const signOut = useCallback(async () => {
    await api.logout();
    setMe(null);
  }, []);
  const can = useCallback((role: Role) => (me ? RANK[me.role] >= RANK[role] : false), [me]);
  return <Context.Provider value={{ me, ready, refresh, signOut, can }}>{children}</Context.Provider>;
}

export function useSession(): Session {
  const value = useContext(Context);
  if (!value) throw new Error("useSession outside SessionProvider");
  return value;
}
