/**
 * Line icons drawn as SVG paths (24×24, stroked with the text colour): the console ships no icon
 * font, and emoji depend on the fonts of the viewer's system.
 */
const PATHS = {
  back: 'M15 5l-7 7 7 7',
  plus: 'M12 5v14M5 12h14',
  close: 'M6 6l12 12M18 6L6 18',
  check: 'M2.5 12.5l4.5 4.5L16.5 7.5M11.5 16l1 1L22 7.5',
  pin: 'M9 3h6M10 3v6l-4 4v2h12v-2l-4-4V3M12 15v6',
  archive: 'M3 4h18v5H3zM5 9v11h14V9M10 13h4',
  download: 'M12 4v11M7 10l5 5 5-5M5 20h14',
  reply: 'M10 7l-6 5 6 5M4 12h10a6 6 0 016 6v1',
  image: 'M4 5h16v14H4zM4 16l5-5 4 4 3-3 4 4M15 9h.01',
  file: 'M7 3h7l5 5v13H7zM14 3v5h5',
  mic: 'M12 3a3 3 0 013 3v5a3 3 0 01-6 0V6a3 3 0 013-3zM6 11a6 6 0 0012 0M12 17v4',
  video: 'M3 7h12v10H3zM15 10.5l6-3.5v10l-6-3.5',
  audio: 'M9 18V5l11-2v13M9 18a3 3 0 11-6 0 3 3 0 016 0zM20 16a3 3 0 11-6 0 3 3 0 016 0z',
  location: 'M12 21s-7-6-7-11a7 7 0 0114 0c0 5-7 11-7 11zM12 10h.01',
  contact: 'M12 12a4 4 0 100-8 4 4 0 000 8zM4 21a8 8 0 0116 0',
  sticker: 'M4 4h10l6 6v10H4zM14 4v6h6M9 14c1 1.5 4 1.5 5 0',
  reaction: 'M12 21a9 9 0 100-18 9 9 0 000 18zM8.5 14c1.5 2 5.5 2 7 0M9 9.5h.01M15 9.5h.01',
  ban: 'M12 21a9 9 0 100-18 9 9 0 000 18zM5.6 5.6l12.8 12.8',
  info: 'M12 21a9 9 0 100-18 9 9 0 000 18zM12 11v5M12 8h.01',
} as const;

export type IconName = keyof typeof PATHS;

export function Icon({ name, size = 20 }: { name: IconName; size?: number }) {
  return (
    <svg
      className="inbox-icon"
      viewBox="0 0 24 24"
      width={size}
      height={size}
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d={PATHS[name]} />
    </svg>
  );
}

/** The icon of a message kind, for previews and file cards. */
export const TYPE_ICONS: Partial<Record<string, IconName>> = {
  image: 'image',
  video: 'video',
  audio: 'audio',
  voice: 'mic',
  document: 'file',
  sticker: 'sticker',
  location: 'location',
  contact: 'contact',
  reaction: 'reaction',
  system: 'info',
  unknown: 'info',
};
