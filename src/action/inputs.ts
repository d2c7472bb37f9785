// The action's inputs, parsed and validated once into a typed object by the options parser
// the CLI shares (src/core/options.ts). Fed by core.getInput in the action and by a plain map
// in tests; messages name the input (`input cluster: …`). Every name read here is declared in
// action.yml (a unit test checks both directions).

import { OPTION_NAMES, type OptionName, type Options, parseOptions } from '../core/options.js'

export type ActionInputs = Options

/** Input names exactly as declared in action.yml. */
export const INPUT_NAMES = OPTION_NAMES

export type InputName = OptionName

/** How the action names an input in messages. */
export const inputLabel = (name: InputName): string => `input ${name}`

export function parseInputs(get: (name: InputName) => string): ActionInputs {
  return parseOptions(get, { label: inputLabel })
}
