import assert from "node:assert/strict";
import path from "node:path";
import type { Locator, Page } from "playwright-core";
import { ARTIFACTS } from "./server.ts";

/** Collects console errors and page errors; a test fails when any was collected during it. */
export class ConsoleWatch {
  private problems: string[] = [];
  /** Every CSP violation seen by any watched page, for the whole run. */
  readonly cspViolations: string[] = [];
  /** Paths whose 401 is an expected answer (e.g. asking who is signed in before anyone is). */
  readonly expected401 = new Set<string>();

  /**
   * Also reports Content-Security-Policy violations, counted apart so a test can assert there
   * were none even where Chromium's own console line would be missed (a report-only policy,
   * a violation in an iframe).
   */
  async watch(p: Page, who: string) {
    await p.exposeFunction("__reportCspViolation", (what: string) => {
      this.cspViolations.push(`${who}: ${what}`);
      this.problems.push(`${who} CSP violation: ${what}`);
    });
    // As text: this runs in the page, where the DOM types of this Node project do not apply.
    await p.addInitScript({
      content: `document.addEventListener("securitypolicyviolation", (e) =>
        window.__reportCspViolation(e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
          " at " + e.sourceFile + ":" + e.lineNumber));`,
    });
    p.on("pageerror", (e) => this.problems.push(`${who} page error: ${e.message}`));
    p.on("console", (m) => {
      if (m.type() !== "error") return;
      const url = new URL(m.location().url || "about:blank");
      if (/status of 401/.test(m.text()) && this.expected401.has(url.pathname)) return;
      this.problems.push(`${who} console error: ${m.text()} (${m.location().url})`);
    });
  }

  take(): string[] {
    return this.problems.splice(0);
  }
}

/** A locator's text as the DOM holds it ("" when absent). */
export async function text(locator: Locator) {
  return (await locator.textContent()) ?? "";
}

export async function shot(p: Page, name: string) {
  await p.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** A GET to the API with the page's cookies, on the page's origin; must answer 200. */
export async function apiGet(p: Page, url: string) {
  const res = await p.request.get(new URL(url, p.url()).href);
  assert.equal(res.status(), 200, `${url}: ${await res.text()}`);
  return res.json();
}

export async function until<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  ms = 30_000,
) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/**
 * axe-core on the page as it is now: answers the serious and critical violations (rule id,
 * impact and the first offending element), and prints the counts per impact for the note.
 */
export async function accessibilityProblems(p: Page, name: string) {
  const { AxeBuilder } = await import("@axe-core/playwright");
  const result = await new AxeBuilder({ page: p }).analyze();
  const byImpact: Record<string, number> = {};
  for (const v of result.violations)
    byImpact[v.impact ?? "unknown"] = (byImpact[v.impact ?? "unknown"] ?? 0) + 1;
  process.stdout.write(
    `# axe ${name}: ${result.passes.length} rules pass, violations ${JSON.stringify(byImpact)}\n`,
  );
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes[0]?.target.join(" ")} ${v.help}`);
}
