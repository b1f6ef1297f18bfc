// Applies jsondiffpatch deltas (the v2 stream's `message.parts.chunk`) to a value, returning the new value.
// Covers what the format defines for JSON: added [v], replaced [old, new], deleted [old, 0, 0], moved
// ["", to, 3], nested objects, and arrays ("_t": "a"); a text diff ([diff, 0, 2]) is refused, so the caller
// falls back to reading the message again.

type Json = any;

export function patch(value: Json, delta: Json): Json {
  if (delta === undefined) return value;
  if (Array.isArray(delta)) {
    if (delta.length === 1) return delta[0];
    if (delta.length === 2) return delta[1];
    if (delta.length === 3 && delta[2] === 0) return undefined;
    throw new Error("unsupported delta");
  }
  if (delta && typeof delta === "object") {
    if (delta._t === "a") return patchArray(Array.isArray(value) ? value : [], delta);
    const result: Record<string, Json> = { ...(value ?? {}) };
    for (const key of Object.keys(delta)) {
      const next = patch(result[key], delta[key]);
      if (next === undefined) delete result[key];
      else result[key] = next;
    }
    return result;
  }
  throw new Error("unsupported delta");
}

function patchArray(array: Json[], delta: Record<string, Json>): Json[] {
  const result = array.slice();
  const removals: number[] = [];
  const moves: [number, number][] = [];
  for (const key of Object.keys(delta)) {
    if (key === "_t" || !key.startsWith("_")) continue;
    const change = delta[key];
    const from = Number(key.slice(1));
    if (Array.isArray(change) && change[2] === 0) removals.push(from);
    else if (Array.isArray(change) && change[2] === 3) moves.push([from, change[1]]);
  }
  const moved: [number, Json][] = moves.map(([from, to]) => [to, result[from]]);
  for (const index of [...removals, ...moves.map(([from]) => from)].sort((a, b) => b - a)) result.splice(index, 1);
  const inserts = Object.keys(delta).filter((k) => k !== "_t" && !k.startsWith("_")).map(Number).sort((a, b) => a - b);
  const added = new Map<number, Json>(moved);
  for (const index of inserts) {
    const change = delta[String(index)];
    if (Array.isArray(change) && change.length === 1) added.set(index, change[0]);
  }
  for (const index of [...added.keys()].sort((a, b) => a - b)) result.splice(index, 0, added.get(index));
  for (const index of inserts) {
    const change = delta[String(index)];
    if (!(Array.isArray(change) && change.length === 1)) result[index] = patch(result[index], change);
  }
  return result;
}
