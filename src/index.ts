// Entry of the action bundle (dist/index.js). Nothing else lives here.
import './heap-tuning.js'
import { run } from './action/main.js'

await run()
