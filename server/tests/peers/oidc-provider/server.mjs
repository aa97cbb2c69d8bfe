// oidc-provider on loopback for Sidecar's provisioning tests:
//   node server.mjs <port> [initial-access-token]
// Dynamic registration (RFC 7591) behind the initial access token when one
// is given, management (RFC 7592) rotating the registration access token on
// every update, and SMART's scopes. Prints "ready" once it listens.
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const initialAccessToken = process.argv[3] || false;
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    registration: { enabled: true, initialAccessToken },
    registrationManagement: { enabled: true, rotateRegistrationAccessToken: true },
  },
  scopes: [
    'openid', 'offline_access', 'fhirUser', 'launch', 'launch/patient',
    'patient/*.rs', 'patient/Observation.rs', 'patient/Patient.rs',
    'user/*.rs', 'system/*.rs',
  ],
});
provider.proxy = false;

provider.listen(port, '127.0.0.1');
console.log('ready');
