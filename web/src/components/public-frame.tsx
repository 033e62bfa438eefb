import type { ReactNode } from "react";
import { LanguageSwitcher } from "./language.tsx";

/** The attendee-facing frame: no admin navigation, only the language choice. */
export function PublicFrame({ children }: { children: ReactNode }) {
  return (
    <main id="main" className="narrow public">
      <div className="row end">
        <LanguageSwitcher />
      </div>
      {children}
    </main>
  );
}
