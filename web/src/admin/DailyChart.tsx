import { useEffect, useMemo, useRef, useState } from 'react';

import { useI18n } from '../i18n/i18n';

export interface Day {
  /** UTC calendar day, `YYYY-MM-DD`. */
  date: string;
  incoming: number;
  outgoing: number;
}

const HEIGHT = 220;
const PAD = { top: 12, right: 8, bottom: 26, left: 40 };

/** A round upper bound and step for about four grid lines over 0..max. */
export function niceScale(max: number): { top: number; step: number } {
  if (max <= 0) {
    return { top: 4, step: 1 };
  }
  const raw = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / magnitude;
  const step = Math.max(1, (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * magnitude);
  return { top: Math.ceil(max / step) * step, step };
}

/** Centred under its bar, except at the ends, where the text would leave the picture. */
function labelPlacement(i: number, count: number, x: number, barWidth: number) {
  if (i === count - 1) {
    return { x: x + barWidth, textAnchor: 'end' } as const;
  }
  if (i === 0) {
    return { x, textAnchor: 'start' } as const;
  }
  return { x: x + barWidth / 2, textAnchor: 'middle' } as const;
}

/** The width of an element, following resizes (0 until measured). */
function useWidth() {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const element = ref.current;
    if (!element) {
      return;
    }
    const observer = new ResizeObserver(([entry]) => {
      if (entry) {
        setWidth(Math.floor(entry.contentRect.width));
      }
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return { ref, width };
}

/**
 * Messages per day as stacked bars (incoming below, outgoing above), drawn in SVG at the size of its
 * box so that text stays crisp from a phone to a desktop. Each day is a `chart-day` group carrying
 * its numbers, with a tooltip.
 */
export function DailyChart({ daily }: { daily: readonly Day[] }) {
  const { t, lang, formatNumber } = useI18n();
  const { ref, width } = useWidth();
  const dayLabel = useMemo(
    () => new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'short', timeZone: 'UTC' }),
    [lang],
  );

  const max = Math.max(0, ...daily.map((d) => d.incoming + d.outgoing));
  const { top, step } = niceScale(max);
  const plotWidth = Math.max(0, width - PAD.left - PAD.right);
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const slot = daily.length > 0 ? plotWidth / daily.length : 0;
  const barWidth = Math.max(2, slot * 0.68);
  const y = (value: number) => PAD.top + plotHeight - (value / top) * plotHeight;
  // A date under every 7th bar counted back from today; every 10th when bars are thin.
  const every = slot < 11 ? 10 : 7;
  const ticks: number[] = [];
  for (let v = 0; v <= top; v += step) {
    ticks.push(v);
  }

  return (
    <div ref={ref} className="stats-chart" data-testid="stats-chart">
      {width > 0 ? (
        <svg
          width={width}
          height={HEIGHT}
          viewBox={`0 0 ${width} ${HEIGHT}`}
          role="img"
          aria-label={t('stats.chart.label')}
        >
          {ticks.map((v) => (
            <g key={v} className="stats-grid">
              <line x1={PAD.left} x2={width - PAD.right} y1={y(v)} y2={y(v)} />
              <text x={PAD.left - 6} y={y(v)} dy="0.32em" textAnchor="end">
                {formatNumber(v)}
              </text>
            </g>
          ))}
          {daily.map((day, i) => {
            const x = PAD.left + i * slot + (slot - barWidth) / 2;
            const inTop = y(day.incoming);
            const outTop = y(day.incoming + day.outgoing);
            const label = dayLabel.format(new Date(`${day.date}T00:00:00Z`));
            const showLabel = (daily.length - 1 - i) % every === 0;
            return (
              <g
                key={day.date}
                data-testid="chart-day"
                data-date={day.date}
                data-incoming={day.incoming}
                data-outgoing={day.outgoing}
              >
                <title>
                  {t('stats.chart.tooltip', {
                    date: label,
                    incoming: formatNumber(day.incoming),
                    outgoing: formatNumber(day.outgoing),
                  })}
                </title>
                <rect
                  className="stats-hit"
                  x={PAD.left + i * slot}
                  y={PAD.top}
                  width={slot}
                  height={plotHeight}
                />
                {day.incoming > 0 ? (
                  <rect
                    className="stats-bar-in"
                    x={x}
                    y={inTop}
                    width={barWidth}
                    height={y(0) - inTop}
                    rx={Math.min(2, barWidth / 4)}
                  />
                ) : null}
                {day.outgoing > 0 ? (
                  <rect
                    className="stats-bar-out"
                    x={x}
                    y={outTop}
                    width={barWidth}
                    height={inTop - outTop}
                    rx={Math.min(2, barWidth / 4)}
                  />
                ) : null}
                {showLabel ? (
                  <text
                    className="stats-axis"
                    y={HEIGHT - 8}
                    {...labelPlacement(i, daily.length, x, barWidth)}
                  >
                    {label}
                  </text>
                ) : null}
              </g>
            );
          })}
          <line className="stats-baseline" x1={PAD.left} x2={width - PAD.right} y1={y(0)} y2={y(0)} />
          {max === 0 ? (
            <text
              className="stats-axis"
              x={PAD.left + plotWidth / 2}
              y={PAD.top + plotHeight / 2}
              textAnchor="middle"
            >
              {t('stats.chart.empty')}
            </text>
          ) : null}
        </svg>
      ) : null}
    </div>
  );
}
