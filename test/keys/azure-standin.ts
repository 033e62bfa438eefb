/**
 * A local HTTPS stand-in for Azure Key Vault and its Microsoft Entra token endpoint, for tests.
 * It implements only what the official SDKs (@azure/identity ClientSecretCredential,
 * @azure/keyvault-keys KeyClient/CryptographyClient) call for an RSA wrap/unwrap KEK:
 *
 * - Entra: `GET /{tenant}/v2.0/.well-known/openid-configuration` and the client-credentials
 *   grant `POST /{tenant}/oauth2/v2.0/token` (client id + secret, scope `<resource>/.default`);
 * - Key Vault: the bearer challenge (401 + `WWW-Authenticate: Bearer authorization=…,
 *   resource=…` on a request without a valid token), `GET /keys/{name}[/{version}]`,
 *   `POST /keys/{name}/create`, `POST /keys/{name}/{version}/wrapkey|unwrapkey`
 *   (RSA-OAEP-256 / RSA-OAEP with real RSA keys), errors as `{"error":{"code","message"}}`.
 *
 * Everything listens on 127.0.0.1 only. Host names are `login.localhost` and
 * `<vault>.vault.localhost` (so the SDK's challenge-resource check stays ON: the resource is
 * `https://vault.localhost`), and {@link AzureStandIn.agent} resolves only `*.localhost`, always
 * to 127.0.0.1, and trusts only the CA made here — nothing can reach a real endpoint.
 * See docs/keys-azure.md for what this does and does not prove.
 */
import { execFile } from "node:child_process";
import {
  constants,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  generateKeyPair as rawGenerateKeyPair,
} from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const generateKeyPair = promisify(rawGenerateKeyPair);

export interface StandInRequest {
  method: string;
  path: string;
  host: string;
  /** Whether the request carried no bearer token, a valid one, or an invalid/expired one. */
  auth: "none" | "valid" | "invalid";
  status: number;
}

export interface AzureStandIn {
  readonly port: number;
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** `https://login.localhost:<port>` — pass as the credential's `authorityHost`. */
  readonly authorityHost: string;
  /** `https://<vault>.vault.localhost:<port>`. */
  readonly vaultUrl: string;
  /** Trusts only the test CA; resolves `*.localhost` to 127.0.0.1 and nothing else. */
  readonly agent: https.Agent;
  /** Every request, in order (token and metadata requests included). */
  readonly requests: readonly StandInRequest[];
  /** Access tokens issued so far (to assert none leaks into errors). */
  readonly issuedTokens: readonly string[];
  /** Adds a new RSA version of `name` (creating the key) and returns its full key id. */
  rotateKey(name: string): Promise<string>;
  /** The versions of `name`, oldest first. */
  versions(name: string): string[];
  /** Revokes every issued token (the next vault call must re-authenticate). */
  revokeTokens(): void;
  close(): Promise<void>;
}

interface KeyVersion {
  version: string;
  privateKey: KeyObject;
  jwk: { kty: string; n: string; e: string };
  created: number;
  enabled: boolean;
}

export interface StartAzureStandInOptions {
  vaultName?: string;
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  tokenLifetimeSeconds?: number;
  /** The challenge's `resource` (default `https://vault.localhost`); tests set a foreign one. */
  challengeResource?: string;
}

const VAULT_RESOURCE = "https://vault.localhost";
const b64url = (b: Buffer) => b.toString("base64url");

