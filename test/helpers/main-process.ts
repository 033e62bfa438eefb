import path from "node:path";

/**
 * Node's arguments to run `auditorium <args>` in a child process: the run's compiled
 * src/main.js when the tests run compiled (scripts/test.mjs names its folder in
 * AUDITORIUM_TEST_BUILD), else src/main.ts through tsx. A worker or server started by a test
 * then loads as fast as the test itself (tsx's hooks cost 1.4–2.4 s a process under load).
 */
export function mainArgs(...args: string[]): string[] {
  const build = process.env.AUDITORIUM_TEST_BUILD;
  if (build) return ["--enable-source-maps", path.join(build, "src", "main.js"), ...args];
  return ["--import", "tsx", path.resolve("src/main.ts"), ...args];
}
