// Entry of the action bundle (dist/index.js). Nothing else lives here.
import { run } from './action/main.js'

await run()
