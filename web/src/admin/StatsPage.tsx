import { type ReactNode, useEffect, useRef } from 'react';

import { api, unwrap } from '../api/client';
import { useSocketEvent } from '../api/realtime';
import { useApi } from '../api/use-api';
import { useI18n } from '../i18n/i18n';
import { ErrorBanner } from '../ui/ErrorBanner';
import { DailyChart } from './DailyChart';
import { PageHeader } from './PageHeader';

/** New messages refresh the figures, at most this often. */
const REFRESH_DELAY_MS = 3000;

/**
 * The company's figures: sessions online, chats, messages of the last 30 days by direction, and a
 * chart of them per day. Follows new messages and status changes live (a refetch, throttled).
 */
export function StatsPage() {
  const { t, formatNumber, lang } = useI18n();
  const stats = useApi((signal) => unwrap(api.GET('/api/whatsapp/stats', { signal })), []);
  const { data, reload } = stats;

  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (timer.current) {
        clearTimeout(timer.current);
      }
    },
    [],
  );
  const refreshSoon = () => {
    if (timer.current) {
      return;
    }
    timer.current = setTimeout(() => {
      timer.current = null;
      reload();
    }, REFRESH_DELAY_MS);
  };
  useSocketEvent('whatsapp:message', refreshSoon);
  useSocketEvent('whatsapp:message_sent', refreshSoon);
  useSocketEvent('whatsapp:session_status', refreshSoon);

  const day = new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'long', timeZone: 'UTC' });
  const period =
    data && data.daily.length > 0
      ? t('stats.period', {
          from: day.format(new Date(`${data.daily[0]!.date}T00:00:00Z`)),
          to: day.format(new Date(`${data.daily[data.daily.length - 1]!.date}T00:00:00Z`)),
        })
      : '';

  return (
    <section className="page stats-page" data-testid="page-stats">
      <PageHeader title={t('nav.stats')} lead={t('stats.lead')} />
      {stats.error ? <ErrorBanner error={stats.error} onRetry={reload} /> : null}
      {!data && stats.loading ? <p className="empty">{t('common.loading')}</p> : null}
      {data ? (
        <>
          <div className="stats-tiles">
            <Tile
              label={t('stats.activeSessions')}
              value={data.activeSessions}
              testId="stat-active-sessions"
              note={t('stats.ofTotal', { total: formatNumber(data.totalSessions) })}
              noteTestId="stat-total-sessions"
              noteValue={data.totalSessions}
            />
            <Tile label={t('stats.totalChats')} value={data.totalChats} testId="stat-total-chats" />
            <Tile
              label={t('stats.messages30')}
              value={data.messagesLast30Days.total}
              testId="stat-messages-total"
              wide
            >
              <span className="stats-split">
                <span>
                  <span className="stats-swatch" data-kind="in" aria-hidden="true" />
                  {t('stats.incoming')}{' '}
                  <strong data-testid="stat-messages-incoming" data-value={data.messagesLast30Days.incoming}>
                    {formatNumber(data.messagesLast30Days.incoming)}
                  </strong>
                </span>
                <span>
                  <span className="stats-swatch" data-kind="out" aria-hidden="true" />
                  {t('stats.outgoing')}{' '}
                  <strong data-testid="stat-messages-outgoing" data-value={data.messagesLast30Days.outgoing}>
                    {formatNumber(data.messagesLast30Days.outgoing)}
                  </strong>
                </span>
              </span>
            </Tile>
          </div>

          <div className="card stats-chart-card">
            <div className="stats-chart-head">
              <h2 className="admin-card-title">{t('stats.chart.title')}</h2>
              <span className="muted stats-period">{period}</span>
            </div>
            <ul className="stats-legend">
              <li>
                <span className="stats-swatch" data-kind="in" aria-hidden="true" />
                {t('stats.incoming')}
              </li>
              <li>
                <span className="stats-swatch" data-kind="out" aria-hidden="true" />
                {t('stats.outgoing')}
              </li>
            </ul>
            <DailyChart daily={data.daily} />
            <details className="stats-table">
              <summary>{t('stats.table.toggle')}</summary>
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">{t('stats.table.date')}</th>
                      <th scope="col">{t('stats.incoming')}</th>
                      <th scope="col">{t('stats.outgoing')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {[...data.daily].reverse().map((d) => (
                      <tr key={d.date}>
                        <td>{day.format(new Date(`${d.date}T00:00:00Z`))}</td>
                        <td>{formatNumber(d.incoming)}</td>
                        <td>{formatNumber(d.outgoing)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </details>
          </div>
        </>
      ) : null}
    </section>
  );
}

function Tile({
  label,
  value,
  testId,
  note,
  noteTestId,
  noteValue,
  wide = false,
  children,
}: {
  label: string;
  value: number;
  testId: string;
  note?: string;
  noteTestId?: string;
  noteValue?: number;
  wide?: boolean;
  children?: ReactNode;
}) {
  const { formatNumber } = useI18n();
  return (
    <div className="card stats-tile" data-wide={wide}>
      <span className="stats-tile-label">{label}</span>
      <span className="stats-tile-value" data-testid={testId} data-value={value}>
        {formatNumber(value)}
      </span>
      {note ? (
        <span className="stats-tile-note muted" data-testid={noteTestId} data-value={noteValue}>
          {note}
        </span>
      ) : null}
      {children}
    </div>
  );
}
