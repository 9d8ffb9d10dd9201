/**
 * Small SVG charts drawn here (no chart library: a few paths, nothing fetched, CSP-safe). Each chart is an
 * <svg role="img"> whose label says what it shows, with a <title>; the figures also appear as text or a
 * table beside it, so nothing is only in the picture.
 */
export interface Point {
  readonly x: number
  readonly y: number
}

const W = 560
const H = 180
const PAD = { left: 64, right: 12, top: 10, bottom: 28 }

function scale(values: readonly number[], lo: number, hi: number) {
  let min = Math.min(...values)
  let max = Math.max(...values)
  if (!Number.isFinite(min)) min = max = 0
  if (min === max) {
    min -= 1
    max += 1
  }
  return (v: number) => hi - ((v - min) / (max - min)) * (hi - lo)
}

/** A line over time (x in ms since the epoch). */
export function LineChart(props: {
  label: string
  points: readonly Point[]
  format?: (y: number) => string
  color?: string
}) {
  const pts = props.points
  const fmt = props.format ?? ((y: number) => String(y))
  const sx = scale(
    pts.map((p) => p.x),
    W - PAD.right,
    PAD.left,
  )
  const sy = scale(
    pts.map((p) => p.y),
    PAD.top,
    H - PAD.bottom,
  )
  // scale(values, lo, hi) puts the minimum at hi: for x, hi is the left edge, so time runs left to right.
  const x = sx
  const d = pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ')
  const ys = pts.map((p) => p.y)
  const max = ys.length ? Math.max(...ys) : 0
  const min = ys.length ? Math.min(...ys) : 0
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={props.label}>
      <title>{props.label}</title>
      <line x1={PAD.left} y1={H - PAD.bottom} x2={W - PAD.right} y2={H - PAD.bottom} class="axis" />
      <line x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={H - PAD.bottom} class="axis" />
      <text x={PAD.left - 4} y={PAD.top + 8} text-anchor="end" class="tick">
        {fmt(max)}
      </text>
      <text x={PAD.left - 4} y={H - PAD.bottom} text-anchor="end" class="tick">
        {fmt(min)}
      </text>
      {pts.length > 0 ? (
        <>
          <text x={PAD.left} y={H - 8} class="tick">
            {day(pts[0]!.x)}
          </text>
          <text x={W - PAD.right} y={H - 8} text-anchor="end" class="tick">
            {day(pts[pts.length - 1]!.x)}
          </text>
          <path d={d} fill="none" stroke={props.color ?? '#0b4f9c'} stroke-width="2" />
          {pts.length <= 31
            ? pts.map((p) => (
                <circle
                  key={p.x}
                  cx={x(p.x).toFixed(1)}
                  cy={sy(p.y).toFixed(1)}
                  r="3"
                  fill={props.color ?? '#0b4f9c'}
                />
              ))
            : null}
        </>
      ) : (
        <text x={W / 2} y={H / 2} text-anchor="middle" class="tick">
          no data
        </text>
      )}
    </svg>
  )
}

/** Bars, one per labelled value (counts by kind, by age…), optionally stacked in two series. */
export function BarChart(props: {
  label: string
  bars: readonly { label: string; value: number; second?: number }[]
  legend?: readonly [string, string]
}) {
  const bars = props.bars
  const top = Math.max(1, ...bars.map((b) => b.value + (b.second ?? 0)))
  const inner = H - PAD.top - PAD.bottom
  const slot = (W - PAD.left - PAD.right) / Math.max(1, bars.length)
  const bw = Math.min(48, slot * 0.7)
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={props.label}>
      <title>{props.label}</title>
      <line x1={PAD.left} y1={H - PAD.bottom} x2={W - PAD.right} y2={H - PAD.bottom} class="axis" />
      <text x={PAD.left - 4} y={PAD.top + 8} text-anchor="end" class="tick">
        {top}
      </text>
      {bars.map((b, i) => {
        const h1 = (b.value / top) * inner
        const h2 = ((b.second ?? 0) / top) * inner
        const x = PAD.left + i * slot + (slot - bw) / 2
        return (
          <g key={b.label}>
            <rect x={x} y={H - PAD.bottom - h1} width={bw} height={h1} class="bar" />
            {h2 > 0 ? <rect x={x} y={H - PAD.bottom - h1 - h2} width={bw} height={h2} class="bar2" /> : null}
            <text x={x + bw / 2} y={H - 10} text-anchor="middle" class="tick">
              {b.label}
            </text>
          </g>
        )
      })}
      {props.legend ? (
        <text x={W - PAD.right} y={PAD.top + 8} text-anchor="end" class="tick">
          ■ {props.legend[0]} □ {props.legend[1]}
        </text>
      ) : null}
    </svg>
  )
}
