import assert from "node:assert/strict";
import path from "node:path";
import type { Browser, Locator, Page } from "playwright-core";
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

/** A POST to the API with the page's cookies, on the page's origin; must answer 2xx. */
export async function apiPost(p: Page, url: string, data?: unknown) {
  const res = await p.request.post(new URL(url, p.url()).href, data === undefined ? {} : { data });
  assert.ok(res.status() < 300, `${url}: ${res.status()} ${await res.text()}`);
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

/**
 * A page signed in as the stack's owner (the first-start link), in a context of its own, with
 * its console watched: the setup every page suite repeated. `clipboard` grants the clipboard
 * (copy buttons); `extraArgs`-style camera setups build their own context.
 */
export async function signedInPage(
  stack: { baseUrl: string; signInLink: string },
  browser: Browser,
  consoleWatch: ConsoleWatch,
  options: { who?: string; clipboard?: boolean; viewport?: { width: number; height: number } } = {},
): Promise<Page> {
  const context = await browser.newContext({
    locale: "en-GB",
    viewport: options.viewport ?? { width: 1280, height: 1000 },
  });
  if (options.clipboard)
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.baseUrl });
  context.setDefaultTimeout(15_000);
  const p = await context.newPage();
  await consoleWatch.watch(p, options.who ?? "owner");
  await p.goto(stack.signInLink);
  await p.getByRole("heading", { name: "Events", level: 1 }).waitFor();
  return p;
}

/**
 * The focused element as a screen reader would announce it: role and accessible name, from
 * Playwright's accessibility snapshot (the same names getByRole matches); null on the body.
 * `key` tells elements apart, so a walk knows when it came round again.
 */
async function focused(p: Page): Promise<{ key: number; role: string; name: string } | null> {
  // As text: this runs in the page, where the DOM types of this Node project do not apply.
  const key = (await p.evaluate(`(() => {
    const el = document.activeElement;
    document.querySelector("[data-tab-walk]")?.removeAttribute("data-tab-walk");
    if (!el || el === document.body || el === document.documentElement) return 0;
    el.setAttribute("data-tab-walk", "");
    window.__focusKeys ??= new WeakMap();
    if (!window.__focusKeys.has(el))
      window.__focusKeys.set(el, (window.__focusSeq = (window.__focusSeq ?? 0) + 1));
    return window.__focusKeys.get(el);
  })()`)) as number;
  if (!key) return null;
  // Marked above: a headless page without window focus matches no `:focus`.
  const snapshot = await p.locator("[data-tab-walk]").ariaSnapshot();
  const line = /^- ([\w-]+)(?: "((?:[^"\\]|\\.)*)")?/.exec(snapshot.split("\n")[0] ?? "");
  return { key, role: line?.[1] ?? "?", name: (line?.[2] ?? "").replace(/\\(.)/g, "$1") };
}

/**
 * Presses Tab (Shift+Tab with `back`) until the focused element's accessible name is `name`
 * (and its role `role`, when given): how a keyboard user gets to a control, so a test that
 * uses it proves the control is in the tab order, in reach, and named. Fails with the names
 * it passed when the walk comes round to an element it saw already, or after `max` presses.
 */
export async function tabTo(
  p: Page,
  name: string | RegExp,
  options: { role?: string; back?: boolean; max?: number } = {},
) {
  const matches = (f: { role: string; name: string }) =>
    (typeof name === "string" ? f.name === name : name.test(f.name)) &&
    (!options.role || f.role === options.role);
  const visited: string[] = [];
  const seen = new Set<number>();
  let last = -1;
  const now = await focused(p);
  if (now && matches(now)) return;
  for (let i = 0; i < (options.max ?? 250); i++) {
    await p.keyboard.press(options.back ? "Shift+Tab" : "Tab");
    const f = await focused(p);
    if (!f) continue;
    if (matches(f)) return;
    // A date-time field keeps the focus while Tab walks its parts: not a lap.
    if (f.key === last) continue;
    if (seen.has(f.key)) break;
    seen.add(f.key);
    last = f.key;
    visited.push(`${f.role} "${f.name}"`);
  }
  throw new Error(`Tab never reached ${String(name)}; it went through: ${visited.join(", ")}`);
}

/** Selects all of the focused text field and types `value` over it, keys only. */
export async function typeOver(p: Page, value: string) {
  await p.keyboard.press("ControlOrMeta+A");
  await p.keyboard.press("Backspace");
  if (value) await p.keyboard.type(value);
}