/** A throwaway CA and a server certificate for the stand-in's names, made with the openssl CLI. */
async function makeCertificates(
  dir: string,
  names: string[],
): Promise<{ ca: string; cert: string; key: string }> {
  const f = (n: string) => path.join(dir, n);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await run("openssl", [
    "req",
    "-x509",
    ...ec,
    "-keyout",
    f("ca.key"),
    "-out",
    f("ca.pem"),
    "-days",
    "1",
    "-subj",
    "/CN=Auditorium Azure stand-in test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  await run("openssl", [
    "req",
    ...ec,
    "-keyout",
    f("server.key"),
    "-out",
    f("server.csr"),
    "-subj",
    "/CN=localhost",
  ]);
  const san = ["IP:127.0.0.1", ...names.map((n) => `DNS:${n}`)].join(",");
  await writeFile(
    f("server.ext"),
    `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${san}\n`,
  );
  await run("openssl", [
    "x509",
    "-req",
    "-in",
    f("server.csr"),
    "-CA",
    f("ca.pem"),
    "-CAkey",
    f("ca.key"),
    "-CAcreateserial",
    "-days",
    "1",
    "-out",
    f("server.pem"),
    "-extfile",
    f("server.ext"),
  ]);
  const [ca, cert, key] = await Promise.all(
    ["ca.pem", "server.pem", "server.key"].map((n) => readFile(f(n), "utf8")),
  );
  return { ca: ca as string, cert: cert as string, key: key as string };
}

/** `dns.lookup` replacement: `localhost` and `*.localhost` → 127.0.0.1; everything else fails. */
function loopbackLookup(
  hostname: string,
  options: { all?: boolean } | number | undefined,
  callback: (...args: unknown[]) => void,
): void {
  const ok = hostname === "localhost" || hostname.endsWith(".localhost");
  if (!ok) {
    const err = Object.assign(new Error(`stand-in agent refuses to resolve ${hostname}`), {
      code: "ENOTFOUND",
    });
    callback(err);
    return;
  }
  if (typeof options === "object" && options?.all) callback(null, [{ address: "127.0.0.1", family: 4 }]);
  else callback(null, "127.0.0.1", 4);
}

