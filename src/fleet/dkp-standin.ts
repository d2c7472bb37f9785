// Entry of the stand-in `dkp` bundle (dist/dkp-standin.js), run by absolute node path through a
// shim named `dkp`. Nothing else lives here: see ./standin/main.ts.
import { runStandin } from './standin/main.js'

process.exitCode = await runStandin(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
})
