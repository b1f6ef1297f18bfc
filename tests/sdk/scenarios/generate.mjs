// Generation through the official client: create (sync), sendMessage (sync, async + polling, experimental_stream
// read with the SDK's own parseStreamingResponse), stop, and resolveTask with no task waiting.
import { parseStreamingResponse } from 'v0-sdk'

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

export default async function generate({ v0, httpError }) {
  const out = {}
  out.create = await v0.chats.create({ message: 'Build a counter', responseMode: 'sync' })
  const chatId = out.create.id

  out.sendSync = await v0.chats.sendMessage({ chatId, message: 'Rename the button' })

  out.sendAsync = await v0.chats.sendMessage({ chatId, message: 'Add a reset button', responseMode: 'async' })
  const pendingId = out.sendAsync.messages.at(-1).id
  for (let i = 0; i < 200; i++) {
    out.polled = await v0.chats.getMessage({ chatId, messageId: pendingId })
    if (out.polled.finishReason) break
    await sleep(50)
  }

  const stream = await v0.chats.sendMessage({ chatId, message: 'Make it blue', responseMode: 'experimental_stream' })
  out.streamEvents = []
  for await (const event of parseStreamingResponse(stream)) out.streamEvents.push(event)

  out.slow = await v0.chats.sendMessage({ chatId, message: 'A long change', responseMode: 'async' })
  const slowId = out.slow.messages.at(-1).id
  await sleep(300)
  out.stop = await v0.chats.stop({ chatId, messageId: slowId })
  for (let i = 0; i < 200; i++) {
    out.stopped = await v0.chats.getMessage({ chatId, messageId: slowId })
    if (out.stopped.finishReason) break
    await sleep(50)
  }
  out.afterStop = await v0.chats.getById({ chatId })

  out.resolveWithoutTask = await httpError(
    v0.chats.resolveTask({ chatId, task: { type: 'plan-exit-response', status: 'approved', content: 'go' } }),
  )
  return out
}
