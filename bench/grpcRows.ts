/**
 * Rows 3–4, family `grpc`: the controller committing over gRPC to the reference southbound
 * (bench/grpcRuns.ts, bench/grpcBurst.ts), on the workload; and the 100,000-value FULL
 * commit, which the `resync` family reports (`fullCommitRows`). Each row beside a baseline
 * measured in the same run.
 */
import { ECHO_REPLY_BYTES, ECHO_REQUEST_BYTES, runEcho } from './grpcEcho';
import { runSocketEcho } from './socketEcho';
import { measureGrpcBurst } from './grpcBurst';
import { OneAtATime, fullResyncValues, runEngineFullCommit, runGrpcFullCommit, runGrpcStrict, runMemoryStrict, type SouthboundPlace } from './grpcRuns';
import { scaled, type Family, type FamilyResult, type RowResult, type RunSettings } from './report';
import { Throughput, median, ms, range, ratio, thousands } from './stats';
import { FLOOR_DESCRIPTION, FLOOR_LABEL, podChanges } from './workload';

/** What the issue asks of the strict per-event rows over gRPC. */
export const GRPC_STRICT_TARGET_PER_SECOND = 10_000;
/** ... of the coalesced burst over gRPC: absolute, and against the per-event burst. */
const GRPC_BURST_TARGET_PER_SECOND = 100_000;
const GRPC_BURST_TARGET_RATIO = 20;
/** ... and of the big FULL commit. */
export const FULL_COMMIT_TARGET_MS = 1000;
/** Values of the big FULL commit row. */
export const FULL_COMMIT_VALUES = 100_000;

/** Events of each strict repetition: each is a round trip, so fewer than in the in-memory rows. */
const STRICT_EVENTS = 20_000;
const STRICT_WARMUP = 4_000;
/** The coalesced burst is the 100,000; the per-event burst, slow by nature, is compared by rate on fewer. */
const BURST_EVENTS = 100_000;
const PER_EVENT_BURST_EVENTS = 20_000;
const BURST_WARMUP = 5_000;
const DEFAULT_REPS = 3;

const fmtMs = (value: number): string => ms(value);

interface StrictRow {
  name: string;
  series: Throughput;
  run(count: number): Promise<number>;
}

interface PlacedRows {
  place: SouthboundPlace;
  /** Between two processes only: plain TCP round trips of the same sizes, the floor below grpc-js. */
  socket?: StrictRow;
  /** grpc-js alone: round trips of about a strict commit's sizes, nothing else. */
  transport: StrictRow;
  controller: StrictRow;
}

function memoryRow(events: number): StrictRow {
  return controllerRow('baseline: controller + InMemorySouthbound, strict (3 handlers × 2 values)', events, runMemoryStrict);
}

function controllerRow(name: string, events: number, run: (events: ReturnType<typeof podChanges>, tally: OneAtATime) => Promise<number>): StrictRow {
  return {
    name,
    series: new Throughput(events),
    run: (count) => {
      const tally = new OneAtATime();
      return run(podChanges(count, tally), tally);
    },
  };
}

/** Plain TCP round trips to an echo server in its own process: the floor below grpc-js between two processes. */
function socketRow(events: number): StrictRow {
  return {
    name: `baseline: node:net alone, round trips on one TCP connection (same sizes, no HTTP/2, no gRPC), server own process`,
    series: new Throughput(events),
    run: (count) => runSocketEcho(count),
  };
}

function placedRows(place: SouthboundPlace, events: number): PlacedRows {
  return {
    place,
    ...(place === 'own process' && { socket: socketRow(events) }),
    transport: {
      name: `baseline: grpc-js alone, round trips on one stream (${ECHO_REQUEST_BYTES}-byte requests, ${ECHO_REPLY_BYTES}-byte answers), server ${place}`,
      series: new Throughput(events),
      run: (count) => runEcho(place, count),
    },
    controller: controllerRow(`grpc: controller + GrpcSouthbound, strict, southbound ${place}`, events, (changes, tally) => runGrpcStrict(changes, tally, place)),
  };
}

