/**
 * Requests to URLs a tenant chose (the open contract's base URL today; customer webhooks
 * later) must not reach the service's own network: loopback, private ranges, link-local
 * (169.254.169.254 is the cloud metadata service), CGNAT, unique-local IPv6, IPv4-mapped or
 * -embedded IPv6, unspecified, broadcast, multicast and reserved addresses.
 *
 * The check runs where the connection is made, on the addresses DNS returned for that very
 * connection (node's `lookup` hook), so a name that resolves to a public address when the
 * configuration is saved and to 127.0.0.1 when it is used (DNS rebinding) is refused too.
 * IP literals never go through `lookup`, so they are checked before the request. Redirects
 * are never followed: a 3xx comes back as the answer (as `redirect: "manual"` would), since
 * following one would send the request, with its credentials, to a host nobody checked.
 *
 * Only the operator may open holes, with `AUDITORIUM_ALLOW_PRIVATE_HOSTS` (host names,
 * addresses or CIDR ranges): a self-hosted provider on the internal network, or the
 * simulators on 127.0.0.1 in tests.
 */
import dns, { type LookupAddress } from "node:dns";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { Readable } from "node:stream";
import ipaddr from "ipaddr.js";

/** Error code of a refused destination, as node's socket errors carry theirs. */
export const OUTBOUND_BLOCKED = "EOUTBOUNDBLOCKED";

export class OutboundBlockedError extends Error {
  readonly code = OUTBOUND_BLOCKED;
  constructor(what: string) {
    super(
      `Refused to connect to ${what}: a private, loopback, link-local or reserved address (an operator can allow it with AUDITORIUM_ALLOW_PRIVATE_HOSTS)`,
    );
    this.name = "OutboundBlockedError";
  }
}

/** What the operator allowed: exact host names (lower case) and address ranges. */
export interface OutboundAllowList {
  hosts: ReadonlySet<string>;
  ranges: readonly [ipaddr.IPv4 | ipaddr.IPv6, number][];
}

export const NOTHING_ALLOWED: OutboundAllowList = { hosts: new Set(), ranges: [] };

/**
 * Parses `AUDITORIUM_ALLOW_PRIVATE_HOSTS`: comma-separated host names, addresses or CIDR
 * ranges. Returns the entry it could not read, so the configuration error can name it.
 */
export function parseAllowList(raw: string): { ok: OutboundAllowList } | { bad: string } {
  const hosts = new Set<string>();
  const ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  for (const entry of raw.split(",").map((e) => e.trim().toLowerCase())) {
    if (entry === "") continue;
    if (entry.includes("/")) {
      try {
        ranges.push(ipaddr.parseCIDR(entry));
      } catch {
        return { bad: entry };
      }
    } else if (ipaddr.isValid(entry)) {
      const address = ipaddr.parse(entry);
      ranges.push([address, address.kind() === "ipv4" ? 32 : 128]);
    } else if (/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(entry)) {
      hosts.add(entry);
    } else {
      return { bad: entry };
    }
  }
  return { ok: { hosts, ranges } };
}

/**
 * True when a connection to this address must be refused. Only ordinary public unicast
 * passes; an IPv4-mapped IPv6 address is judged as the IPv4 address it carries.
 */
export function isBlockedAddress(address: string, allow: OutboundAllowList): boolean {
  if (!ipaddr.isValid(address)) return true;
  const parsed = ipaddr.process(address);
  for (const [range, bits] of allow.ranges) {
    if (range.kind() === parsed.kind() && parsed.match(range, bits)) return false;
  }
  return parsed.range() !== "unicast";
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** node's `lookup` for sockets, refusing a name when any address it resolves to is blocked. */
function guardedLookup(allow: OutboundAllowList) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const blocked = addresses.find((a) => isBlockedAddress(a.address, allow));
      if (blocked) return callback(new OutboundBlockedError(`${hostname} (${blocked.address})`), []);
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first)
        return callback(Object.assign(new Error(`No address for ${hostname}`), { code: "ENOTFOUND" }), []);
      callback(null, first.address, first.family);
    });
  };
}

function headersOf(init: RequestInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  new Headers(init?.headers).forEach((value, name) => {
    out[name] = value;
  });
  return out;
}

/**
 * A `fetch` for tenant-chosen URLs: http(s) only, the destination checked at connect time,
 * no redirect followed, the signal honoured. Supports what the provider clients send: a
 * method, headers and a string body.
 */
export function createGuardedFetch(allow: OutboundAllowList): typeof fetch {
  const lookup = guardedLookup(allow);
  const agents = {
    "http:": new http.Agent({ keepAlive: true, lookup } as http.AgentOptions),
    "https:": new https.Agent({ keepAlive: true, lookup } as https.AgentOptions),
  };

  const guarded = (input: string | URL | Request, init?: RequestInit): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (url.protocol !== "http:" && url.protocol !== "https:")
        return reject(new TypeError(`Only http(s) URLs are fetched, not ${url.protocol}`));
      const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
      const byName = allow.hosts.has(host);
      if (!byName && net.isIP(host) !== 0 && isBlockedAddress(host, allow))
        return reject(new OutboundBlockedError(host));
      const signal = init?.signal ?? undefined;
      if (signal?.aborted) return reject(signal.reason);
      const body = typeof init?.body === "string" ? init.body : undefined;
      if (init?.body != null && body === undefined)
        return reject(new TypeError("The guarded fetch sends string bodies only"));
      const transport = url.protocol === "https:" ? https : http;
      const request = transport.request(
        url,
        {
          method: init?.method ?? "GET",
          headers: headersOf(init),
          // A host the operator named may resolve to a private address; it skips the check.
          agent: byName ? undefined : agents[url.protocol],
          ...(signal && { signal }),
        },
        (res) => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value === undefined) continue;
            for (const v of [value].flat()) headers.append(name, v);
          }
          const status = res.statusCode ?? 502;
          const empty = status === 204 || status === 304 || (init?.method ?? "GET") === "HEAD";
          if (empty) res.resume();
          resolve(
            new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
              status,
              statusText: res.statusMessage ?? "",
              headers,
            }),
          );
        },
      );
      request.on("error", (error) => reject(signal?.aborted ? signal.reason : error));
      request.end(body);
    });
  return guarded as typeof fetch;
}

/**
 * The same rule, asked ahead of time (when a tenant saves a URL): null when the URL may be
 * used, else why not. Only a first line — the connection is checked again when it is made,
 * since the name may resolve elsewhere by then.
 */
export async function refusalOf(rawUrl: string, allow: OutboundAllowList): Promise<string | null> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return "must be an absolute URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "must be an http(s) URL";
  if (url.username || url.password) return "must not carry a user name or password";
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (allow.hosts.has(host)) return null;
  if (net.isIP(host) !== 0)
    return isBlockedAddress(host, allow) ? "must not point to a private or reserved address" : null;
  const addresses = await dns.promises.lookup(host, { all: true }).catch(() => null);
  if (!addresses || addresses.length === 0) return "must name a host that resolves";
  return addresses.some((a) => isBlockedAddress(a.address, allow))
    ? "must not point to a private or reserved address"
    : null;
}
