// One package per component, not the @react-email/components barrel: that one loads every
// component (Tailwind, the Prism code block, Markdown), about 13 MiB of heap in every process
// for ten small ones (docs/performance.md, footprint).
import { Body } from "@react-email/body";
import { Button } from "@react-email/button";
import { Container } from "@react-email/container";
import { Head } from "@react-email/head";
import { Hr } from "@react-email/hr";
import { Html } from "@react-email/html";
import { Img } from "@react-email/img";
import { Preview } from "@react-email/preview";
import { render } from "@react-email/render";
import { Section } from "@react-email/section";
import { Text } from "@react-email/text";
import { createElement as h, type ReactNode } from "react";
import type { EmailLanguage } from "../../../db/schema-email.ts";

/**
 * The frame every message shares: the organization's logo (or name) in its colour, the body,
 * a footer. React Email components render to table-based HTML with inline styles, which is
 * what mail clients (Outlook's Word engine included) display; the plain-text part is rendered
 * from the same tree, so the two never drift apart. Written with createElement rather than
 * JSX so src/ needs no JSX build settings.
 */
export interface Branding {
  organizationName: string;
  logoUrl: string | null;
  /** `#rrggbb`; buttons and the top rule. */
  color: string;
}

export const DEFAULT_BRAND_COLOR = "#2b4acb";
export const ACCOUNT_BRANDING: Branding = {
  organizationName: "Auditorium",
  logoUrl: null,
  color: DEFAULT_BRAND_COLOR,
};

const FOOTER: Record<EmailLanguage, (org: string) => string> = {
  en: (org) => `Sent by Auditorium on behalf of ${org}.`,
  nb: (org) => `Sendt av Auditorium på vegne av ${org}.`,
};

export function layout(props: {
  language: EmailLanguage;
  branding: Branding;
  /** The line mail clients show beside the subject. */
  preview: string;
  children: ReactNode[];
}): ReactNode {
  const { branding, language } = props;
  const header = branding.logoUrl
    ? h(Img, {
        src: branding.logoUrl,
        alt: branding.organizationName,
        height: 40,
        style: { margin: "0 0 16px" },
      })
    : h(
        Text,
        { style: { fontSize: 20, fontWeight: 700, color: branding.color, margin: "0 0 16px" } },
        branding.organizationName,
      );
  return h(
    Html,
    { lang: language === "nb" ? "nb" : "en" },
    h(Head),
    h(Preview, null, props.preview),
    h(
      Body,
      {
        style: {
          backgroundColor: "#f4f5f7",
          fontFamily: "Helvetica, Arial, sans-serif",
          margin: 0,
          padding: "24px 0",
        },
      },
      h(
        Container,
        {
          style: {
            backgroundColor: "#ffffff",
            borderTop: `4px solid ${branding.color}`,
            padding: "24px 32px",
            maxWidth: 560,
          },
        },
        header,
        ...props.children,
        h(Hr, { style: { borderColor: "#e3e5ea", margin: "24px 0 12px" } }),
        h(
          Text,
          { style: { fontSize: 12, color: "#6b7080", margin: 0 } },
          FOOTER[language](branding.organizationName),
        ),
      ),
    ),
  );
}

export const paragraph = (content: ReactNode) =>
  h(Text, { style: { fontSize: 15, lineHeight: "22px", color: "#1d2030" } }, content);

/** A call to action; the plain-text part shows the label and the URL on its own line. */
export const button = (branding: Branding, href: string, label: string) =>
  h(
    Section,
    { style: { margin: "20px 0" } },
    h(
      Button,
      {
        href,
        style: {
          backgroundColor: branding.color,
          color: "#ffffff",
          padding: "12px 20px",
          borderRadius: 4,
          fontSize: 15,
          textDecoration: "none",
        },
      },
      label,
    ),
  );

/**
 * A link written out, for clients that block buttons. `besideButton`: the line repeats a
 * button's link, which the plain-text part already shows as "label url" (see `button`), so
 * it is left out of the plain text there, and the link appears once, not twice.
 */
export const linkLine = (label: string, href: string, options: { besideButton?: boolean } = {}) =>
  h(
    Text,
    {
      style: { fontSize: 13, color: "#6b7080", wordBreak: "break-all" },
      ...(options.besideButton && { "data-skip-in-text": "true" }),
    },
    `${label} ${href}`,
  );

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

/** HTML and plain text from one tree. */
export async function renderEmail(subject: string, tree: ReactNode): Promise<RenderedEmail> {
  const [html, text] = await Promise.all([render(tree), render(tree, { plainText: true })]);
  return { subject, html, text };
}