async function run(settings: RunSettings): Promise<FamilyResult> {
  const reps = settings.reps ?? DEFAULT_REPS;
  const strictEvents = scaled(STRICT_EVENTS, settings);
  const strictWarmup = scaled(STRICT_WARMUP, settings);
  const burstEvents = scaled(BURST_EVENTS, settings);
  const perEventBurstEvents = scaled(PER_EVENT_BURST_EVENTS, settings);
  const burstWarmup = scaled(BURST_WARMUP, settings);
  const memory = memoryRow(strictEvents);
  const ownProcess = placedRows('own process', strictEvents);
  const placed = [placedRows('in-process', strictEvents), ownProcess];
  const floor = controllerRow(FLOOR_STRICT_ROW, strictEvents, (changes, tally) => runGrpcStrict(changes, tally, 'own process', 'floor'));
  const strict = [memory, ...placed.flatMap((p) => [...(p.socket ? [p.socket] : []), p.transport, p.controller]), floor];
  const perEvent = new Throughput(perEventBurstEvents);
  const coalesced = new Throughput(burstEvents);
  const coalescedFloor = new Throughput(burstEvents);
  for (const row of strict) await row.run(strictWarmup);
  // Rows interleave within each repetition, so a slow moment of the machine hits all of them.
  for (let rep = 1; rep <= reps; rep++) {
    for (const row of strict) row.series.add({ wallMs: await row.run(strictEvents), cpuMs: NaN });
    perEvent.add(await measureGrpcBurst({ coalesce: false, events: perEventBurstEvents, warmupEvents: burstWarmup }));
    coalesced.add(await measureGrpcBurst({ coalesce: true, events: burstEvents, warmupEvents: burstWarmup }));
    coalescedFloor.add(await measureGrpcBurst({ coalesce: true, events: burstEvents, warmupEvents: burstWarmup, handlers: 'floor' }));
    settings.log(`grpc: repetition ${rep}/${reps} done`);
  }
  const rows: RowResult[] = [{ name: memory.name, figure: memory.series.figure(), range: memory.series.range() }];
  for (const { socket, transport, controller } of placed) {
    if (socket) rows.push({ name: socket.name, figure: `${thousands(socket.series.rate)} rt/s`, range: socket.series.range() });
    rows.push({ name: transport.name, figure: `${thousands(transport.series.rate)} rt/s`, range: transport.series.range() });
    rows.push({
      name: controller.name,
      figure: controller.series.figure(),
      range: controller.series.range(),
      baseline: `in-memory ${memory.series.figure()}; grpc-js alone ${thousands(transport.series.rate)} rt/s`,
      ratio: `${ratio(controller.series.rate / memory.series.rate)} in-memory; ${ratio(controller.series.rate / transport.series.rate)} grpc-js alone`,
      target: `≥ ${thousands(GRPC_STRICT_TARGET_PER_SECOND)} ev/s`,
      met: controller.series.rate >= GRPC_STRICT_TARGET_PER_SECOND,
    });
  }
  const ownTransport = ownProcess.transport.series.rate;
  rows.push({
    name: floor.name,
    figure: floor.series.figure(),
    range: floor.series.range(),
    baseline: `grpc-js alone ${thousands(ownTransport)} rt/s`,
    ratio: `${ratio(floor.series.rate / ownTransport)} grpc-js alone`,
  });
  rows.push({ name: `grpc: burst of ${thousands(perEventBurstEvents)} pushed at once, one commit per event`, figure: perEvent.figure(), range: perEvent.range() });
  rows.push({
    name: `grpc: burst of ${thousands(burstEvents)} pushed at once, coalesced`,
    figure: coalesced.figure(),
    range: coalesced.range(),
    baseline: `per event ${perEvent.figure()}`,
    ratio: ratio(coalesced.rate / perEvent.rate),
    target: `≥ ${GRPC_BURST_TARGET_RATIO}× per event and ≥ ${thousands(GRPC_BURST_TARGET_PER_SECOND)} ev/s`,
    met: coalesced.rate >= GRPC_BURST_TARGET_RATIO * perEvent.rate && coalesced.rate >= GRPC_BURST_TARGET_PER_SECOND,
  });
  rows.push({
    name: `floor: burst of ${thousands(burstEvents)} pushed at once, coalesced, ${FLOOR_LABEL}`,
    figure: coalescedFloor.figure(),
    range: coalescedFloor.range(),
    baseline: `coalesced ${coalesced.figure()}`,
    ratio: ratio(coalescedFloor.rate / coalesced.rate),
  });
  return {
    rows,
    notes: [
      `Strict rows: ${thousands(strictEvents)} events per repetition, each pushed and awaited before the next (after one warm-up run of ${thousands(strictWarmup)}); ${reps} repetitions.`,
      [
        `grpc-js alone: ${thousands(strictEvents)} round trips per repetition on one bidirectional stream (raw bytes, no protobuf, no controller): the most strict commits per second this transport allows here.`,
        ...transportCeilingNote(placed),
      ].join(' '),
      ...socketNote(placed),
      `Burst rows: each in a fresh process after ${thousands(burstWarmup)} warm-up events, southbound in its own process; process CPU medians: per event ${perEvent.cpuFigure()}, coalesced ${coalesced.cpuFigure()}, coalesced floor ${coalescedFloor.cpuFigure()}.`,
      floorNote(floor.series.rate, coalescedFloor.rate, perEvent.rate),
    ],
  };
}

