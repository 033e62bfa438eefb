/** Compiles src/ into dist/ (scripts/build-server.mjs). */
export function buildServer(): Promise<void>;
