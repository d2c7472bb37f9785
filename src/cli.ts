// Entry of the dkp-fleet CLI bundle (dist/cli.js). Nothing else lives here.
import './heap-tuning.js'
import { main } from './cli/main.js'

process.exitCode = await main(process.argv.slice(2))
