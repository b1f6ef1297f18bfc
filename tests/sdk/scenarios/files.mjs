// Chats without a model: init from files, list, read, edit a version, fork, list versions, download, delete.
export default async function files({ v0, client, httpError, bytesInfo }) {
  const out = {}
  out.init = await v0.chats.init({
    type: 'files',
    name: 'sdk files chat',
    metadata: { suite: 'sdk' },
    files: [
      { name: 'app/page.tsx', content: 'export default function Page() {\n  return <h1>Hello</h1>\n}\n' },
      { name: 'components/ui/button.tsx', content: 'export const Button = () => <button />\n', locked: true },
      { name: 'app/globals.css', content: 'body { margin: 0 }\n' },
    ],
  })
  const chatId = out.init.id
  const firstVersionId = out.init.latestVersion.id

  out.find = await v0.chats.find()
  out.findByMetadata = await v0.chats.find({ metadata: { suite: 'sdk' }, limit: 10 })
  out.getById = await v0.chats.getById({ chatId })

  out.updateVersion = await v0.chats.updateVersion({
    chatId,
    versionId: firstVersionId,
    files: [{ name: 'app/page.tsx', content: 'export default function Page() {\n  return <h1>Edited</h1>\n}\n' }],
  })
  out.findVersions = await v0.chats.findVersions({ chatId })
  out.findVersionsPage = await v0.chats.findVersions({ chatId, limit: 1 })

  out.fork = await v0.chats.fork({ chatId })
  out.forkOfFirst = await v0.chats.fork({ chatId, versionId: firstVersionId })

  out.downloadZip = bytesInfo(await v0.chats.downloadVersion({ chatId, versionId: out.updateVersion.id }))
  out.downloadTarball = bytesInfo(await v0.chats.downloadVersion({ chatId, versionId: out.updateVersion.id, format: 'tarball' }))

  out.delete = await v0.chats.delete({ chatId })
  out.getDeleted = await httpError(v0.chats.getById({ chatId }))
  out.forkStillThere = await v0.chats.getById({ chatId: out.fork.id })
  out.badKey = await httpError(client({ apiKey: 'not-a-key' }).chats.find())
  out.missingVersion = await httpError(v0.chats.downloadVersion({ chatId: out.fork.id, versionId: 'nope' }))
  return out
}
