/**
 * The command line runs libraries in their production builds unless told otherwise. React
 * (the email templates are React Email) picks its development build when NODE_ENV is unset:
 * it checks every element it creates, which made rendering a confirmation email several times
 * slower (profiled under the intake load, docs/performance.md). Imported first by src/main.ts,
 * before any library reads the variable; NODE_ENV=development still gets the checks.
 */
process.env.NODE_ENV ??= "production";