export async function startAzureStandIn(opts: StartAzureStandInOptions = {}): Promise<AzureStandIn> {
  const vaultName = opts.vaultName ?? "auditorium-test";
  const tenantId = opts.tenantId ?? "00000000-0000-4000-8000-00000000a11d";
  const clientId = opts.clientId ?? "11111111-1111-4111-8111-111111111111";
  const clientSecret = opts.clientSecret ?? `standin-secret-${randomBytes(12).toString("hex")}`;
  const tokenLifetime = opts.tokenLifetimeSeconds ?? 3600;
  const challengeResource = opts.challengeResource ?? VAULT_RESOURCE;
  const loginHost = "login.localhost";
  const vaultHost = `${vaultName}.vault.localhost`;

  const dir = await mkdtemp(path.join(os.tmpdir(), "auditorium-azure-standin-"));
  const tls = await makeCertificates(dir, ["localhost", loginHost, vaultHost]);

  const keys = new Map<string, KeyVersion[]>();
  const tokens = new Map<string, { expiresAt: number; scope: string }>();
  const issuedTokens: string[] = [];
  const requests: StandInRequest[] = [];
  let port = 0;
  const origin = (host: string) => `https://${host}:${port}`;
  const kid = (name: string, version: string) => `${origin(vaultHost)}/keys/${name}/${version}`;

  async function addVersion(name: string): Promise<KeyVersion> {
    const { privateKey } = await generateKeyPair("rsa", { modulusLength: 2048 });
    const jwk = createPublicKey(privateKey).export({ format: "jwk" }) as {
      kty: string;
      n: string;
      e: string;
    };
    const v: KeyVersion = {
      version: randomBytes(16).toString("hex"),
      privateKey: createPrivateKey(privateKey.export({ format: "pem", type: "pkcs8" })),
      jwk,
      created: Math.floor(Date.now() / 1000),
      enabled: true,
    };
    const list = keys.get(name) ?? [];
    list.push(v);
    keys.set(name, list);
    return v;
  }

  const keyBundle = (name: string, v: KeyVersion) => ({
    key: {
      kid: kid(name, v.version),
      kty: "RSA",
      key_ops: ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"],
      n: v.jwk.n,
      e: v.jwk.e,
    },
    attributes: {
      enabled: v.enabled,
      created: v.created,
      updated: v.created,
      recoveryLevel: "Recoverable+Purgeable",
      recoverableDays: 90,
    },
  });

  const readBody = (req: IncomingMessage): Promise<string> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on("data", (c: Buffer) => {
        size += c.length;
        if (size > 1 << 20) reject(new Error("body too large"));
        else chunks.push(c);
      });
      req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      req.on("error", reject);
    });

  async function handle(req: IncomingMessage, res: ServerResponse, entry: StandInRequest): Promise<void> {
    const url = new URL(req.url ?? "/", "https://placeholder");
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      entry.status = status;
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
      res.end(JSON.stringify(body));
    };
    const kvError = (status: number, code: string, message: string, headers?: Record<string, string>) =>
      send(status, { error: { code, message } }, headers);
    const host = (req.headers.host ?? "").toLowerCase();
    entry.host = host;

    // ---- Microsoft Entra ID (login) ----
    if (host === `${loginHost}:${port}`) {
      const segs = url.pathname.split("/").filter(Boolean);
      if (segs[0] !== tenantId) {
        await readBody(req);
        return send(400, { error: "invalid_tenant", error_description: "AADSTS90002: Tenant not found." });
      }
      const rest = segs.slice(1).join("/");
      if (req.method === "GET" && rest === "v2.0/.well-known/openid-configuration") {
        const base = `${origin(loginHost)}/${tenantId}`;
        return send(200, {
          token_endpoint: `${base}/oauth2/v2.0/token`,
          authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
          issuer: `${base}/v2.0`,
          jwks_uri: `${base}/discovery/v2.0/keys`,
          end_session_endpoint: `${base}/oauth2/v2.0/logout`,
          token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt"],
          response_types_supported: ["code", "id_token", "token"],
          scopes_supported: ["openid", "profile", "email", "offline_access"],
          tenant_region_scope: null,
        });
      }
      if (req.method === "POST" && rest === "oauth2/v2.0/token") {
        const form = new URLSearchParams(await readBody(req));
        if (form.get("grant_type") !== "client_credentials") {
          return send(400, { error: "unsupported_grant_type", error_description: "AADSTS70003" });
        }
        if (form.get("client_id") !== clientId || form.get("client_secret") !== clientSecret) {
          return send(401, {
            error: "invalid_client",
            error_description: "AADSTS7000215: Invalid client secret provided.",
            error_codes: [7000215],
          });
        }
        const scope = form.get("scope") ?? "";
        if (scope !== `${VAULT_RESOURCE}/.default`) {
          return send(400, { error: "invalid_scope", error_description: `AADSTS70011: bad scope ${scope}` });
        }
        const token = `standin-at-${randomBytes(24).toString("base64url")}`;
        tokens.set(token, { expiresAt: Date.now() + tokenLifetime * 1000, scope });
        issuedTokens.push(token);
        return send(200, {
          token_type: "Bearer",
          expires_in: tokenLifetime,
          ext_expires_in: tokenLifetime,
          access_token: token,
        });
      }
      await readBody(req);
      return send(404, { error: "not_found", error_description: `no ${req.method} ${url.pathname}` });
    }

    // ---- Key Vault ----
    if (host !== `${vaultHost}:${port}`) {
      await readBody(req);
      return kvError(400, "BadParameter", "Unknown host");
    }
    const challenge = {
      "www-authenticate": `Bearer authorization="${origin(loginHost)}/${tenantId}", resource="${challengeResource}"`,
    };
    const authz = req.headers.authorization;
    if (!authz) {
      entry.auth = "none";
      await readBody(req);
      return kvError(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.", challenge);
    }
    const m = /^Bearer (\S+)$/.exec(authz);
    const t = m ? tokens.get(m[1] as string) : undefined;
    if (!t || t.expiresAt < Date.now() || t.scope !== `${VAULT_RESOURCE}/.default`) {
      entry.auth = "invalid";
      await readBody(req);
      return kvError(401, "Unauthorized", "AKV10032: Invalid issuer or token.", challenge);
    }
    entry.auth = "valid";
    if (!url.searchParams.get("api-version")) {
      await readBody(req);
      return kvError(400, "BadParameter", "The 'api-version' query parameter is required.");
    }

    const segs = url.pathname.split("/").filter(Boolean);
    if (segs[0] !== "keys" || segs.length < 2 || segs.length > 4) {
      await readBody(req);
      return kvError(404, "NotFound", `No route ${req.method} ${url.pathname}`);
    }
    const name = segs[1] as string;
    const versions = keys.get(name);

    if (req.method === "POST" && segs.length === 3 && segs[2] === "create") {
      const body = JSON.parse((await readBody(req)) || "{}") as { kty?: string; key_size?: number };
      if (body.kty !== "RSA" && body.kty !== "RSA-HSM") {
        return kvError(400, "BadParameter", "The stand-in creates RSA keys only.");
      }
      return send(200, keyBundle(name, await addVersion(name)));
    }

    if (!versions || versions.length === 0) {
      await readBody(req);
      return kvError(404, "KeyNotFound", `A key with (name/id) ${name} was not found in this key vault.`);
    }
    const version = segs.length >= 3 ? segs[2] : undefined;
    const v =
      version === undefined ? versions[versions.length - 1] : versions.find((x) => x.version === version);
    if (!v) {
      await readBody(req);
      return kvError(
        404,
        "KeyNotFound",
        `A key with (name/id) ${name}/${version} was not found in this key vault.`,
      );
    }

    if (req.method === "GET" && segs.length <= 3) return send(200, keyBundle(name, v));

    const op = segs[3];
    if (req.method === "POST" && segs.length === 4 && (op === "wrapkey" || op === "unwrapkey")) {
      let body: { alg?: unknown; value?: unknown };
      try {
        body = JSON.parse(await readBody(req)) as { alg?: unknown; value?: unknown };
      } catch {
        return kvError(400, "BadParameter", "Request body is not JSON.");
      }
      const oaepHash = body.alg === "RSA-OAEP-256" ? "sha256" : body.alg === "RSA-OAEP" ? "sha1" : undefined;
      if (!oaepHash || typeof body.value !== "string" || !/^[A-Za-z0-9_-]*$/.test(body.value)) {
        return kvError(400, "BadParameter", "Invalid alg or value.");
      }
      if (!v.enabled) return kvError(403, "Forbidden", `Operation ${op} is not allowed on a disabled key.`);
      const input = Buffer.from(body.value, "base64url");
      const rsa = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash };
      let out: Buffer;
      try {
        out =
          op === "wrapkey"
            ? publicEncrypt({ key: createPublicKey(v.privateKey), ...rsa }, input)
            : privateDecrypt({ key: v.privateKey, ...rsa }, input);
      } catch {
        return kvError(400, "BadParameter", "Error occurred while decrypting the data.");
      }
      return send(200, { kid: kid(name, v.version), value: b64url(out) });
    }
    await readBody(req);
    return kvError(405, "MethodNotAllowed", `No route ${req.method} ${url.pathname}`);
  }

  const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const entry: StandInRequest = {
      method: req.method ?? "",
      path: (req.url ?? "").split("?")[0] ?? "",
      host: "",
      auth: req.headers.authorization ? "invalid" : "none",
      status: 0,
    };
    requests.push(entry);
    handle(req, res, entry).catch(() => {
      if (!res.headersSent) {
        entry.status = 500;
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { code: "InternalServerError", message: "stand-in failure" } }));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  port = (server.address() as AddressInfo).port;

  const agent = new https.Agent({ ca: tls.ca, keepAlive: true, lookup: loopbackLookup as never });

  return {
    port,
    tenantId,
    clientId,
    clientSecret,
    authorityHost: origin(loginHost),
    vaultUrl: origin(vaultHost),
    agent,
    requests,
    issuedTokens,
    async rotateKey(name) {
      const v = await addVersion(name);
      return kid(name, v.version);
    },
    versions: (name) => (keys.get(name) ?? []).map((v) => v.version),
    revokeTokens: () => tokens.clear(),
    async close() {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
