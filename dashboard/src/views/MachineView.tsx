import { useEffect, useState } from 'preact/hooks';
import type { MachineDiagram } from '../../../src/agent/dashboard/protocol';
import { clockTime, duration } from '../format';
import type { DashboardStore } from '../store';
import { MachineDiagramSvg } from './MachineDiagramSvg';

let diagramRequest: Promise<MachineDiagram> | undefined;

/** The diagram is part of the page (built with it), not data: no token needed, fetched once. */
function loadDiagram(): Promise<MachineDiagram> {
  diagramRequest ??= fetch('assets/machine.json').then((response) => {
    if (!response.ok) throw new Error(`machine diagram: ${response.status}`);
    return response.json() as Promise<MachineDiagram>;
  });
  return diagramRequest;
}

export function MachineView({ store }: { store: DashboardStore }) {
  const [diagram, setDiagram] = useState<MachineDiagram | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [actualSize, setActualSize] = useState(false);
  useEffect(() => {
    loadDiagram().then(setDiagram, (failure: Error) => setError(failure.message));
  }, []);
  const controller = store.controller;
  const current = controller?.currentEvent;

  return (
    <div class="machine-view">
      <section class="machine-canvas" aria-label="Controller machine diagram">
        <div class="canvas-tools">
          <button type="button" aria-pressed={actualSize} onClick={() => setActualSize(!actualSize)}>
            {actualSize ? 'Fit to the window' : 'Actual size'}
          </button>
        </div>
        {error && <p class="error">{error}</p>}
        {diagram && controller && <MachineDiagramSvg diagram={diagram} active={controller.activeStates.join(' ')} actualSize={actualSize} />}
      </section>
      <aside class="machine-side" aria-label="Controller state">
        {controller && (
          <>
            <h2>Now</h2>
            <dl class="facts">
              <dt>State</dt>
              <dd data-testid="machine-state">{controller.state}</dd>
              <dt>Healing</dt>
              <dd data-testid="healing-state">
                {controller.healing.state}
                {controller.healing.cause && <div class="muted small-text">{controller.healing.cause}</div>}
                {controller.healing.state.startsWith('outage') && <div class="muted">next retry in {duration(controller.healing.outageBackoffMs)}</div>}
              </dd>
              <dt>Event</dt>
              <dd data-testid="current-event">{current ? `#${current.seqNum} ${current.name} (since ${clockTime(current.startedAt)})` : 'none'}</dd>
            </dl>
            <h2>Queues</h2>
            <dl class="facts queues">
              <dt>main</dt>
              <dd data-testid="queue-main">{controller.queueDepths.main}</dd>
              <dt>follow-up</dt>
              <dd data-testid="queue-follow-up">{controller.queueDepths.followUp}</dd>
              <dt>held back</dt>
              <dd data-testid="queue-delayed">{controller.queueDepths.delayed}</dd>
            </dl>
            <h2>Recent changes</h2>
            <ol class="transitions" data-testid="transitions">
              {[...store.transitions].reverse().map((change) => (
                <li>
                  <span class="time">{clockTime(change.at)}</span> <span class={`badge state-${change.state}`}>{change.state}</span>{' '}
                  <span class="muted">healing {change.healing}</span>
                </li>
              ))}
            </ol>
          </>
        )}
      </aside>
    </div>
  );
}
