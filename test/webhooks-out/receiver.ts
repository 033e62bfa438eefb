import http from "node:http";
import type { AddressInfo } from "node:net";

/** What a receiver got: headers and the raw body, as it arrived. */
export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
  answered: Behaviour;
}

/** How the receiver answers one request. */
export type Behaviour = "ok" | "error500" | "timeout" | "drop" | "redirect";

/**
 * A webhook receiver on loopback, for tests: it records every request and answers as
 * `behave` decides — 200, a 500, never (the sender's timeout), a dropped connection, or a
 * redirect (which must not be followed).
 */
export async function startReceiver(behave: (n: number) => Behaviour = () => "ok") {
  const received: Received[] = [];
  let n = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const answered = behave(n++);
      received.push({
        id: String(req.headers["webhook-id"]),
        timestamp: String(req.headers["webhook-timestamp"]),
        signature: String(req.headers["webhook-signature"]),
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
        answered,
      });
      if (answered === "ok") return res.writeHead(200, { "content-type": "text/plain" }).end("thanks");
      if (answered === "error500")
        return res.writeHead(500, { "content-type": "text/plain" }).end("x".repeat(5000));
      if (answered === "redirect")
        return res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data" }).end();
      if (answered === "drop") return req.socket.destroy();
      // "timeout": hold the request open; the server's close ends it.
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    /** Requests that got a 200 (the ones the sender may count as delivered). */
    accepted: () => received.filter((r) => r.answered === "ok"),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