const FLOOR_STRICT_ROW = `floor: controller + GrpcSouthbound, strict, southbound own process, ${FLOOR_LABEL}`;

/** Says where the targets lie against the floors: what the runtime, the transport and the southbound allow with no handler work. */
function floorNote(strictFloor: number, burstFloor: number, perEventBurst: number): string {
  const side = (rate: number, target: number): string => (rate >= target ? 'above' : 'below');
  const ratioTarget = GRPC_BURST_TARGET_RATIO * perEventBurst;
  return (
    `Floors: the same runs with ${FLOOR_DESCRIPTION}: what the controller, GrpcSouthbound and the reference southbound allow by themselves. ` +
    `Strict: ${thousands(strictFloor)} ev/s, ${side(strictFloor, GRPC_STRICT_TARGET_PER_SECOND)} the ${thousands(GRPC_STRICT_TARGET_PER_SECOND)} ev/s target; ` +
    `coalesced burst: ${thousands(burstFloor)} ev/s, ${side(burstFloor, GRPC_BURST_TARGET_PER_SECOND)} the ${thousands(GRPC_BURST_TARGET_PER_SECOND)} ev/s target ` +
    `and ${side(burstFloor, ratioTarget)} ${GRPC_BURST_TARGET_RATIO}× the per-event burst (${thousands(ratioTarget)} ev/s).`
  );
}

/** Says where the strict target lies against the transport's own round-trip rate. */
function transportCeilingNote(placed: readonly PlacedRows[]): string[] {
  const below = placed.filter((p) => p.transport.series.rate < GRPC_STRICT_TARGET_PER_SECOND).map((p) => `server ${p.place} ${thousands(p.transport.series.rate)} rt/s`);
  return below.length === 0 ? [] : [`The ${thousands(GRPC_STRICT_TARGET_PER_SECOND)} ev/s target is above it in this run: ${below.join(', ')}.`];
}

/** Says what plain TCP between two Node processes allows, against the strict target. */
function socketNote(placed: readonly PlacedRows[]): string[] {
  const socket = placed.find((p) => p.socket)?.socket;
  if (!socket) return [];
  const rate = socket.series.rate;
  const where = rate < GRPC_STRICT_TARGET_PER_SECOND ? 'below' : 'above';
  return [
    `node:net alone: the same round trips on a plain TCP connection to an echo server in a child process: ${thousands(rate)} rt/s, ${where} the ${thousands(GRPC_STRICT_TARGET_PER_SECOND)} ev/s target: what two Node processes can exchange one message at a time here, before any HTTP/2 or gRPC.`,
  ];
}

export const grpcFamily: Family = { name: 'grpc', title: 'committing over gRPC to the reference southbound', run };

/** The 100,000-value FULL commit over gRPC, recorded transaction included, beside the scheduler alone. */
export async function fullCommitRows(reps: number, settings: RunSettings): Promise<RowResult[]> {
  const count = scaled(FULL_COMMIT_VALUES, settings);
  const values = fullResyncValues(count);
  await runGrpcFullCommit(values); // warm-up
  const engine: number[] = [];
  const grpc: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    engine.push(await runEngineFullCommit(values));
    grpc.push(await runGrpcFullCommit(values));
  }
  return [
    { name: `baseline: SchedulerEngine in-process, ${thousands(count)}-value FULL`, figure: fmtMs(median(engine)), range: range(engine, fmtMs) },
    {
      name: `grpc: GrpcSouthbound ${thousands(count)}-value FULL commit, southbound own process, recorded txn included`,
      figure: fmtMs(median(grpc)),
      range: range(grpc, fmtMs),
      baseline: `engine alone ${fmtMs(median(engine))}`,
      ratio: ratio(median(grpc) / median(engine)),
      target: `≤ ${thousands(FULL_COMMIT_TARGET_MS)} ms`,
      met: median(grpc) <= FULL_COMMIT_TARGET_MS,
    },
  ];
}
