// The plan as JSON text in chunks, byte-identical to JSON.stringify(plan). A 10,000-cluster
// plan is ~50 MB of JSON (the first step of every wave lists the previous wave's steps), but
// steps of one wave share one `needs` array: serialised once and streamed in chunks, the text
// never exists whole in memory.

import type { Plan } from './plan.js'

const HOLE = '\u0000dkp-fleet-hole\u0000'
const HOLE_JSON = JSON.stringify(HOLE)
const CHUNK = 64 * 1024

export function* planJsonChunks(plan: Plan): Generator<string> {
  const [head, tail] = JSON.stringify({ ...plan, steps: HOLE }).split(HOLE_JSON) as [string, string]
  const needsJson = new Map<string[], string>()
  let batch = `${head}[`
  for (let i = 0; i < plan.steps.length; i++) {
    const step = plan.steps[i]!
    let needs = needsJson.get(step.needs)
    if (needs === undefined) {
      needs = JSON.stringify(step.needs)
      needsJson.set(step.needs, needs)
    }
    const [before, after] = JSON.stringify({ ...step, needs: HOLE }).split(HOLE_JSON) as [string, string]
    batch += (i > 0 ? ',' : '') + before
    // A long needs list is emitted as the cached string itself, never copied into a batch.
    if (needs.length >= CHUNK / 16) {
      yield batch
      yield needs
      batch = after
    } else batch += needs + after
    if (batch.length >= CHUNK) {
      yield batch
      batch = ''
    }
  }
  yield `${batch}]${tail}`
}

/** The whole plan as one string (small plans, tests). */
export function planJson(plan: Plan): string {
  return [...planJsonChunks(plan)].join('')
}
