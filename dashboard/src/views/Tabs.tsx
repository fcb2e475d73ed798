import type { TargetedKeyboardEvent } from 'preact';

export type TabId = 'timeline' | 'machine' | 'values';

const TABS: { id: TabId; label: string }[] = [
  { id: 'timeline', label: 'Timeline' },
  { id: 'machine', label: 'Machine' },
  { id: 'values', label: 'Southbound values' },
];

/** The WAI-ARIA tabs pattern: one tab stop, arrow keys (and Home/End) move between tabs. */
export function Tabs({ current, onSelect, counts }: { current: TabId; onSelect(id: TabId): void; counts: Partial<Record<TabId, number>> }) {
  const onKeyDown = (event: TargetedKeyboardEvent<HTMLDivElement>) => {
    const index = TABS.findIndex((tab) => tab.id === current);
    const next =
      event.key === 'ArrowRight' ? (index + 1) % TABS.length : event.key === 'ArrowLeft' ? (index + TABS.length - 1) % TABS.length : event.key === 'Home' ? 0 : event.key === 'End' ? TABS.length - 1 : -1;
    if (next < 0) return;
    event.preventDefault();
    onSelect(TABS[next].id);
    document.getElementById(`tab-${TABS[next].id}`)?.focus();
  };
  return (
    <div class="tabs" role="tablist" aria-label="Dashboard views" onKeyDown={onKeyDown}>
      {TABS.map((tab) => (
        <button
          type="button"
          role="tab"
          id={`tab-${tab.id}`}
          aria-selected={tab.id === current}
          aria-controls={`panel-${tab.id}`}
          tabIndex={tab.id === current ? 0 : -1}
          onClick={() => onSelect(tab.id)}
        >
          {tab.label}
          {counts[tab.id] !== undefined && <span class="count">{counts[tab.id]}</span>}
        </button>
      ))}
    </div>
  );
}
