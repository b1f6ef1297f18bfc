// The new fields through the official client, sent as the SDK sends them: an MCP server, then a chat with
// mcpServerIds, skills + attachedSkillIds, modelConfiguration (imageGenerations, thinking) and designSystemId; the
// reply asks a question, answered with resolveTask; then an OAuth server's authorization URL.
export default async function agentic({ v0, httpError }) {
  const out = {}
  out.server = await v0.mcpServers.create({ name: 'shop', url: process.env.SCENARIO_MCP_URL })
  out.create = await v0.chats.create({
    message: 'Build a shop page',
    mcpServerIds: [out.server.id],
    skills: [{ type: 'remote', id: 'acme/ui-kit/buttons' }],
    attachedSkillIds: ['acme/ui-kit/forms'],
    modelConfiguration: { modelId: 'v0-pro', imageGenerations: true, thinking: true },
    designSystemId: 'ocean',
  })
  out.resolved = await v0.chats.resolveTask({
    chatId: out.create.id,
    task: { type: 'answered-questions', answers: [{ questionId: 'q1', questionText: 'Which layout?', selectedLabels: ['Grid'] }] },
    responseMode: 'sync',
  })
  out.unknownServer = await httpError(v0.chats.sendMessage({ chatId: out.create.id, message: 'x', mcpServerIds: ['nope'] }))
  out.oauthServer = await v0.mcpServers.create({
    name: 'oauth',
    url: process.env.SCENARIO_MCP_URL,
    auth: { type: 'oauth', config: { authorizationUrl: 'https://auth.example/authorize', tokenUrl: 'https://auth.example/token', clientId: 'vzero', scopes: ['read'] } },
  })
  out.authorization = await v0.mcpServers.createOAuthAuthorizationUrl({ mcpServerId: out.oauthServer.id, returnUrl: 'https://app.example/back' })
  return out
}
