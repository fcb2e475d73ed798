/** The commands that replay a chaos run: the same seed gives the same actions. */
export function replayCommand(seed: number, steps: number): string {
  return `npm run chaos -- --seed ${seed} --steps ${steps}`;
}

export function agentChaosReplayCommand(seed: number, steps: number): string {
  return `npm run chaos -- --agent --seed ${seed} --steps ${steps}`;
}
