import type { ReactNode } from 'react';

/** An admin screen's title and the sentence under it that says what it is for; `children` go beside. */
export function PageHeader({ title, lead, children }: { title: string; lead: string; children?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        <p className="muted admin-lead">{lead}</p>
      </div>
      {children}
    </header>
  );
}
