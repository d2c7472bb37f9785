#!/usr/bin/env node
// The committed bundle does the work; this file only makes it an npm bin. It runs on the first
// `node` on PATH: in a clone, npx and npm scripts put the node@24 devDependency
// (node_modules/.bin/node) first; an installed package runs on the user's Node, so check the
// floor of package.json `engines` (a unit test keeps the two equal) before loading the bundle.
const MIN_NODE = '22.19.0'
const [major, minor] = process.versions.node.split('.').map(Number)
const [minMajor, minMinor] = MIN_NODE.split('.').map(Number)
if (major < minMajor || (major === minMajor && minor < minMinor)) {
  process.stderr.write(
    `dkp-fleet needs Node.js ${MIN_NODE} or later; ${process.execPath} is ${process.version}\n`,
  )
  process.exit(2)
}
await import('../dist/cli.js')
