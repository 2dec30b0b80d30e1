// An OpenID provider on loopback for the tests: panva's oidc-provider with one
// confidential client, and people whose claims a test sets.
//
//   PORT=0 CLIENT='{"client_id": ..., "client_secret": ..., "redirect_uris": [...]}' node server.js
//
// It prints "listening <port>" once it serves. A test sets a person's claims with
// PUT /test/people/<id> (JSON); at the provider's sign-in page, the person types that id
// and presses "Sign in" (or "Cancel"). Nothing here is for production.
import http from 'node:http'
import { Provider } from 'oidc-provider'

const client = JSON.parse(process.env.CLIENT)
const people = new Map()

function listen() {
  return new Promise((resolve) => {
    const server = http.createServer()
    server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => resolve(server))
  })
}

const server = await listen()
const port = server.address().port
const issuer = `http://127.0.0.1:${port}`

const provider = new Provider(issuer, {
  clients: [{ grant_types: ['authorization_code'], response_types: ['code'], ...client }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // The tests' server reads every claim from the ID token, as it does from Google's.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  async findAccount(ctx, id) {
    if (!people.has(id)) return undefined
    return { accountId: id, claims: async () => ({ ...people.get(id), sub: id }) }
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
})

function page(uid, clientId) {
  return `<!doctype html><html lang="en"><head><title>Test provider</title></head><body>
<h1>Sign in to the test provider</h1><p>for ${clientId}</p>
<form method="post" action="/interaction/${uid}/login">
<label>Account <input name="account" autocomplete="off"></label>
<button type="submit" name="action" value="login">Sign in</button>
<button type="submit" name="action" value="cancel">Cancel</button>
</form></body></html>`
}

async function readForm(req) {
  let body = ''
  for await (const chunk of req) body += chunk
  return new URLSearchParams(body)
}

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res)
  if (req.method === 'GET') {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
    res.end(page(uid, details.params.client_id))
    return
  }
  const form = await readForm(req)
  const accountId = form.get('account') || ''
  if (form.get('action') === 'cancel' || !people.has(accountId)) {
    await provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'The person cancelled.',
    })
    return
  }
  const grant = new provider.Grant({ accountId, clientId: details.params.client_id })
  grant.addOIDCScope(details.params.scope)
  const grantId = await grant.save()
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  )
}

const callback = provider.callback()
server.on('request', async (req, res) => {
  try {
    const url = new URL(req.url, issuer)
    const person = url.pathname.match(/^\/test\/people\/([^/]+)$/)
    if (person && req.method === 'PUT') {
      let body = ''
      for await (const chunk of req) body += chunk
      people.set(decodeURIComponent(person[1]), JSON.parse(body))
      res.writeHead(204).end()
      return
    }
    const step = url.pathname.match(/^\/interaction\/([^/]+)(\/login)?$/)
    if (step) {
      await interaction(req, res, step[1])
      return
    }
    callback(req, res)
  } catch (error) {
    res.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(error))
  }
})

console.log(`listening ${port}`)
