import type { ReactNode } from 'react';

/** A table on a card, scrolling sideways on a narrow screen: `head` is the header row's cells. */
export function TableCard({
  cardClassName,
  tableClassName,
  testId,
  head,
  children,
}: {
  cardClassName: string;
  tableClassName: string;
  testId: string;
  head: ReactNode;
  /** The body's rows. */
  children: ReactNode;
}) {
  return (
    <div className={`card ${cardClassName}`}>
      <div className="table-wrap">
        <table className={tableClassName} data-testid={testId}>
          <thead>
            <tr>{head}</tr>
          </thead>
          <tbody>{children}</tbody>
        </table>
      </div>
    </div>
  );
}
