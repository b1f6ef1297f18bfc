// Reads {"deltas": [...]} on stdin, applies them in order to [] with jsondiffpatch's own patch, prints the result.
import { create } from 'jsondiffpatch'

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const { deltas } = JSON.parse(Buffer.concat(chunks).toString('utf8'))
const differ = create()
let document = []
for (const delta of deltas) document = differ.patch(document, delta)
process.stdout.write(JSON.stringify(document))
