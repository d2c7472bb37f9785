// Entry of the post step (dist/post.js): runs after the job, also when it failed or was cancelled.
import { runPost } from './action/post.js'

await runPost()
