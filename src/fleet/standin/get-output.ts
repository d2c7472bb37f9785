// How the `dkp get` commands print: a table, or the objects as a YAML/JSON List.

import { stringify } from 'yaml'
import type { AnyObject } from '../objects.js'
import type { Ctx } from './command.js'
import { UsageError } from './flags.js'
import { str } from './session.js'

export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? []
  return `${rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 3))).join('')).join('\n')}\n`
}

export function printObjects(ctx: Ctx, items: AnyObject[], rows: () => string[][]): void {
  const o = str(ctx.flags.output) ?? 'table'
  if (o === 'yaml') ctx.io.stdout(stringify({ apiVersion: 'v1', kind: 'List', items }))
  else if (o === 'json')
    ctx.io.stdout(`${JSON.stringify({ apiVersion: 'v1', kind: 'List', items }, null, 2)}\n`)
  else if (o === 'table') ctx.io.stdout(table(rows()))
  else throw new UsageError(`unknown output format "${o}": one of table|yaml|json`)
}
