// Body parsing for ON24 writes, which are form-urlencoded or multipart (never JSON).
// Keys are lower-cased: ON24 documents camelCase names (firstName) but answers in lowercase
// (firstname); we accept either spelling. Repeated keys (tagCampaign) keep every value.

export type Form = Record<string, string[]>;

function push(form: Form, key: string, value: string): void {
  const k = key.toLowerCase();
  const list = form[k];
  if (list) list.push(value);
  else form[k] = [value];
}

export function parseUrlEncoded(body: string): Form {
  const form: Form = {};
  for (const [k, v] of new URLSearchParams(body)) {
    push(form, k, v);
  }
  return form;
}

/** Minimal multipart/form-data reader for text fields (file parts are ignored). */
export function parseMultipart(body: Buffer, contentType: string): Form {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  const form: Form = {};
  if (!boundary) return form;
  for (const part of body.toString("utf8").split(`--${boundary}`)) {
    const sep = part.indexOf("\r\n\r\n");
    if (sep < 0) continue;
    const head = part.slice(0, sep);
    const name = /name="([^"]*)"/i.exec(head)?.[1];
    if (!name || /filename=/i.test(head)) continue;
    const value = part.slice(sep + 4).replace(/\r\n$/, "");
    push(form, name, value);
  }
  return form;
}

/** First value of a field, or undefined when absent. */
export function field(form: Form, name: string): string | undefined {
  return form[name.toLowerCase()]?.[0];
}
