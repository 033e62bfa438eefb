/**
 * One JSON call to a simulator's control API (`${base}/_sim…`); a non-2xx answer throws. A
 * network error is tried once more: a simulator closes idle keep-alive sockets (GoTo after 5 s)
 * and a request sent on one just as it closes never arrived (each control path is idempotent).
 */
export async function simCall<T = unknown>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const init = {
    method,
    ...(body !== undefined && {
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  };
  const res = await fetch(`${base}/_sim${path}`, init).catch(() => fetch(`${base}/_sim${path}`, init));
  const text = await res.text();
  if (!res.ok) throw new Error(`simulator ${method} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}
