// Runs one scenario against a vzero server with the official v0-sdk client and prints its results as JSON.
// Usage: V0_BASE_URL=http://127.0.0.1:PORT/v1 V0_API_KEY=KEY node run.mjs <scenario>
// A scenario is scenarios/<name>.mjs exporting `default async (ctx) => results`; the Python test asserts on the results.
import { createClient } from 'v0-sdk'

const name = process.argv[2]
if (!name || !/^[a-z0-9_-]+$/.test(name)) {
  console.error('usage: node run.mjs <scenario>   (a file in scenarios/)')
  process.exit(2)
}
const baseUrl = process.env.V0_BASE_URL
const apiKey = process.env.V0_API_KEY
if (!baseUrl || !apiKey) {
  console.error('set V0_BASE_URL (ending in /v1) and V0_API_KEY')
  process.exit(2)
}

// The SDK throws `new Error("HTTP <status>: <body>")` for any non-2xx answer; this turns it into data.
async function httpError(promise) {
  try {
    const value = await promise
    return { threw: false, value }
  } catch (err) {
    const match = /^HTTP (\d{3}): ([\s\S]*)$/.exec(String(err?.message ?? err))
    if (!match) return { threw: true, status: null, message: String(err?.message ?? err) }
    let body = match[2]
    try { body = JSON.parse(body) } catch { /* keep the raw text */ }
    return { threw: true, status: Number(match[1]), body }
  }
}

function bytesInfo(buffer) {
  const bytes = new Uint8Array(buffer)
  return {
    isArrayBuffer: buffer instanceof ArrayBuffer,
    byteLength: bytes.byteLength,
    base64: Buffer.from(bytes).toString('base64'),
  }
}

const ctx = {
  v0: createClient({ apiKey, baseUrl }),
  client: (options) => createClient({ apiKey, baseUrl, ...options }),
  baseUrl,
  apiKey,
  httpError,
  bytesInfo,
}

try {
  const scenario = await import(`./scenarios/${name}.mjs`)
  const results = await scenario.default(ctx)
  process.stdout.write(JSON.stringify(results) + '\n')
} catch (err) {
  console.error(`scenario ${name} failed: ${err?.stack ?? err}`)
  process.exit(1)
}
