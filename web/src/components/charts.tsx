import type { ReactNode } from "react";
import {
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  ComposedChart,
  LabelList,
  Line,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";

/**
 * Fills that differ in pattern as well as colour, so bars are told apart without colour
 * vision; every bar also carries its value as a label.
 */
export function PatternDefs() {
  return (
    <defs>
      <pattern id="pat-solid" width="6" height="6" patternUnits="userSpaceOnUse">
        <rect width="6" height="6" fill="#1f5fa8" />
      </pattern>
      <pattern
        id="pat-stripes"
        width="6"
        height="6"
        patternUnits="userSpaceOnUse"
        patternTransform="rotate(45)"
      >
        <rect width="6" height="6" fill="#e8f0fb" />
        <rect width="3" height="6" fill="#b35c00" />
      </pattern>
      <pattern id="pat-dots" width="6" height="6" patternUnits="userSpaceOnUse">
        <rect width="6" height="6" fill="#eaf6ec" />
        <circle cx="3" cy="3" r="2" fill="#1d7a3a" />
      </pattern>
      <pattern id="pat-cross" width="8" height="8" patternUnits="userSpaceOnUse">
        <rect width="8" height="8" fill="#fbeaea" />
        <path d="M0 0L8 8M8 0L0 8" stroke="#9b1c1c" strokeWidth="1.5" />
      </pattern>
    </defs>
  );
}
export const PATTERNS = ["url(#pat-solid)", "url(#pat-stripes)", "url(#pat-dots)", "url(#pat-cross)"];

const WIDTH = 560;
const HEIGHT = 240;

/** A chart with its text alternative: the summary is read instead of the picture. */
export function Figure({
  title,
  summary,
  children,
}: {
  title: string;
  summary: string;
  children: ReactNode;
}) {
  return (
    <figure className="chart">
      <figcaption>
        <h3>{title}</h3>
      </figcaption>
      <div role="img" aria-label={summary}>
        {children}
      </div>
      <p className="muted">{summary}</p>
    </figure>
  );
}

export function LabelledBars({
  data,
  category,
  value,
  valueLabel,
  layout = "vertical",
}: {
  data: Record<string, string | number>[];
  category: string;
  value: string;
  valueLabel: string;
  layout?: "vertical" | "horizontal";
}) {
  const horizontalBars = layout === "vertical";
  return (
    <BarChart
      width={WIDTH}
      height={HEIGHT}
      data={data}
      layout={layout}
      margin={{ top: 16, right: 40, left: 16, bottom: 8 }}
    >
      <PatternDefs />
      <CartesianGrid strokeDasharray="3 3" />
      {horizontalBars ? (
        <>
          <XAxis type="number" allowDecimals={false} />
          <YAxis type="category" dataKey={category} width={140} />
        </>
      ) : (
        <>
          <XAxis dataKey={category} />
          <YAxis allowDecimals={false} />
        </>
      )}
      <Tooltip />
      <Bar dataKey={value} name={valueLabel} fill={PATTERNS[0]} stroke="#0b2f57" isAnimationActive={false}>
        {data.map((row, i) => (
          <Cell key={String(row[category])} fill={PATTERNS[i % PATTERNS.length]} />
        ))}
        <LabelList dataKey={value} position={horizontalBars ? "right" : "top"} />
      </Bar>
    </BarChart>
  );
}

export function OverTimeChart({
  data,
  dailyLabel,
  cumulativeLabel,
}: {
  data: { date: string; count: number; cumulative: number }[];
  dailyLabel: string;
  cumulativeLabel: string;
}) {
  return (
    <ComposedChart
      width={WIDTH}
      height={HEIGHT}
      data={data}
      margin={{ top: 16, right: 16, left: 0, bottom: 8 }}
    >
      <PatternDefs />
      <CartesianGrid strokeDasharray="3 3" />
      <XAxis dataKey="date" />
      <YAxis yAxisId="daily" allowDecimals={false} />
      <YAxis yAxisId="total" orientation="right" allowDecimals={false} />
      <Tooltip />
      <Bar
        yAxisId="daily"
        dataKey="count"
        name={dailyLabel}
        fill={PATTERNS[1]}
        stroke="#b35c00"
        isAnimationActive={false}
      >
        <LabelList dataKey="count" position="top" />
      </Bar>
      <Line
        yAxisId="total"
        dataKey="cumulative"
        name={cumulativeLabel}
        stroke="#1f5fa8"
        strokeDasharray="6 3"
        strokeWidth={2}
        dot={{ r: 3 }}
        isAnimationActive={false}
      />
    </ComposedChart>
  );
}
