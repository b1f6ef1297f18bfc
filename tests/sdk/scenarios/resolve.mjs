// resolveTask on a chat whose latest assistant message waits on a question (SCENARIO_CHAT_ID names the chat).
export default async function resolve({ v0 }) {
  const chatId = process.env.SCENARIO_CHAT_ID
  const resolved = await v0.chats.resolveTask({
    chatId,
    task: { type: 'answered-questions', answers: [{ questionId: 'q1', questionText: 'Which color?', selectedLabels: ['Blue'] }] },
  })
  return { resolved }
}
