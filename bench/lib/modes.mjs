/**
 * Configurations of ours compared with each other (logging levels, telemetry modes) take turns
 * round after round, as peers do, and each keeps its median round: a slow spell on the shared
 * machine then hurts every configuration alike instead of whichever ran during it.
 */
export async function measureModes(settings, modes) {
  const names = Object.keys(modes);
  const runs = new Map(names.map((name) => [name, []]));
  for (let round = 0; round < Math.max(1, settings.rounds); round++) {
    for (const name of names) runs.get(name).push(await modes[name]());
  }
  const kept = {};
  for (const name of names) {
    const cells = runs.get(name);
    const sorted = [...cells].sort((a, b) => a.callsPerSec - b.callsPerSec);
    kept[name] = { ...sorted[(sorted.length - 1) >> 1], rounds: cells.map((cell) => cell.callsPerSec) };
  }
  return kept;
}
