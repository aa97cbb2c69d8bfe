// oidc-provider on loopback for Sidecar's provisioning tests:
//   node server.mjs <port> [initial-access-token] [issuer]
// (the issuer defaults to http://127.0.0.1:<port>; give another when a
// proxy stands in front)
// Dynamic registration (RFC 7591) behind the initial access token when one
// is given, management (RFC 7592) rotating the registration access token on
// every update, and SMART's scopes (PEER_SCOPES, space-separated, replaces
// the list). Prints "ready" once it listens.
//
// Its storage is an in-memory adapter this file keeps, so that a test can
// see every client the server holds: GET /test/clients lists them, and
// DELETE or PATCH /test/clients/{id} changes one behind Sidecar's back (the
// tests' view of the server, not part of oidc-provider).
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const initialAccessToken = process.argv[3] || false;
const issuer = process.argv[4] || `http://127.0.0.1:${port}`;

const store = new Map();

// The scopes it lists: PEER_SCOPES (space-separated) when set.
function scopes() {
  if (process.env.PEER_SCOPES) return process.env.PEER_SCOPES.split(' ').filter(Boolean);
  return [
    'openid', 'offline_access', 'fhirUser', 'launch', 'launch/patient',
    'patient/*.rs', 'patient/Observation.rs', 'patient/Patient.rs',
    'user/*.rs', 'system/*.rs',
  ];
}

class MemoryAdapter {
  constructor(model) { this.model = model; }
  key(id) { return `${this.model}:${id}`; }
  async upsert(id, payload) { store.set(this.key(id), payload); }
  async find(id) { return store.get(this.key(id)); }
  async findByUserCode() { return undefined; }
  async findByUid(uid) {
    for (const [k, v] of store) if (k.startsWith(`${this.model}:`) && v.uid === uid) return v;
    return undefined;
  }
  async consume(id) { const v = store.get(this.key(id)); if (v) v.consumed = Math.floor(Date.now() / 1000); }
  async destroy(id) { store.delete(this.key(id)); }
  async revokeByGrantId(grantId) {
    for (const [k, v] of store) if (v.grantId === grantId) store.delete(k);
  }
}

const provider = new Provider(issuer, {
  adapter: MemoryAdapter,
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    registration: { enabled: true, initialAccessToken },
    registrationManagement: { enabled: true, rotateRegistrationAccessToken: true },
  },
  scopes: scopes(),
});
provider.proxy = false;

provider.use(async (ctx, next) => {
  if (ctx.path === '/test/clients' && ctx.method === 'GET') {
    ctx.body = [...store].filter(([k]) => k.startsWith('Client:')).map(([, v]) => v);
    return;
  }
  // Deletes a client behind the registrant's back, as an admin would.
  const one = ctx.path.match(/^\/test\/clients\/(.+)$/);
  if (one && ctx.method === 'DELETE') {
    store.delete(`Client:${decodeURIComponent(one[1])}`);
    ctx.status = 204;
    return;
  }
  // Changes a client's redirect URI behind the registrant's back
  // (?redirect_uri=…), as an admin at the server might.
  if (one && ctx.method === 'PATCH') {
    const client = store.get(`Client:${decodeURIComponent(one[1])}`);
    if (!client) { ctx.status = 404; return; }
    client.redirect_uris = [ctx.query.redirect_uri];
    ctx.status = 204;
    return;
  }
  await next();
});

provider.listen(port, '127.0.0.1');
console.log('ready');
